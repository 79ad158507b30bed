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

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// vaResource is the VariantAutoscaling resource.
var vaResource = v1alpha1.GroupVersion.WithResource("variantautoscalings")

// builtin is what status.appliedConfig shows when no ConfigMap (or no valid
// default entry) applies: the spec's defaults 0.80 / 5 / 0.10 / 3.
var builtin = v1alpha1.AppliedCapacityConfig{
	KvCacheThreshold: "0.80", QueueLengthThreshold: 5, KvSpareTrigger: "0.10", QueueSpareTrigger: 3,
	Source: v1alpha1.ConfigSourceBuiltin,
}

// applied returns the status.appliedConfig expected from a ConfigMap entry.
func applied(kv string, queue int32, spareKv string, spareQueue int32, source, resourceVersion string) v1alpha1.AppliedCapacityConfig {
	return v1alpha1.AppliedCapacityConfig{
		KvCacheThreshold: kv, QueueLengthThreshold: queue, KvSpareTrigger: spareKv, QueueSpareTrigger: spareQueue,
		Source: source, ConfigMapResourceVersion: resourceVersion,
	}
}

// inheriting is a with its thresholds' provenance: the status's inherited
// field, the thresholds its source does not set (field=source pairs).
func inheriting(a v1alpha1.AppliedCapacityConfig, inherited string) v1alpha1.AppliedCapacityConfig {
	a.Inherited = inherited
	return a
}

// va describes a VariantAutoscaling for a feature to create.
type va struct {
	namespace, name, model string
	// target is the name of the Deployment to scale (default: the VA's name;
	// it need not exist).
	target string
	// min and max are spec.minReplicas and spec.maxReplicas; 0 leaves them
	// unset (the CRD's defaults: 1 and unbounded), unless minZero asks for
	// minReplicas 0.
	min, max int32
	minZero  bool
	// cost is spec.variantCost (default: the CRD's "10").
	cost string
}

func (v va) key() types.NamespacedName {
	return types.NamespacedName{Namespace: v.namespace, Name: v.name}
}

// createVA creates v, labelled with the fixture's feature.
func (f *fixture) createVA(ctx context.Context, v va) error {
	target := v.target
	if target == "" {
		target = v.name
	}
	obj := &v1alpha1.VariantAutoscaling{
		TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "VariantAutoscaling"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: v.namespace, Name: v.name,
			Labels: map[string]string{featureLabel: f.name},
		},
		Spec: v1alpha1.VariantAutoscalingSpec{
			ScaleTargetRef: v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: target},
			ModelID:        v.model,
		},
	}
	if v.min > 0 || v.minZero {
		obj.Spec.MinReplicas = ptr.To(v.min)
	}
	if v.max > 0 {
		obj.Spec.MaxReplicas = ptr.To(v.max)
	}
	obj.Spec.VariantCost = v.cost
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return fmt.Errorf("encoding VariantAutoscaling %s: %w", v.key(), err)
	}
	_, err = f.s.dyn.Resource(vaResource).Namespace(v.namespace).Create(ctx, &unstructured.Unstructured{Object: content},
		metav1.CreateOptions{FieldManager: fieldManager})
	if err != nil {
		return fmt.Errorf("creating VariantAutoscaling %s: %w", v.key(), err)
	}
	return nil
}

// createVAs creates vas with at most parallel requests in flight.
func (f *fixture) createVAs(ctx context.Context, t *testing.T, parallel int, vas ...va) {
	t.Helper()
	start := time.Now()
	sem := make(chan struct{}, parallel)
	errs := make(chan error, len(vas))
	var wg sync.WaitGroup
	for _, v := range vas {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs <- f.createVA(ctx, v)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("created %d VariantAutoscalings in %s (%d in parallel)", len(vas), time.Since(start).Round(time.Millisecond), parallel)
}

// listVAs returns the fixture's VariantAutoscalings in every namespace, by
// namespace/name.
func (f *fixture) listVAs(ctx context.Context) (map[types.NamespacedName]v1alpha1.VariantAutoscaling, error) {
	list, err := f.s.dyn.Resource(vaResource).List(ctx, metav1.ListOptions{LabelSelector: featureLabel + "=" + f.name})
	if err != nil {
		return nil, fmt.Errorf("listing VariantAutoscalings: %w", err)
	}
	out := make(map[types.NamespacedName]v1alpha1.VariantAutoscaling, len(list.Items))
	for _, item := range list.Items {
		var obj v1alpha1.VariantAutoscaling
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(item.Object, &obj); err != nil {
			return nil, fmt.Errorf("decoding VariantAutoscaling %s/%s: %w", item.GetNamespace(), item.GetName(), err)
		}
		out[types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}] = obj
	}
	return out, nil
}

