package v1alpha1_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

func TestAddToSchemeRegistersKinds(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatalf("AddToScheme() error = %v", err)
	}

	cases := map[string]struct {
		obj  runtime.Object
		want schema.GroupVersionKind
	}{
		"VariantAutoscaling": {
			obj:  &v1alpha1.VariantAutoscaling{},
			want: schema.GroupVersionKind{Group: "llmd.ai", Version: "v1alpha1", Kind: "VariantAutoscaling"},
		},
		"VariantAutoscalingList": {
			obj:  &v1alpha1.VariantAutoscalingList{},
			want: schema.GroupVersionKind{Group: "llmd.ai", Version: "v1alpha1", Kind: "VariantAutoscalingList"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			gvks, unversioned, err := scheme.ObjectKinds(tc.obj)
			if err != nil {
				t.Fatalf("ObjectKinds() error = %v", err)
			}
			if unversioned {
				t.Errorf("ObjectKinds() unversioned = true, want false")
			}
			if diff := cmp.Diff([]schema.GroupVersionKind{tc.want}, gvks); diff != "" {
				t.Errorf("ObjectKinds(): -want +got:\n%s", diff)
			}

			obj, err := scheme.New(tc.want)
			if err != nil {
				t.Fatalf("New(%v) error = %v", tc.want, err)
			}
			if got, want := reflect.TypeOf(obj), reflect.TypeOf(tc.obj); got != want {
				t.Errorf("New(%v) = %v, want %v", tc.want, got, want)
			}
		})
	}

	// The meta/v1 option types are registered for the group version too, as
	// clients need them to encode list and watch requests.
	if !scheme.Recognizes(v1alpha1.GroupVersion.WithKind("ListOptions")) {
		t.Errorf("scheme does not recognize ListOptions in %v", v1alpha1.GroupVersion)
	}
}

func TestResource(t *testing.T) {
	want := schema.GroupResource{Group: "llmd.ai", Resource: "variantautoscalings"}
	if diff := cmp.Diff(want, v1alpha1.Resource("variantautoscalings")); diff != "" {
		t.Errorf("Resource(): -want +got:\n%s", diff)
	}
}

// TestJSONFieldNames pins the wire format that the controller, kubectl users
// and the CRD schema share: renaming a JSON tag must fail here.
func TestJSONFieldNames(t *testing.T) {
	got, err := json.Marshal(fullVariantAutoscaling())
	if err != nil {
		t.Fatalf("Marshal() error = %v", err)
	}
	var gotMap map[string]any
	if err := json.Unmarshal(got, &gotMap); err != nil {
		t.Fatalf("Unmarshal() error = %v", err)
	}
	want := map[string]any{
		"apiVersion": "llmd.ai/v1alpha1",
		"kind":       "VariantAutoscaling",
		"metadata": map[string]any{
			"name":        "granite-a100",
			"namespace":   "production",
			"labels":      map[string]any{"app": "granite"},
			"annotations": map[string]any{"note": "original"},
			"generation":  float64(3),
		},
		"spec": map[string]any{
			"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "granite"},
			"modelID":        "ibm/granite-13b",
			"variantCost":    "10",
			"minReplicas":    float64(1),
			"maxReplicas":    float64(4),
		},
		"status": map[string]any{
			"observedGeneration": float64(3),
			"currentReplicas":    float64(2),
			"desiredReplicas":    float64(3),
			"lastScaleTime":      "2025-03-01T12:00:00Z",
			"appliedConfig": map[string]any{
				"kvCacheThreshold":         "0.80",
				"queueLengthThreshold":     float64(5),
				"kvSpareTrigger":           "0.10",
				"queueSpareTrigger":        float64(3),
				"source":                   "override/granite-prod",
				"configMapResourceVersion": "4711",
			},
			"lastAnalysis": map[string]any{
				"replicas":              float64(2),
				"saturatedReplicas":     float64(1),
				"avgSpareKvCapacity":    "0.05",
				"avgSpareQueueCapacity": "1.50",
				"decision":              "ScaleUp",
				"reason":                "average spare KV capacity 0.05 below trigger 0.10",
				"time":                  "2025-03-01T12:00:00Z",
			},
			"conditions": []any{map[string]any{
				"type":               "Ready",
				"status":             "True",
				"reason":             "Reconciled",
				"message":            "scaled to 3",
				"observedGeneration": float64(3),
				"lastTransitionTime": "2025-03-01T12:00:00Z",
			}},
		},
	}
	if diff := cmp.Diff(want, gotMap); diff != "" {
		t.Errorf("JSON encoding: -want +got:\n%s", diff)
	}

	var roundTripped v1alpha1.VariantAutoscaling
	if err := json.Unmarshal(got, &roundTripped); err != nil {
		t.Fatalf("Unmarshal() into VariantAutoscaling error = %v", err)
	}
	if diff := cmp.Diff(fullVariantAutoscaling(), &roundTripped); diff != "" {
		t.Errorf("JSON round trip: -want +got:\n%s", diff)
	}
}
