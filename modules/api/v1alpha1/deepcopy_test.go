package v1alpha1_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// fullVariantAutoscaling returns an object with every pointer, slice and map
// set, so that a shallow copy anywhere would be caught. Each call returns a
// new, independent object.
func fullVariantAutoscaling() *v1alpha1.VariantAutoscaling {
	at := metav1.NewTime(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	return &v1alpha1.VariantAutoscaling{
		TypeMeta: metav1.TypeMeta{APIVersion: "llmd.ai/v1alpha1", Kind: "VariantAutoscaling"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        "granite-a100",
			Namespace:   "production",
			Labels:      map[string]string{"app": "granite"},
			Annotations: map[string]string{"note": "original"},
			Generation:  3,
		},
		Spec: v1alpha1.VariantAutoscalingSpec{
			ScaleTargetRef: v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "granite"},
			ModelID:        "ibm/granite-13b",
			VariantCost:    "10",
			MinReplicas:    ptr(int32(1)),
			MaxReplicas:    ptr(int32(4)),
		},
		Status: v1alpha1.VariantAutoscalingStatus{
			ObservedGeneration: 3,
			CurrentReplicas:    ptr(int32(2)),
			DesiredReplicas:    ptr(int32(3)),
			LastScaleTime:      &at,
			AppliedConfig: v1alpha1.AppliedCapacityConfig{
				KvCacheThreshold:         "0.80",
				QueueLengthThreshold:     5,
				KvSpareTrigger:           "0.10",
				QueueSpareTrigger:        3,
				Source:                   "override/granite-prod",
				ConfigMapResourceVersion: "4711",
			},
			LastAnalysis: v1alpha1.CapacityAnalysis{
				Replicas:              2,
				SaturatedReplicas:     1,
				AvgSpareKvCapacity:    "0.05",
				AvgSpareQueueCapacity: "1.50",
				Decision:              v1alpha1.DecisionScaleUp,
				Reason:                "average spare KV capacity 0.05 below trigger 0.10",
				Time:                  at,
			},
			Conditions: []metav1.Condition{{
				Type:               v1alpha1.ConditionReady,
				Status:             metav1.ConditionTrue,
				Reason:             v1alpha1.ReasonReconciled,
				Message:            "scaled to 3",
				ObservedGeneration: 3,
				LastTransitionTime: at,
			}},
		},
	}
}

func ptr[T any](v T) *T { return &v }

func TestVariantAutoscalingDeepCopyIsIndependent(t *testing.T) {
	later := metav1.NewTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	cases := map[string]struct {
		mutate func(*v1alpha1.VariantAutoscaling)
	}{
		"labels":            {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Labels["app"] = "changed" }},
		"annotations":       {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Annotations["note"] = "changed" }},
		"scaleTargetRef":    {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Spec.ScaleTargetRef.Name = "changed" }},
		"minReplicas":       {mutate: func(va *v1alpha1.VariantAutoscaling) { *va.Spec.MinReplicas = 7 }},
		"maxReplicas":       {mutate: func(va *v1alpha1.VariantAutoscaling) { *va.Spec.MaxReplicas = 9 }},
		"lastScaleTime":     {mutate: func(va *v1alpha1.VariantAutoscaling) { *va.Status.LastScaleTime = later }},
		"appliedConfig":     {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Status.AppliedConfig.Source = "builtin" }},
		"lastAnalysis":      {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Status.LastAnalysis.Decision = "NoChange" }},
		"lastAnalysis time": {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Status.LastAnalysis.Time = later }},
		"condition element": {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Status.Conditions[0].Status = metav1.ConditionFalse }},
		"condition time":    {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Status.Conditions[0].LastTransitionTime = later }},
		"conditions appended": {mutate: func(va *v1alpha1.VariantAutoscaling) {
			va.Status.Conditions = append(va.Status.Conditions[:1], metav1.Condition{Type: "X"})
		}},
		"pointers set to nil":  {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Spec.MinReplicas, va.Status.CurrentReplicas = nil, nil }},
		"whole status cleared": {mutate: func(va *v1alpha1.VariantAutoscaling) { va.Status = v1alpha1.VariantAutoscalingStatus{} }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			original := fullVariantAutoscaling()
			want := fullVariantAutoscaling()

			copied := original.DeepCopy()
			if diff := cmp.Diff(want, copied); diff != "" {
				t.Fatalf("DeepCopy() differs from the original: -want +got:\n%s", diff)
			}
			tc.mutate(copied)
			if diff := cmp.Diff(want, original); diff != "" {
				t.Errorf("mutating the copy changed the original: -want +got:\n%s", diff)
			}
		})
	}
}

func TestVariantAutoscalingListDeepCopyObjectIsIndependent(t *testing.T) {
	original := &v1alpha1.VariantAutoscalingList{Items: []v1alpha1.VariantAutoscaling{*fullVariantAutoscaling()}}
	want := &v1alpha1.VariantAutoscalingList{Items: []v1alpha1.VariantAutoscaling{*fullVariantAutoscaling()}}

	obj := original.DeepCopyObject()
	copied, ok := obj.(*v1alpha1.VariantAutoscalingList)
	if !ok {
		t.Fatalf("DeepCopyObject() returned %T, want *VariantAutoscalingList", obj)
	}
	*copied.Items[0].Spec.MinReplicas = 42
	copied.Items[0].Status.Conditions[0].Reason = "Changed"
	copied.Items = append(copied.Items, v1alpha1.VariantAutoscaling{})

	if diff := cmp.Diff(want, original); diff != "" {
		t.Errorf("mutating the copy changed the original: -want +got:\n%s", diff)
	}
}

func TestDeepCopyOfNilIsNil(t *testing.T) {
	var va *v1alpha1.VariantAutoscaling
	if got := va.DeepCopy(); got != nil {
		t.Errorf("(*VariantAutoscaling)(nil).DeepCopy() = %+v, want nil", got)
	}
	var list *v1alpha1.VariantAutoscalingList
	if got := list.DeepCopy(); got != nil {
		t.Errorf("(*VariantAutoscalingList)(nil).DeepCopy() = %+v, want nil", got)
	}
}
