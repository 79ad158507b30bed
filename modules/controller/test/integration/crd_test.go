//go:build integration

package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

func TestCRDValidation(t *testing.T) {
	ns := namespace(t, "crd")
	cases := map[string]struct {
		mutate  func(va *v1alpha1.VariantAutoscaling)
		wantErr string
	}{
		// A Go client omits the empty string (omitempty); kubectl sends it,
		// which the "sent as JSON" test below covers.
		"empty modelID from a Go client": {
			mutate:  func(va *v1alpha1.VariantAutoscaling) { va.Spec.ModelID = "" },
			wantErr: "spec.modelID: Required value",
		},
		"maxReplicas below minReplicas": {
			mutate: func(va *v1alpha1.VariantAutoscaling) {
				va.Spec.MinReplicas, va.Spec.MaxReplicas = ptr.To[int32](3), ptr.To[int32](2)
			},
			wantErr: "maxReplicas must be greater than or equal to minReplicas",
		},
		"maxReplicas below the default minReplicas": {
			mutate:  func(va *v1alpha1.VariantAutoscaling) { va.Spec.MaxReplicas = ptr.To[int32](0) },
			wantErr: "maxReplicas must be greater than or equal to minReplicas",
		},
		"variantCost not a decimal": {
			mutate:  func(va *v1alpha1.VariantAutoscaling) { va.Spec.VariantCost = "cheap" },
			wantErr: `spec.variantCost in body should match '^[0-9]+(\.[0-9]+)?$'`,
		},
		"negative variantCost": {
			mutate:  func(va *v1alpha1.VariantAutoscaling) { va.Spec.VariantCost = "-1" },
			wantErr: `spec.variantCost in body should match '^[0-9]+(\.[0-9]+)?$'`,
		},
		"negative minReplicas": {
			mutate:  func(va *v1alpha1.VariantAutoscaling) { va.Spec.MinReplicas = ptr.To[int32](-1) },
			wantErr: "spec.minReplicas in body should be greater than or equal to 0",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			va := variantAutoscaling(ns, "bad", "ibm/granite-13b")
			tc.mutate(va)
			err := k8s.Create(context.Background(), va)
			if err == nil {
				t.Fatalf("creating %+v: accepted, want rejected", va.Spec)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}

	t.Run("empty strings sent as JSON", func(t *testing.T) {
		for field, wantErr := range map[string]string{
			"modelID":     "spec.modelID in body should be at least 1 chars long",
			"variantCost": "spec.variantCost in body should be at least 1 chars long",
		} {
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": v1alpha1.GroupVersion.String(), "kind": "VariantAutoscaling",
				"metadata": map[string]any{"namespace": ns, "name": "bad-json"},
				"spec": map[string]any{
					"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "t"},
					"modelID":        "ibm/granite-13b",
				},
			}}
			if err := unstructured.SetNestedField(u.Object, "", "spec", field); err != nil {
				t.Fatal(err)
			}
			err := k8s.Create(context.Background(), u)
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("spec.%s \"\": error %v, want one containing %q", field, err, wantErr)
			}
		}
	})

	t.Run("valid object gets the defaults", func(t *testing.T) {
		va := variantAutoscaling(ns, "good", "ibm/granite-13b")
		create(t, va)
		got := getVA(t, ns, "good").Spec
		want := va.Spec
		want.VariantCost, want.MinReplicas = "10", ptr.To[int32](1)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("spec after defaulting: -want +got:\n%s", diff)
		}
	})
}
