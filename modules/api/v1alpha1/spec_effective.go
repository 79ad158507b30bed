package v1alpha1

import (
	"math"
	"strconv"
)

// The effective values of the optional spec fields, with their defaults
// applied, as the controller and the kubectl-wva plugin read them. The CRD
// defaults and validates the fields on admission; these also cover objects
// that bypassed it (an older CRD, a fake client).

// EffectiveCost is spec.variantCost as a number: DefaultVariantCost when
// empty, and also when it does not parse as a non-negative number (which the
// CRD's pattern rejects).
func (s VariantAutoscalingSpec) EffectiveCost() float64 {
	v := s.VariantCost
	if v == "" {
		v = DefaultVariantCost
	}
	c, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(c) || c < 0 {
		c, _ = strconv.ParseFloat(DefaultVariantCost, 64)
	}
	return c
}

// EffectiveMinReplicas is spec.minReplicas: DefaultMinReplicas when unset,
// never negative.
func (s VariantAutoscalingSpec) EffectiveMinReplicas() int32 {
	if s.MinReplicas == nil {
		return DefaultMinReplicas
	}
	return max(*s.MinReplicas, 0)
}

// EffectiveMaxReplicas is spec.maxReplicas: unbounded (math.MaxInt32) when
// unset.
func (s VariantAutoscalingSpec) EffectiveMaxReplicas() int32 {
	if s.MaxReplicas == nil {
		return math.MaxInt32
	}
	return *s.MaxReplicas
}
