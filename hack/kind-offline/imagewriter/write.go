package imagewriter

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Build assembles the image s describes: its base layers, one layer with its
// entries (when it has any) and its config.
func Build(s Spec) (v1.Image, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("invalid image spec: %w", err)
	}
	created := v1.Time{Time: s.created()}
	osName, arch := s.platform()
	cfg := &v1.ConfigFile{
		Architecture: arch,
		OS:           osName,
		Created:      created,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint: slices.Clone(s.Entrypoint),
			Cmd:        slices.Clone(s.Cmd),
			Env:        withDefaultPath(s.Env),
			User:       s.User,
			WorkingDir: s.WorkingDir,
			Labels:     s.Labels,
		},
	}
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return nil, fmt.Errorf("image %s: config: %w", s.Tag, err)
	}

	var adds []mutate.Addendum
	for _, p := range s.BaseLayers {
		l, err := tarball.LayerFromFile(p, tarball.WithCompressionLevel(gzip.BestSpeed), tarball.WithCompressedCaching)
		if err != nil {
			return nil, fmt.Errorf("image %s: base layer %q: %w", s.Tag, p, err)
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{
			Created: created, CreatedBy: "imagewriter: base layer " + filepath.Base(p),
		}})
	}
	if len(s.Entries) > 0 {
		l, err := entriesLayer(s.Entries, s.created())
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", s.Tag, err)
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{
			Created: created, CreatedBy: fmt.Sprintf("imagewriter: %d entries", len(s.Entries)),
		}})
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("image %s: layers: %w", s.Tag, err)
	}
	return img, nil
}

// Write builds s and writes it to out as a docker-archive tarball recording
// exactly s.Tag. The file appears atomically: a failed write leaves no file.
func Write(s Spec, out string) error {
	img, err := Build(s)
	if err != nil {
		return err
	}
	tag, err := name.NewTag(s.Tag, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("tag %q: %w", s.Tag, err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("output %q: %w", out, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("output %q: %w", out, err)
	}
	tmpName := tmp.Name()
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("output %q: %w", out, err)
	}
	defer func() { _ = os.Remove(tmpName) }() // fails harmlessly after the rename
	if err := tarball.MultiWriteToFile(tmpName, map[name.Tag]v1.Image{tag: img}); err != nil {
		return fmt.Errorf("image %s: write %q: %w", s.Tag, out, err)
	}
	if err := os.Chmod(tmpName, 0o644); err != nil {
		return fmt.Errorf("output %q: %w", out, err)
	}
	if err := os.Rename(tmpName, out); err != nil {
		return fmt.Errorf("output %q: %w", out, err)
	}
	return nil
}

// withDefaultPath returns env with DefaultPath prepended unless env sets PATH.
func withDefaultPath(env []string) []string {
	for _, e := range env {
		if len(e) >= 5 && e[:5] == "PATH=" {
			return slices.Clone(env)
		}
	}
	return append([]string{"PATH=" + DefaultPath}, env...)
}
