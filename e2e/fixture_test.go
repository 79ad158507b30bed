//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/wva-project/wva/e2e/manifests"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Labels the suite puts on what it creates.
const (
	// featureLabel carries the short name of the feature that created a
	// namespace or VariantAutoscaling, so a feature lists exactly its own.
	featureLabel = "e2e.wva-project.io/feature"
	// cleanupDeadline bounds the wait for a feature's VariantAutoscalings
	// to be gone.
	cleanupDeadline = 2 * time.Minute
)

// fixture is what one feature created, so that its teardown (or, if a setup
// step failed and e2e-framework skipped the teardown, the test's cleanup)
// can remove it. Every feature works in namespaces of its own.
type fixture struct {
	s    *Suite
	name string

	mu         sync.Mutex
	namespaces []string
	// restores run at teardown, last registered first (e.g. scale the
	// controller back, delete the ConfigMap).
	restores []restore
	once     sync.Once
}

type restore struct {
	what string
	fn   func(ctx context.Context) error
}

func (s *Suite) newFixture(name string) *fixture {
	return &fixture{s: s, name: name}
}

// setup is the first Setup step of every feature: it makes sure the
// fixture is cleaned up even if a later setup step fails.
func (f *fixture) setup(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	t.Cleanup(func() {
		// Runs after the teardown step, which normally did the work.
		ctx, cancel := context.WithTimeout(context.Background(), cleanupDeadline+time.Minute)
		defer cancel()
		f.teardown(ctx, t)
	})
	return ctx
}

// teardownStep is the last Teardown step of every feature.
func (f *fixture) teardownStep(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	f.teardown(ctx, t)
	return ctx
}

// onTeardown registers fn to run at teardown.
func (f *fixture) onTeardown(what string, fn func(ctx context.Context) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restores = append(f.restores, restore{what, fn})
}

// teardown exports what a failing feature leaves behind, runs the restores
// and deletes the feature's namespaces. It waits until the feature's
// VariantAutoscalings are gone, so that the next feature's reloads neither
// count nor reconcile them, but not for the namespaces themselves to finish
// terminating (the namespace controller takes seconds per namespace and the
// rest of what they hold is inert). It runs once.
func (f *fixture) teardown(ctx context.Context, t *testing.T) {
	f.once.Do(func() {
		f.mu.Lock()
		namespaces := slices.Clone(f.namespaces)
		restores := slices.Clone(f.restores)
		f.mu.Unlock()
		if t.Failed() {
			dir := f.s.artifactPath(t.Name())
			if err := f.s.exportControllerLogs(ctx, dir+"/controller"); err != nil {
				t.Logf("exporting controller logs: %v", err)
			}
			if err := f.s.dumpVAs(ctx, dir+"/variantautoscalings.json", namespaces...); err != nil {
				t.Logf("dumping VariantAutoscalings: %v", err)
			}
			t.Logf("artifacts of the failure: %s", dir)
			f.s.failed.Store(true)
		}
		for i := len(restores) - 1; i >= 0; i-- {
			if err := restores[i].fn(ctx); err != nil {
				t.Errorf("teardown: %s: %v", restores[i].what, err)
			}
		}
		if len(namespaces) == 0 {
			return
		}
		selector := metav1.ListOptions{LabelSelector: featureLabel + "=" + f.name}
		for _, ns := range namespaces {
			// VariantAutoscalings first: deleting a namespace removes its
			// content only after the namespace controller gets to it.
			err := f.s.dyn.Resource(vaResource).Namespace(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, selector)
			if err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("teardown: deleting the VariantAutoscalings of %s: %v", ns, err)
			}
			err = f.s.kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("teardown: deleting namespace %s: %v", ns, err)
			}
		}
		waitFor(ctx, t, fmt.Sprintf("VariantAutoscalings of %s deleted", strings.Join(namespaces, ",")), cleanupDeadline, fastPoll,
			func(ctx context.Context) (bool, string, error) {
				left := 0
				for _, ns := range namespaces {
					list, err := f.s.dyn.Resource(vaResource).Namespace(ns).List(ctx, selector)
					if err != nil {
						return false, err.Error(), nil
					}
					left += len(list.Items)
				}
				return left == 0, fmt.Sprintf("%d left", left), nil
			})
	})
}

