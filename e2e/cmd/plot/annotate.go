package main

import (
	"context"
	"fmt"
	"math"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"

	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// marks labels the moments of each cycle on the PNG.
func marks(cycles []cycle) []timeline.Mark {
	var out []timeline.Mark
	for _, c := range cycles {
		for _, m := range []timeline.Mark{
			{Label: "load rises", At: c.Rise},
			{Label: "first scale-up", At: c.FirstScaleUp},
			{Label: "load idle", At: c.Fall},
			{Label: "back to start", At: c.BackToStart},
		} {
			if !m.At.IsZero() {
				out = append(out, m)
			}
		}
	}
	return out
}

// kvReferences returns the KV-cache thresholds the namespace's
// VariantAutoscalings apply (status.appliedConfig of the first that has
// one): the saturation threshold, and the mean usage above which the
// average spare capacity is below kvSpareTrigger and WVA scales up.
func kvReferences(ctx context.Context, dyn dynamic.Interface, namespace string) ([]timeline.Reference, error) {
	list, err := dyn.Resource(v1alpha1.GroupVersion.WithResource("variantautoscalings")).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the VariantAutoscalings of %s: %w", namespace, err)
	}
	for _, u := range list.Items {
		var va v1alpha1.VariantAutoscaling
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &va); err != nil {
			return nil, fmt.Errorf("decoding VariantAutoscaling %s/%s: %w", u.GetNamespace(), u.GetName(), err)
		}
		if va.Status.AppliedConfig.IsZero() {
			continue
		}
		return thresholds(va.Status.AppliedConfig)
	}
	return nil, fmt.Errorf("no VariantAutoscaling in %s reports status.appliedConfig", namespace)
}

func thresholds(c v1alpha1.AppliedCapacityConfig) ([]timeline.Reference, error) {
	kv, err := strconv.ParseFloat(c.KvCacheThreshold, 64)
	if err != nil {
		return nil, fmt.Errorf("appliedConfig.kvCacheThreshold %q: %w", c.KvCacheThreshold, err)
	}
	spare, err := strconv.ParseFloat(c.KvSpareTrigger, 64)
	if err != nil {
		return nil, fmt.Errorf("appliedConfig.kvSpareTrigger %q: %w", c.KvSpareTrigger, err)
	}
	return []timeline.Reference{
		{Label: "saturated at kvCacheThreshold", Value: kv},
		// Rounded: 0.8 - 0.1 is 0.7000000000000001 in binary.
		{Label: "scale-up above kvCacheThreshold - kvSpareTrigger", Value: math.Round((kv-spare)*1e9) / 1e9},
	}, nil
}
