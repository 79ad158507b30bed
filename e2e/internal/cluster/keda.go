package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wva-project/wva/e2e/internal/keda"
)

// KedaSettings configure the feature. They come from the environment only
// (`make test-e2e-keda` sets them), so that the suite's own options stay
// as they are; without E2E_KEDA_VERSION the feature is skipped.
type KedaSettings struct {
	// Version is the module version, e.g. v2.21.0.
	Version string
	// ConfigDir is the module's config/ directory; empty: found with
	// `go mod download -json`.
	ConfigDir string
	// Images and, in kind mode, the tarballs to load them from.
	OperatorImage, operatorArchive           string
	MetricsServerImage, metricsServerArchive string
}

// KedaSettingsFromEnv reads the settings; kindMode asks for the image
// tarballs.
func KedaSettingsFromEnv(kindMode bool) (KedaSettings, error) {
	s := KedaSettings{
		Version:              os.Getenv("E2E_KEDA_VERSION"),
		ConfigDir:            os.Getenv("E2E_KEDA_CONFIG_DIR"),
		OperatorImage:        os.Getenv("E2E_KEDA_OPERATOR_IMAGE"),
		operatorArchive:      os.Getenv("E2E_KEDA_OPERATOR_IMAGE_TAR"),
		MetricsServerImage:   os.Getenv("E2E_KEDA_METRICS_SERVER_IMAGE"),
		metricsServerArchive: os.Getenv("E2E_KEDA_METRICS_SERVER_IMAGE_TAR"),
	}
	tag := strings.TrimPrefix(s.Version, "v")
	if s.OperatorImage == "" {
		s.OperatorImage = "localhost/wva-e2e/keda:" + tag
	}
	if s.MetricsServerImage == "" {
		s.MetricsServerImage = "localhost/wva-e2e/keda-metrics-apiserver:" + tag
	}
	var errs []error
	if kindMode {
		for _, a := range []struct{ env, path string }{
			{"E2E_KEDA_OPERATOR_IMAGE_TAR", s.operatorArchive},
			{"E2E_KEDA_METRICS_SERVER_IMAGE_TAR", s.metricsServerArchive},
		} {
			if a.path == "" {
				errs = append(errs, fmt.Errorf("%s is not set: kind mode loads the image from it (make keda-images writes it)", a.env))
			} else if _, err := os.Stat(a.path); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w (make keda-images writes it)", a.env, err))
			}
		}
	}
	return s, errors.Join(errs...)
}

// LoadKEDAImages loads the operator and metrics server images into the kind
// cluster. In existing mode the nodes must have them already.
func (s *Suite) LoadKEDAImages(ctx context.Context, t *testing.T, k KedaSettings) {
	t.Helper()
	if s.Cluster == nil {
		t.Logf("existing mode: images %s and %s must be present on the nodes", k.OperatorImage, k.MetricsServerImage)
		return
	}
	for _, img := range []struct{ image, archive string }{
		{k.OperatorImage, k.operatorArchive},
		{k.MetricsServerImage, k.metricsServerArchive},
	} {
		start := time.Now()
		if err := s.Cluster.LoadImageArchive(ctx, img.archive); err != nil {
			t.Fatalf("loading %s from %s: %v", img.image, img.archive, err)
		}
		t.Logf("loaded %s in %s", img.image, time.Since(start).Round(time.Millisecond))
	}
}

// ExportKEDA writes KEDA's pods and their logs, and the feature's
// ScaledObjects and HPAs, to the test's artifacts directory.
func (s *Suite) ExportKEDA(ctx context.Context, t *testing.T, namespace string) {
	dir := filepath.Join(s.ArtifactPath(t.Name()), "keda")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("exporting KEDA: %v", err)
		return
	}
	var errs []error
	pods, err := s.Kube.CoreV1().Pods(keda.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		errs = append(errs, fmt.Errorf("listing KEDA's pods: %w", err))
	} else {
		errs = append(errs, writeJSON(filepath.Join(dir, "pods.json"), pods.Items))
		for _, p := range pods.Items {
			for _, c := range p.Spec.Containers {
				raw, err := s.Kube.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name, Timestamps: true}).DoRaw(ctx)
				if err != nil {
					errs = append(errs, fmt.Errorf("log of %s/%s: %w", p.Name, c.Name, err))
					continue
				}
				errs = append(errs, os.WriteFile(filepath.Join(dir, p.Name+".log"), raw, 0o644))
			}
		}
	}
	if namespace != "" {
		if list, err := s.Dyn.Resource(keda.ScaledObjectResource).Namespace(namespace).List(ctx, metav1.ListOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("listing ScaledObjects: %w", err))
		} else {
			errs = append(errs, writeJSON(filepath.Join(dir, "scaledobjects.json"), list.Items))
		}
		if list, err := s.Kube.AutoscalingV2().HorizontalPodAutoscalers(namespace).List(ctx, metav1.ListOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("listing HPAs: %w", err))
		} else {
			errs = append(errs, writeJSON(filepath.Join(dir, "hpas.json"), list.Items))
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Logf("exporting KEDA: %v", err)
	}
	t.Logf("KEDA artifacts: %s", dir)
}