// appliedConfigs is a poll.Condition that holds when every VA of want shows
// exactly its expected status.appliedConfig. It reports how many match and
// the first that does not.
func (f *fixture) appliedConfigs(want map[types.NamespacedName]v1alpha1.AppliedCapacityConfig) func(context.Context) (bool, string, error) {
	keys := make([]types.NamespacedName, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) })
	return func(ctx context.Context) (bool, string, error) {
		got, err := f.listVAs(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		matched := 0
		var firstMismatch string
		for _, k := range keys {
			obj, ok := got[k]
			switch {
			case !ok:
				if firstMismatch == "" {
					firstMismatch = k.String() + " does not exist"
				}
			case obj.Status.AppliedConfig == nil || !sameApplied(*obj.Status.AppliedConfig, want[k]):
				if firstMismatch == "" {
					firstMismatch = fmt.Sprintf("%s: appliedConfig %s, want %s", k, describeApplied(obj.Status.AppliedConfig), describeApplied(ptr.To(want[k])))
				}
			default:
				matched++
			}
		}
		seen := fmt.Sprintf("%d/%d VariantAutoscalings as expected", matched, len(keys))
		if firstMismatch != "" {
			seen += "; " + firstMismatch
		}
		return matched == len(keys), seen, nil
	}
}

// sameApplied compares two applied configurations, windowEnds by the time
// it names (the API server keeps seconds).
func sameApplied(a, b v1alpha1.AppliedCapacityConfig) bool {
	ends := func(t *metav1.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return t.Truncate(time.Second)
	}
	if !ends(a.WindowEnds).Equal(ends(b.WindowEnds)) {
		return false
	}
	a.WindowEnds, b.WindowEnds = nil, nil
	return a == b
}

func describeApplied(a *v1alpha1.AppliedCapacityConfig) string {
	if a == nil {
		return "<none>"
	}
	window := ""
	if a.Window != "" {
		window = " window=" + a.Window
		if a.WindowEnds != nil {
			window += " until " + a.WindowEnds.UTC().Format(time.RFC3339)
		}
	}
	return fmt.Sprintf("{%s/%d/%s/%d source=%s%s inherited=%q rv=%q}", a.KvCacheThreshold, a.QueueLengthThreshold,
		a.KvSpareTrigger, a.QueueSpareTrigger, a.Source, window, a.Inherited, a.ConfigMapResourceVersion)
}

// condition returns the condition of type typ of obj, or nil.
func condition(obj v1alpha1.VariantAutoscaling, typ string) *metav1.Condition {
	return apimeta.FindStatusCondition(obj.Status.Conditions, typ)
}

func describeCondition(c *metav1.Condition) string {
	if c == nil {
		return "<absent>"
	}
	return fmt.Sprintf("%s=%s reason=%s message=%q", c.Type, c.Status, c.Reason, c.Message)
}

// pauseDeployment is a Deployment whose pods run registry.k8s.io/pause:3.10,
// which is preloaded in the kind node image (it is the sandbox image), with
// the restricted security context.
func pauseDeployment(namespace, name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app.kubernetes.io/name": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](0),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr.To(true),
						RunAsUser:      ptr.To[int64](65535),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:            "pause",
						Image:           "registry.k8s.io/pause:3.10",
						ImagePullPolicy: corev1.PullIfNotPresent,
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false),
							ReadOnlyRootFilesystem:   ptr.To(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
				},
			},
		},
	}
}
