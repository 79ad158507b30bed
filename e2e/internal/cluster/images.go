package cluster

import (
	"context"
	"testing"
	"time"
)

// Image is a container image a feature runs and, in kind mode, the
// tarball it is loaded from.
type Image struct {
	// flag is the suite flag naming the tarball, for the error when unset.
	flag, name, archive string
}

// LoadImages loads the images into the kind cluster, each tarball once per
// run. In existing mode the nodes must have them already (README).
func (s *Suite) LoadImages(ctx context.Context, t *testing.T, images ...Image) {
	t.Helper()
	if s.Cluster == nil {
		for _, img := range images {
			t.Logf("existing mode: image %s must be present on the nodes", img.name)
		}
		return
	}
	for _, img := range images {
		if img.archive == "" {
			t.Fatalf("-%s is not set: the tarball of %s is needed in kind mode (make e2e-images writes it)", img.flag, img.name)
		}
		s.Mu.Lock()
		done := s.loadedImages[img.archive]
		s.Mu.Unlock()
		if done {
			continue
		}
		start := time.Now()
		if err := s.Cluster.LoadImageArchive(ctx, img.archive); err != nil {
			t.Fatalf("loading %s from %s: %v", img.name, img.archive, err)
		}
		s.Mu.Lock()
		if s.loadedImages == nil {
			s.loadedImages = map[string]bool{}
		}
		s.loadedImages[img.archive] = true
		s.Mu.Unlock()
		t.Logf("loaded %s in %s", img.name, time.Since(start).Round(time.Millisecond))
	}
}

// LoadRunImages are the images of the load features: the vLLM emulator,
// the load generator and Prometheus.
func (s *Suite) LoadRunImages() []Image {
	o := s.Opts
	return []Image{
		{"vllm-emulator-image-archive", o.EmulatorImage, o.emulatorImageArchive},
		{"loadgen-image-archive", o.LoadgenImage, o.loadgenImageArchive},
		{"prometheus-image-archive", o.PromImage, o.promImageArchive},
	}
}

// LoadScaleUpImages loads the stub and Prometheus images into the kind
// cluster (once per run). In existing mode the cluster must have them
// already (README).
func (s *Suite) LoadScaleUpImages(ctx context.Context, t *testing.T) {
	t.Helper()
	s.LoadImages(ctx, t,
		Image{"vllmstub-image-archive", s.Opts.StubImage, s.Opts.stubImageArchive},
		Image{"prometheus-image-archive", s.Opts.PromImage, s.Opts.promImageArchive})
}
