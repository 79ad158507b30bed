package imagewriter

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Default modes for entries whose Mode is zero.
const (
	defaultDirMode     fs.FileMode = 0o755
	defaultContentMode fs.FileMode = 0o644
)

// entriesLayer returns a layer holding entries plus their missing parent
// directories. The tar stream is produced again on every read instead of
// being held in memory; the compressed form is cached so it is made once.
func entriesLayer(entries []Entry, mtime time.Time) (v1.Layer, error) {
	all, err := withParents(entries)
	if err != nil {
		return nil, err
	}
	opener := func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeTar(pw, all, mtime)) }()
		return pr, nil
	}
	return tarball.LayerFromOpener(opener,
		tarball.WithCompressionLevel(gzip.BestSpeed), tarball.WithCompressedCaching)
}

// withParents resolves default modes, adds every parent directory that is
// not listed and sorts the result by path, parents first.
func withParents(entries []Entry) ([]Entry, error) {
	byPath := make(map[string]Entry, len(entries))
	for _, e := range entries {
		e.Path = path.Clean(e.Path)
		if e.Type == TypeFile && e.Mode == 0 {
			mode, err := defaultFileMode(e)
			if err != nil {
				return nil, err
			}
			e.Mode = mode
		}
		if e.Type == TypeDir && e.Mode == 0 {
			e.Mode = defaultDirMode
		}
		byPath[e.Path] = e
	}
	for p, e := range byPath {
		for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
			if parent, ok := byPath[dir]; ok {
				if parent.Type != TypeDir {
					return nil, fmt.Errorf("path %q: parent %q is a %s, not a dir", e.Path, dir, parent.Type)
				}
				continue
			}
			byPath[dir] = Dir(dir, defaultDirMode)
		}
	}
	all := make([]Entry, 0, len(byPath))
	for _, e := range byPath {
		all = append(all, e)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Path < all[j].Path })
	return all, nil
}

// defaultFileMode keeps a copied file's permission bits and gives inline content 0644.
func defaultFileMode(e Entry) (fs.FileMode, error) {
	if e.Source == "" {
		return defaultContentMode, nil
	}
	fi, err := os.Stat(e.Source)
	if err != nil {
		return 0, fmt.Errorf("path %q: source: %w", e.Path, err)
	}
	return fi.Mode().Perm(), nil
}

func writeTar(w io.Writer, entries []Entry, mtime time.Time) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		if err := writeEntry(tw, e, mtime); err != nil {
			return fmt.Errorf("path %q: %w", e.Path, err)
		}
	}
	return tw.Close()
}

func writeEntry(tw *tar.Writer, e Entry, mtime time.Time) error {
	hdr := &tar.Header{
		Name:    strings.TrimPrefix(e.Path, "/"),
		Mode:    int64(tarMode(e.Mode)),
		Uid:     e.UID,
		Gid:     e.GID,
		ModTime: mtime,
		Format:  tar.FormatPAX,
	}
	switch e.Type {
	case TypeDir:
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
		return tw.WriteHeader(hdr)
	case TypeSymlink:
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = e.Target
		return tw.WriteHeader(hdr)
	case TypeFile:
		hdr.Typeflag = tar.TypeReg
		if e.Source == "" {
			hdr.Size = int64(len(e.Content))
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			_, err := tw.Write(e.Content)
			return err
		}
		return copyFile(tw, hdr, e.Source)
	default:
		return fmt.Errorf("type %q: unsupported", e.Type)
	}
}

func copyFile(tw *tar.Writer, hdr *tar.Header, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("source %q: not a regular file", src)
	}
	hdr.Size = fi.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, f, fi.Size()); err != nil {
		return fmt.Errorf("source %q: %w", src, err)
	}
	return nil
}

// tarMode converts fs.FileMode permission and special bits to the tar (Unix) encoding.
func tarMode(m fs.FileMode) uint32 {
	mode := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
