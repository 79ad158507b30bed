package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Artifacts of a failed run go to <artifacts>/<run>/ (e2e/_artifacts by
// default; run = start time and cluster name):
//
//	suite/kind/                    `kind export logs` (node journal, kubelet, containers)
//	suite/controller/<pod>.log     the controller's log through the API (and
//	                               <pod>.previous.log after a container restart)
//	suite/controller/pods.json     the controller's pods
//	suite/variantautoscalings.json every VariantAutoscaling left in the cluster
//	<Test>/...                     the same, taken by a failing feature before
//	                               its teardown deletes its namespaces

// ArtifactPath returns the artifacts directory of this run for name.
func (s *Suite) ArtifactPath(name string) string {
	return filepath.Join(s.Opts.artifactsDir, s.runID, strings.ReplaceAll(name, "/", "_"))
}

// exportLogs writes what is needed to debug a failure into dir.
func (s *Suite) exportLogs(ctx context.Context, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifacts directory: %w", err)
	}
	var errs []error
	if s.Cluster != nil {
		if err := s.Cluster.ExportLogs(ctx, filepath.Join(dir, "kind")); err != nil {
			errs = append(errs, err)
		}
	}
	if s.Kube != nil {
		errs = append(errs, s.ExportControllerLogs(ctx, filepath.Join(dir, "controller")))
		errs = append(errs, s.DumpVAs(ctx, filepath.Join(dir, "variantautoscalings.json"), metav1.NamespaceAll))
	}
	return errors.Join(errs...)
}

// ExportControllerLogs writes each controller pod's log (and its previous
// container's, if any) and the pods themselves.
func (s *Suite) ExportControllerLogs(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifacts directory: %w", err)
	}
	pods, err := s.ControllerPods(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range pods {
		for _, previous := range []bool{false, true} {
			opts := &corev1.PodLogOptions{Container: manifests.ContainerName, Timestamps: true, Previous: previous}
			raw, err := s.Kube.CoreV1().Pods(p.Namespace).GetLogs(p.Name, opts).DoRaw(ctx)
			if err != nil {
				if !previous {
					errs = append(errs, fmt.Errorf("log of %s: %w", p.Name, err))
				}
				continue
			}
			name := p.Name + ".log"
			if previous {
				name = p.Name + ".previous.log"
			}
			errs = append(errs, os.WriteFile(filepath.Join(dir, name), raw, 0o644))
		}
	}
	errs = append(errs, writeJSON(filepath.Join(dir, "pods.json"), pods))
	return errors.Join(errs...)
}

// DumpVAs writes the VariantAutoscalings of namespaces (all namespaces when
// given metav1.NamespaceAll) to path.
func (s *Suite) DumpVAs(ctx context.Context, path string, namespaces ...string) error {
	var all []any
	for _, ns := range namespaces {
		list, err := s.Dyn.Resource(VAResource).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("listing VariantAutoscalings in %q: %w", ns, err)
		}
		for _, item := range list.Items {
			all = append(all, item.Object)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("artifacts directory: %w", err)
	}
	return writeJSON(path, all)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// kindClusterExists asks kind whether a cluster called name exists.
func kindClusterExists(ctx context.Context, kindBinary, name string) (bool, error) {
	out, err := exec.CommandContext(ctx, kindBinary, "get", "clusters").Output()
	if err != nil {
		return false, fmt.Errorf("%s get clusters: %w", kindBinary, commandError(err))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == name {
			return true, nil
		}
	}
	return false, nil
}

// writeKindKubeconfig writes the kubeconfig kind generates for cluster name
// to path.
func writeKindKubeconfig(ctx context.Context, kindBinary, name, path string) error {
	out, err := exec.CommandContext(ctx, kindBinary, "get", "kubeconfig", "--name", name).Output()
	if err != nil {
		return fmt.Errorf("%s get kubeconfig --name %s: %w", kindBinary, name, commandError(err))
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	return nil
}

// commandError adds a failed command's stderr to its error.
func commandError(err error) error {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && len(exitErr.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exitErr.Stderr)))
	}
	return err
}

// VAResource is the VariantAutoscaling resource.
var VAResource = v1alpha1.GroupVersion.WithResource("variantautoscalings")