// namespace creates a namespace of the feature (e2e-<feature>-<random>).
func (f *fixture) namespace(ctx context.Context, t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   envconf.RandomName("e2e-"+f.name, len("e2e-"+f.name)+6),
		Labels: map[string]string{featureLabel: f.name},
	}}
	created, err := f.s.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: fieldManager})
	if err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	f.mu.Lock()
	f.namespaces = append(f.namespaces, created.Name)
	f.mu.Unlock()
	return created.Name
}

// withoutConfigMap deletes the ConfigMap if it exists (a feature that needs
// a given starting state) and, at teardown, deletes whatever the feature
// left.
func (f *fixture) withoutConfigMap(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := f.s.deleteConfigMap(ctx); err != nil {
		t.Fatal(err)
	}
	f.onTeardown("deleting the ConfigMap", f.s.deleteConfigMap)
}

// noConfigMap is withoutConfigMap as a feature step.
func (f *fixture) noConfigMap(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	f.withoutConfigMap(ctx, t)
	return ctx
}

// onDefaultConfigMap creates vas, writes a ConfigMap holding only
// defaultEntry and waits until every one of them applied it. It returns the
// applied configuration they show.
func (f *fixture) onDefaultConfigMap(ctx context.Context, t *testing.T, vas []va) v1alpha1.AppliedCapacityConfig {
	t.Helper()
	f.createVAs(ctx, t, len(vas), vas...)
	start := time.Now()
	cm, err := f.s.putConfigMap(ctx, map[string]string{"default": defaultEntry})
	if err != nil {
		t.Fatal(err)
	}
	want := applied("0.70", 8, "0.20", 4, v1alpha1.ConfigSourceDefault, cm.ResourceVersion)
	waitSince(ctx, t, "VariantAutoscalings on the ConfigMap", start, reconcileDeadline, slowPoll, f.appliedConfigs(expectAll(vas, want)))
	return want
}

// putConfigMap creates the ConfigMap with exactly data, or replaces the data
// of the existing one, and returns the object (with its resourceVersion).
func (s *Suite) putConfigMap(ctx context.Context, data map[string]string) (*corev1.ConfigMap, error) {
	cms := s.kube.CoreV1().ConfigMaps(manifests.Namespace)
	cur, err := cms.Get(ctx, manifests.ConfigMapName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: manifests.Namespace, Name: manifests.ConfigMapName},
			Data:       data,
		}
		created, err := cms.Create(ctx, cm, metav1.CreateOptions{FieldManager: fieldManager})
		if err != nil {
			return nil, fmt.Errorf("creating ConfigMap %s: %w", manifests.ConfigMapName, err)
		}
		return created, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s: %w", manifests.ConfigMapName, err)
	}
	cur.Data = data
	// Update carries the resourceVersion read above: a concurrent writer
	// makes it fail rather than be overwritten.
	updated, err := cms.Update(ctx, cur, metav1.UpdateOptions{FieldManager: fieldManager})
	if err != nil {
		return nil, fmt.Errorf("updating ConfigMap %s: %w", manifests.ConfigMapName, err)
	}
	return updated, nil
}

// deleteConfigMap deletes the ConfigMap; a missing one is fine.
func (s *Suite) deleteConfigMap(ctx context.Context) error {
	err := s.kube.CoreV1().ConfigMaps(manifests.Namespace).Delete(ctx, manifests.ConfigMapName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting ConfigMap %s: %w", manifests.ConfigMapName, err)
	}
	return nil
}

// entry renders one ConfigMap entry (the YAML text of a data key).
func entry(lines ...string) string {
	return strings.Join(lines, "\n") + "\n"
}
