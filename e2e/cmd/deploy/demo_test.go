package main

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestMetricsAvailable(t *testing.T) {
	since := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	available := map[string]any{"type": "MetricsAvailable", "status": "True", "reason": "MetricsFound", "message": "1 replica", "lastTransitionTime": "2026-01-01T00:00:00Z"}
	analysis := func(at string) map[string]any {
		return map[string]any{"replicas": int64(1), "saturatedReplicas": int64(0), "decision": "NoChange", "reason": "r", "time": at}
	}
	cases := map[string]struct {
		conditions []any
		analysis   map[string]any
		want       bool
		wantSeen   string
	}{
		"available, analysed after the apply": {
			conditions: []any{
				map[string]any{"type": "TargetResolved", "status": "True", "reason": "TargetFound", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"},
				available,
			},
			analysis: analysis("2026-01-01T00:00:10Z"),
			want:     true,
			wantSeen: "MetricsAvailable=True MetricsFound: 1 replica",
		},
		"available, but from before the apply": {
			conditions: []any{available},
			analysis:   analysis("2026-01-01T00:00:09Z"),
			wantSeen:   "MetricsAvailable=True MetricsFound: 1 replica; last analysis at 2026-01-01T00:00:09Z, before the apply",
		},
		"available, no analysis": {
			conditions: []any{available},
			wantSeen:   "MetricsAvailable=True MetricsFound: 1 replica; no analysis yet",
		},
		"missing": {
			conditions: []any{
				map[string]any{"type": "MetricsAvailable", "status": "False", "reason": "MetricsMissing", "message": "no series", "lastTransitionTime": "2026-01-01T00:00:00Z"},
			},
			analysis: analysis("2026-01-01T00:00:20Z"),
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
			if tc.analysis != nil {
				if err := unstructured.SetNestedMap(u.Object, tc.analysis, "status", "lastAnalysis"); err != nil {
					t.Fatal(err)
				}
			}
			got, seen, err := metricsAvailable(u, since)
			if err != nil {
				t.Fatalf("metricsAvailable: %v", err)
			}
			if got != tc.want || seen != tc.wantSeen {
				t.Errorf("metricsAvailable = %t, %q; want %t, %q", got, seen, tc.want, tc.wantSeen)
			}
		})
	}
}
