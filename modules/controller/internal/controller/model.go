package controller

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/actuation"
)

// member is one variant of the model being reconciled, with its resolved target.
type member struct {
	va     *v1alpha1.VariantAutoscaling
	target *actuation.Target
	pods   []string
}

// siblings lists the VariantAutoscalings of va's (namespace, modelID) from the
// cache, va itself included with its current spec, sorted by name.
func (r *VariantAutoscalingReconciler) siblings(ctx context.Context, va *v1alpha1.VariantAutoscaling) ([]*v1alpha1.VariantAutoscaling, error) {
	list := &v1alpha1.VariantAutoscalingList{}
	if err := r.client.List(ctx, list, client.InNamespace(va.Namespace),
		client.MatchingFields{IndexModelID: va.Spec.ModelID}); err != nil {
		return nil, fmt.Errorf("listing the variants of model %q: %w", va.Spec.ModelID, err)
	}
	out := []*v1alpha1.VariantAutoscaling{va}
	for i := range list.Items {
		s := &list.Items[i]
		if s.Name != va.Name && s.DeletionTimestamp.IsZero() {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// members resolves the targets and pods of the siblings. self's target is
// already resolved; a sibling whose target cannot be resolved is left out of
// the model (its own reconcile reports why).
func (r *VariantAutoscalingReconciler) members(ctx context.Context, self *v1alpha1.VariantAutoscaling, selfTarget *actuation.Target, siblings []*v1alpha1.VariantAutoscaling) ([]member, error) {
	out := make([]member, 0, len(siblings))
	for _, va := range siblings {
		m := member{va: va, target: selfTarget}
		if va.Name != self.Name {
			t, err := actuation.Resolve(ctx, r.client, va.Namespace, va.Spec.ScaleTargetRef)
			if err != nil {
				ctrl.LoggerFrom(ctx).V(1).Info("Leaving a variant out of the model: target not resolved",
					"variant", va.Name, "error", err.Error())
				continue
			}
			m.target = t
		}
		pods, err := r.podsOf(ctx, m.target)
		if err != nil {
			return nil, err
		}
		m.pods = pods
		out = append(out, m)
	}
	return out, nil
}

// podsOf lists the live pods of a target from the cache, by the selector its
// /scale subresource publishes.
func (r *VariantAutoscalingReconciler) podsOf(ctx context.Context, t *actuation.Target) ([]string, error) {
	if t.Selector == nil || t.Selector.Empty() {
		return nil, nil
	}
	pods := &corev1.PodList{}
	if err := r.client.List(ctx, pods, client.InNamespace(t.Namespace),
		client.MatchingLabelsSelector{Selector: t.Selector}); err != nil {
		return nil, fmt.Errorf("listing the pods of %s %s/%s: %w", t.GVK.Kind, t.Namespace, t.Name, err)
	}
	names := make([]string, 0, len(pods.Items))
	for i := range pods.Items {
		p := &pods.Items[i]
		if !p.DeletionTimestamp.IsZero() || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names, nil
}

// variants turns members and their metrics (in members' pod order) into the
// analyzer's input.
func variants(members []member, metrics []capacity.ReplicaMetrics) []capacity.Variant {
	out := make([]capacity.Variant, 0, len(members))
	next := 0
	for _, m := range members {
		v := capacity.Variant{
			Name:            m.va.Name,
			Cost:            variantCost(m.va),
			CurrentReplicas: m.target.Replicas(),
			MinReplicas:     minReplicas(m.va),
			MaxReplicas:     maxReplicas(m.va),
			Replicas:        metrics[next : next+len(m.pods)],
		}
		next += len(m.pods)
		out = append(out, v)
	}
	return out
}

// allPods concatenates the members' pods, in order.
func allPods(members []member) []string {
	var out []string
	for _, m := range members {
		out = append(out, m.pods...)
	}
	return out
}

func variantCost(va *v1alpha1.VariantAutoscaling) float64 {
	s := va.Spec.VariantCost
	if s == "" {
		s = v1alpha1.DefaultVariantCost
	}
	c, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(c) || c < 0 {
		// The CRD pattern rejects this; an object that bypassed it costs the default.
		c, _ = strconv.ParseFloat(v1alpha1.DefaultVariantCost, 64)
	}
	return c
}

func minReplicas(va *v1alpha1.VariantAutoscaling) int32 {
	if va.Spec.MinReplicas == nil {
		return v1alpha1.DefaultMinReplicas
	}
	return *va.Spec.MinReplicas
}

func maxReplicas(va *v1alpha1.VariantAutoscaling) int32 {
	if va.Spec.MaxReplicas == nil {
		return math.MaxInt32
	}
	return *va.Spec.MaxReplicas
}

// withMetrics counts the replicas reporting both metrics.
func withMetrics(replicas []capacity.ReplicaMetrics) int {
	n := 0
	for _, r := range replicas {
		if r.HasKvCacheUsage && r.HasQueueLength {
			n++
		}
	}
	return n
}
