package v1alpha1

import (
	"math"
	"testing"
)

func TestEffectiveSpec(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	for name, tc := range map[string]struct {
		spec             VariantAutoscalingSpec
		cost             float64
		minimum, maximum int32
	}{
		"defaults":               {spec: VariantAutoscalingSpec{}, cost: 10, minimum: 1, maximum: math.MaxInt32},
		"set":                    {spec: VariantAutoscalingSpec{VariantCost: "2.5", MinReplicas: i32(0), MaxReplicas: i32(4)}, cost: 2.5, minimum: 0, maximum: 4},
		"bad cost, negative min": {spec: VariantAutoscalingSpec{VariantCost: "cheap", MinReplicas: i32(-1)}, cost: 10, minimum: 0, maximum: math.MaxInt32},
		"negative cost":          {spec: VariantAutoscalingSpec{VariantCost: "-1"}, cost: 10, minimum: 1, maximum: math.MaxInt32},
		"NaN cost":               {spec: VariantAutoscalingSpec{VariantCost: "NaN"}, cost: 10, minimum: 1, maximum: math.MaxInt32},
	} {
		t.Run(name, func(t *testing.T) {
			if got := tc.spec.EffectiveCost(); got != tc.cost {
				t.Errorf("EffectiveCost = %v, want %v", got, tc.cost)
			}
			if got := tc.spec.EffectiveMinReplicas(); got != tc.minimum {
				t.Errorf("EffectiveMinReplicas = %d, want %d", got, tc.minimum)
			}
			if got := tc.spec.EffectiveMaxReplicas(); got != tc.maximum {
				t.Errorf("EffectiveMaxReplicas = %d, want %d", got, tc.maximum)
			}
		})
	}
}
