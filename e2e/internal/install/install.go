package install

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/manifests"
)

// Options says what to deploy.
type Options struct {
	// RepoRoot is the repository root (manifests.RepoRoot finds it).
	RepoRoot string
	// Overlay is the kustomization to deploy, slash-separated and relative
	// to RepoRoot (default manifests.KindOverlayDir).
	Overlay string
	// WithoutConfigMap leaves the capacity-scaling-config ConfigMap out, so
	// that the controller starts on its built-in defaults.
	WithoutConfigMap bool
	// Timeout bounds the wait for the CRDs to be Established and the wait
	// for the controller to be available, each (default 3m).
	Timeout time.Duration
	// Interval is how often the waits poll (default 500ms).
	Interval time.Duration
}

// Result describes a finished deployment.
type Result struct {
	// Objects is what was applied, in order.
	Objects []*unstructured.Unstructured
	// Rollout is how long the controller took to become available after
	// the objects were applied.
	Rollout time.Duration
}

// Controller renders opts.Overlay, applies it and waits for the controller
// Deployment (manifests.Namespace/manifests.DeploymentName) to be
// available.
func Controller(ctx context.Context, applier *apply.Applier, kube kubernetes.Interface, opts Options) (Result, error) {
	opts = opts.withDefaults()
	if opts.RepoRoot == "" {
		return Result{}, errors.New("install: RepoRoot must be set")
	}
	objs, err := manifests.Render(manifests.OSPath(opts.RepoRoot, opts.Overlay))
	if err != nil {
		return Result{}, fmt.Errorf("install: %w", err)
	}
	if opts.WithoutConfigMap {
		var found bool
		objs, found = manifests.Without(objs, "ConfigMap", manifests.Namespace, manifests.ConfigMapName)
		if !found {
			return Result{}, fmt.Errorf("install: overlay %s has no ConfigMap %s/%s to leave out", opts.Overlay, manifests.Namespace, manifests.ConfigMapName)
		}
	}
	if manifests.Find(objs, "Deployment", manifests.Namespace, manifests.DeploymentName) == nil {
		return Result{}, fmt.Errorf("install: overlay %s has no Deployment %s/%s", opts.Overlay, manifests.Namespace, manifests.DeploymentName)
	}
	if err := applier.Apply(ctx, objs, apply.Options{CRDTimeout: opts.Timeout}); err != nil {
		return Result{}, fmt.Errorf("install: %w", err)
	}
	took, err := apply.WaitDeploymentAvailable(ctx, kube, manifests.Namespace, manifests.DeploymentName, opts.Timeout, opts.Interval)
	if err != nil {
		return Result{}, fmt.Errorf("install: %w", err)
	}
	return Result{Objects: objs, Rollout: took}, nil
}

func (o Options) withDefaults() Options {
	if o.Overlay == "" {
		o.Overlay = manifests.KindOverlayDir
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	return o
}
