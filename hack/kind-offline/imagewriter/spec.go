package imagewriter

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// EntryType is the kind of filesystem object an Entry adds.
type EntryType string

const (
	// TypeFile is a regular file, copied from Source or taken from Content.
	TypeFile EntryType = "file"
	// TypeDir is a directory.
	TypeDir EntryType = "dir"
	// TypeSymlink is a symbolic link pointing at Target.
	TypeSymlink EntryType = "symlink"
)

// Entry is one filesystem object of the layer a Spec adds on top of its
// base layers. Build entries with File, FileContent, Dir and Symlink.
type Entry struct {
	// Path is the absolute path inside the image.
	Path string
	// Type is what Path is.
	Type EntryType
	// Source is the host file a TypeFile entry copies; empty when Content is used.
	Source string
	// Content is the data of a TypeFile entry without a Source.
	Content []byte
	// Target is where a TypeSymlink entry points.
	Target string
	// Mode holds the permission bits (and setuid/setgid/sticky bits).
	Mode fs.FileMode
	// UID and GID own the entry.
	UID, GID int
}

// File copies the host file src to dst in the image with the given mode, owned by root.
func File(src, dst string, mode fs.FileMode) Entry {
	return Entry{Path: dst, Type: TypeFile, Source: src, Mode: mode}
}

// FileContent writes data to dst in the image with the given mode, owned by root.
func FileContent(dst string, data []byte, mode fs.FileMode) Entry {
	return Entry{Path: dst, Type: TypeFile, Content: data, Mode: mode}
}

// Dir creates the directory p in the image with the given mode, owned by root.
func Dir(p string, mode fs.FileMode) Entry {
	return Entry{Path: p, Type: TypeDir, Mode: mode}
}

// Symlink creates the symbolic link p pointing at target.
func Symlink(p, target string) Entry {
	return Entry{Path: p, Type: TypeSymlink, Target: target, Mode: 0o777}
}

// Spec describes one image.
type Spec struct {
	// Tag is the exact reference the archive records, e.g. registry.k8s.io/pause:3.10.
	Tag string
	// BaseLayers are layer tarballs (plain or gzip) applied first, in order.
	BaseLayers []string
	// Entries make up one more layer on top of BaseLayers; parent directories
	// that are not listed are added with mode 0755.
	Entries []Entry
	// Entrypoint, Cmd, Env, User, WorkingDir and Labels go into the image config.
	Entrypoint []string
	Cmd        []string
	Env        []string
	User       string
	WorkingDir string
	Labels     map[string]string
	// OS and Architecture of the image; empty means linux and the architecture
	// this program was built for.
	OS           string
	Architecture string
	// Created stamps the config and every entry; the zero value means the Unix
	// epoch, which keeps the output reproducible.
	Created time.Time
}

// DefaultPath is the PATH of the images this package writes. It includes the
// sbin directories because components such as kube-proxy run nft and conntrack.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Validate reports every problem of s, each naming the field and value.
func (s Spec) Validate() error {
	var errs []error
	if s.Tag == "" {
		errs = append(errs, errors.New("tag: must be set"))
	} else if _, err := name.NewTag(s.Tag, name.StrictValidation); err != nil {
		errs = append(errs, fmt.Errorf("tag %q: must be a full reference with an explicit tag: %w", s.Tag, err))
	}
	seen := map[string]bool{}
	for i, e := range s.Entries {
		if err := e.validate(); err != nil {
			errs = append(errs, fmt.Errorf("entries[%d]: %w", i, err))
			continue
		}
		clean := path.Clean(e.Path)
		if seen[clean] {
			errs = append(errs, fmt.Errorf("entries[%d]: path %q: listed twice", i, e.Path))
		}
		seen[clean] = true
	}
	for i, env := range s.Env {
		if k, _, ok := strings.Cut(env, "="); !ok || k == "" {
			errs = append(errs, fmt.Errorf("env[%d] %q: must be NAME=VALUE", i, env))
		}
	}
	for i, l := range s.BaseLayers {
		if l == "" {
			errs = append(errs, fmt.Errorf("baseLayers[%d]: must be a path", i))
		}
	}
	return errors.Join(errs...)
}

func (e Entry) validate() error {
	if !path.IsAbs(e.Path) || path.Clean(e.Path) == "/" {
		return fmt.Errorf("path %q: must be absolute and not /", e.Path)
	}
	if e.Mode&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		return fmt.Errorf("path %q: mode %v: only permission bits are allowed", e.Path, e.Mode)
	}
	if e.UID < 0 || e.GID < 0 {
		return fmt.Errorf("path %q: owner %d:%d: must not be negative", e.Path, e.UID, e.GID)
	}
	switch e.Type {
	case TypeFile:
		if e.Source != "" && e.Content != nil {
			return fmt.Errorf("path %q: source %q and content are exclusive", e.Path, e.Source)
		}
	case TypeDir:
	case TypeSymlink:
		if e.Target == "" {
			return fmt.Errorf("path %q: symlink target must be set", e.Path)
		}
	default:
		return fmt.Errorf("path %q: type %q: must be one of file, dir, symlink", e.Path, e.Type)
	}
	return nil
}

func (s Spec) platform() (osName, arch string) {
	osName, arch = s.OS, s.Architecture
	if osName == "" {
		osName = "linux"
	}
	if arch == "" {
		arch = runtime.GOARCH
	}
	return osName, arch
}

func (s Spec) created() time.Time {
	if s.Created.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return s.Created.UTC()
}
