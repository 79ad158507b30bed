package main

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestMetricsAvailable(t *testing.T) {
	cases := map[string]struct {
		conditions []any
		want       bool
		wantSeen   string
	}{
		"available": {
			conditions: []any{
				map[string]any{"type": "TargetResolved", "status": "True", "reason": "TargetFound", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"},
				map[string]any{"type": "MetricsAvailable", "status": "True", "reason": "MetricsFound", "message": "1 replica", "lastTransitionTime": "2026-01-01T00:00:00Z"},
			},
			want:     true,
			wantSeen: "MetricsAvailable=True MetricsFound: 1 replica",
		},
		"missing": {
			conditions: []any{
				map[string]any{"type": "MetricsAvailable", "status": "False", "reason": "MetricsMissing", "message": "no series", "lastTransitionTime": "2026-01-01T00:00:00Z"},
			},
			wantSeen: "MetricsAvailable=False MetricsMissing: no series",
		},
		"not reconciled yet": {
			wantSeen: "no MetricsAvailable condition yet",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "llmd.ai/v1alpha1", "kind": "VariantAutoscaling",
				"metadata": map[string]any{"namespace": "wva-demo", "name": "granite-l4"},
			}}
			if tc.conditions != nil {
				if err := unstructured.SetNestedSlice(u.Object, tc.conditions, "status", "conditions"); err != nil {
					t.Fatal(err)
				}
			}
			got, seen, err := metricsAvailable(u)
			if err != nil {
				t.Fatalf("metricsAvailable: %v", err)
			}
			if got != tc.want || seen != tc.wantSeen {
				t.Errorf("metricsAvailable = %t, %q; want %t, %q", got, seen, tc.want, tc.wantSeen)
			}
		})
	}
}
