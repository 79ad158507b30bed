//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"
)

// image is a container image a feature runs and, in kind mode, the
// tarball it is loaded from.
type image struct {
	// flag is the suite flag naming the tarball, for the error when unset.
	flag, name, archive string
}

// loadImages loads the images into the kind cluster, each tarball once per
// run. In existing mode the nodes must have them already (README).
func (s *Suite) loadImages(ctx context.Context, t *testing.T, images ...image) {
	t.Helper()
	if s.cluster == nil {
		for _, img := range images {
			t.Logf("existing mode: image %s must be present on the nodes", img.name)
		}
		return
	}
	for _, img := range images {
		if img.archive == "" {
			t.Fatalf("-%s is not set: the tarball of %s is needed in kind mode (make e2e-images writes it)", img.flag, img.name)
		}
		s.mu.Lock()
		done := s.loadedImages[img.archive]
		s.mu.Unlock()
		if done {
			continue
		}
		start := time.Now()
		if err := s.cluster.LoadImageArchive(ctx, img.archive); err != nil {
			t.Fatalf("loading %s from %s: %v", img.name, img.archive, err)
		}
		s.mu.Lock()
		if s.loadedImages == nil {
			s.loadedImages = map[string]bool{}
		}
		s.loadedImages[img.archive] = true
		s.mu.Unlock()
		t.Logf("loaded %s in %s", img.name, time.Since(start).Round(time.Millisecond))
	}
}

// loadRunImages are the images of the load features: the vLLM emulator,
// the load generator and Prometheus.
func (s *Suite) loadRunImages() []image {
	o := s.opts
	return []image{
		{"vllm-emulator-image-archive", o.emulatorImage, o.emulatorImageArchive},
		{"loadgen-image-archive", o.loadgenImage, o.loadgenImageArchive},
		{"prometheus-image-archive", o.promImage, o.promImageArchive},
	}
}
