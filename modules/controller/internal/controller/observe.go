package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/actuation"
)

// member is one variant of the model in a pass: its VariantAutoscaling, its
// resolved target (nil when it could not be resolved, with targetErr saying
// why) and the pods of the target.
type member struct {
	va        *v1alpha1.VariantAutoscaling
	target    *actuation.Target
	targetErr error
	pods      []podInfo
	// Set by actuate: the failure writing the target, or the replicas it
	// had before a successful write.
	scaleErr   error
	scaledFrom *int32
}

// observation is everything one pass reads about a model: targets and pods
// from the workload cache (a /scale GET per variant whose target is not a
// Deployment or StatefulSet), and one metrics read (two Prometheus queries,
// run concurrently with the target reads).
type observation struct {
	members    []*member
	metrics    map[string]capacity.ReplicaMetrics // by pod; nil when metricsErr or no source
	metricsErr error
}

// variantsOf lists the VariantAutoscalings of a model from the cache, without
// those being deleted, sorted by name.
func (r *ModelReconciler) variantsOf(ctx context.Context, key ModelKey) ([]*v1alpha1.VariantAutoscaling, error) {
	list := &v1alpha1.VariantAutoscalingList{}
	if err := r.client.List(ctx, list, client.InNamespace(key.Namespace),
		client.MatchingFields{IndexModelID: key.ModelID}); err != nil {
		return nil, fmt.Errorf("listing the variants of model %q in namespace %s: %w", key.ModelID, key.Namespace, err)
	}
	out := make([]*v1alpha1.VariantAutoscaling, 0, len(list.Items))
	for i := range list.Items {
		if va := &list.Items[i]; va.DeletionTimestamp.IsZero() {
			out = append(out, va)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// observe reads the targets, pods and metrics of a model's variants. The
// metrics query starts first and runs while the targets are read. An error
// is returned only when the pods cannot be listed (the cache failed); a
// target that cannot be resolved is recorded on its member.
func (r *ModelReconciler) observe(ctx context.Context, key ModelKey, vas []*v1alpha1.VariantAutoscaling) (*observation, error) {
	obs := &observation{}
	metricsDone := make(chan struct{})
	if r.source != nil {
		go func() {
			defer close(metricsDone)
			obs.metrics, obs.metricsErr = r.source.ModelMetrics(ctx, key.Namespace, key.ModelID)
		}()
	} else {
		close(metricsDone)
	}
	var listErr error
	for _, va := range vas {
		m := &member{va: va}
		obs.members = append(obs.members, m)
		m.target, m.targetErr = actuation.Resolve(ctx, r.client, r.workloads, va.Namespace, va.Spec.ScaleTargetRef)
		if m.targetErr != nil {
			continue
		}
		pods, err := r.podsOf(ctx, m.target)
		if err != nil {
			listErr = errors.Join(listErr, err)
			continue
		}
		m.pods = pods
	}
	<-metricsDone
	return obs, listErr
}

// podsOf lists the live pods of a target from the cache, by the selector its
// /scale subresource publishes, sorted by name.
func (r *ModelReconciler) podsOf(ctx context.Context, t *actuation.Target) ([]podInfo, error) {
	if t.Selector == nil || t.Selector.Empty() {
		return nil, nil
	}
	pods := &corev1.PodList{}
	if err := r.workloads.List(ctx, pods, client.InNamespace(t.Namespace),
		client.MatchingLabelsSelector{Selector: t.Selector}); err != nil {
		return nil, fmt.Errorf("listing the pods of %s %s/%s: %w", t.GVK.Kind, t.Namespace, t.Name, err)
	}
	out := make([]podInfo, 0, len(pods.Items))
	for i := range pods.Items {
		p := &pods.Items[i]
		if !p.DeletionTimestamp.IsZero() || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		out = append(out, podInfoOf(p))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// forgetNamespaceIfEmpty lets the pod cache drop namespace once no
// VariantAutoscaling is left in it (read from the cache).
func (r *ModelReconciler) forgetNamespaceIfEmpty(ctx context.Context, namespace string) error {
	list := &v1alpha1.VariantAutoscalingList{}
	if err := r.client.List(ctx, list, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing the VariantAutoscalings of namespace %s: %w", namespace, err)
	}
	if len(list.Items) == 0 {
		r.workloads.Forget(namespace)
	}
	return nil
}
