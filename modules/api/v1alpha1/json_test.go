package v1alpha1_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// TestStatusJSON pins how status serializes: a replica count of zero is
// written (a target scaled to zero shows 0 in `kubectl get`, not a blank),
// an unset one and an unset lastAnalysis are omitted, and an empty status is
// left out of the object altogether (the schema requires at least one
// property of a status that is present).
func TestStatusJSON(t *testing.T) {
	zero := int32(0)
	at := metav1.NewTime(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	cases := map[string]struct {
		status v1alpha1.VariantAutoscalingStatus
		want   string // the status's JSON; "" when it is omitted
	}{
		"empty status is omitted": {},
		"zero replicas are written": {
			status: v1alpha1.VariantAutoscalingStatus{CurrentReplicas: &zero, DesiredReplicas: &zero},
			want:   `{"currentReplicas":0,"desiredReplicas":0}`,
		},
		"unset replicas and analysis are omitted": {
			status: v1alpha1.VariantAutoscalingStatus{ObservedGeneration: 2},
			want:   `{"observedGeneration":2}`,
		},
		"an analysis is written": {
			status: v1alpha1.VariantAutoscalingStatus{LastAnalysis: v1alpha1.CapacityAnalysis{
				Replicas: 1, Decision: v1alpha1.DecisionNoChange, Reason: "ok", Time: at,
			}},
			want: `{"lastAnalysis":{"replicas":1,"saturatedReplicas":0,"decision":"NoChange","reason":"ok","time":"2026-12-02T09:00:00Z"}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			va := v1alpha1.VariantAutoscaling{Status: tc.status}
			b, err := json.Marshal(va)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(b, &fields); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(fields["status"])); diff != "" {
				t.Errorf("status JSON of %s: -want +got:\n%s", b, diff)
			}
			var back v1alpha1.VariantAutoscaling
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.status, back.Status); diff != "" {
				t.Errorf("round trip: -want +got:\n%s", diff)
			}
		})
	}
}

func TestCapacityAnalysisIsZero(t *testing.T) {
	if !(v1alpha1.CapacityAnalysis{}).IsZero() {
		t.Error("the zero analysis is not IsZero")
	}
	if (v1alpha1.CapacityAnalysis{Decision: v1alpha1.DecisionNoChange}).IsZero() {
		t.Error("an analysis with a decision is IsZero")
	}
}
