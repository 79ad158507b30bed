package controller

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
)

// TestVocabulary pins the strings status takes from the capacity library to
// the constants modules/api owns: a decision is string(capacity.Direction)
// and a source string(capacity.Source), so the two must agree.
func TestVocabulary(t *testing.T) {
	for dir, want := range map[capacity.Direction]string{
		capacity.DirectionUp:   v1alpha1.DecisionScaleUp,
		capacity.DirectionDown: v1alpha1.DecisionScaleDown,
		capacity.DirectionNone: v1alpha1.DecisionNoChange,
	} {
		if got := analysisStatus(v1alpha1.CapacityAnalysis{}, capacity.Analysis{}, dir, "", metav1.Now()).Decision; got != want {
			t.Errorf("decision of %q = %q, want the API's %q", dir, got, want)
		}
	}
	for src, want := range map[capacity.Source]string{
		capacity.SourceBuiltin:                                 v1alpha1.ConfigSourceBuiltin,
		capacity.SourceDefault:                                 v1alpha1.ConfigSourceDefault,
		capacity.OverrideSource("granite-prod"):                v1alpha1.ConfigSourceOverridePrefix + "granite-prod",
		capacity.WindowSource(capacity.SourceDefault, "night"): v1alpha1.ConfigSourceDefault + "#night",
	} {
		if got := appliedConfig(capacity.Resolution{Source: src}, "1").Source; got != want {
			t.Errorf("source of %q = %q, want %q", src, got, want)
		}
	}
}

// TestAppliedConfigDecimals: status shows a threshold as the user wrote it,
// by the library's decimal policy, never rounded into another value.
func TestAppliedConfigDecimals(t *testing.T) {
	cases := map[string]struct {
		kv, spare         float64
		wantKv, wantSpare string
	}{
		"two decimals":      {kv: 0.8, spare: 0.1, wantKv: "0.80", wantSpare: "0.10"},
		"three are kept":    {kv: 0.805, spare: 0.125, wantKv: "0.805", wantSpare: "0.125"},
		"tiny, no exponent": {kv: 1, spare: 0.0000001, wantKv: "1.00", wantSpare: "0.0000001"},
		"zero":              {kv: 0.5, spare: 0, wantKv: "0.50", wantSpare: "0.00"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := capacity.Resolution{Config: capacity.CapacityScalingConfig{KvCacheThreshold: tc.kv, KvSpareTrigger: tc.spare}}
			got := appliedConfig(r, "1")
			if diff := cmp.Diff([2]string{tc.wantKv, tc.wantSpare}, [2]string{got.KvCacheThreshold, got.KvSpareTrigger}); diff != "" {
				t.Errorf("kvCacheThreshold, kvSpareTrigger: -want +got:\n%s", diff)
			}
		})
	}
}
