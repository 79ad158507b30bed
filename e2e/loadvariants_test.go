//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/load"
	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/e2e/internal/workload"
)

// Feature 12 settings: a ramp to 10 req/s (3 replicas' worth) in 30 s, held
// for 30 s, on a cheap variant (cost 5, 1-2 replicas) and an expensive one
// (cost 20, 0-2 replicas) of one model behind one Service.
const (
	variantsProfile = "ramp:0-10:30s,hold:10:30s"
	variantsRate    = 10
	cheapVariant    = "cheap"
	costlyVariant   = "costly"
)

// Feature 12: two variants of one model with different costs. The model
// needs 3 replicas: scale-up fills the cheap variant to its maximum before
// it adds any expensive replica, and scale-down removes the expensive
// replicas (down to their minimum 0) before any cheap one.
func TestLoadTwoVariantsByCost(t *testing.T) {
	f := fixture.New(suite, "loadvariants")
	cheap := fixture.VA{Min: 1, Max: 2, Cost: "5"}
	costly := fixture.VA{MinZero: true, Max: 2, Cost: "20"}
	r := load.NewRun(f, t, "two-variants", variantsProfile,
		[]workload.Variant{{Name: cheapVariant, Replicas: 1}, {Name: costlyVariant, Replicas: 0}},
		[]fixture.VA{cheap, costly})
	needed := r.Needed(variantsRate)

	feature := features.New("two variants of one model with different costs").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("Prometheus, the model's cheap variant at 1 replica and its expensive one at 0, the controller on a 20 s window",
			fixture.Steps(cheapShortOf(needed, cheap), r.SetUpStep)).
		Assess("the load generator starts its profile", r.StartStep).
		Assess(fmt.Sprintf("scale-up fills the cheap variant first, then adds expensive replicas (the load needs %d)", needed), fixture.Steps(
			r.VariantsUpStep(fmt.Sprintf("%d replicas, %d of them expensive", needed, needed-cheap.Max),
				func(total int32, by map[string]int32) bool { return total >= needed && by[costlyVariant] >= 1 }),
			costOrderKept(r, true),
		)).
		Assess("the load stops and scale-down removes the expensive replicas first", fixture.Steps(
			// At most 4 replicas (both variants at their maximum) come down
			// to 1; the wait allows a window more than that takes.
			r.VariantsDownStep("cheap at minReplicas 1 and expensive at 0", cheap.Max+costly.Max-cheap.Min,
				func(_ int32, by map[string]int32) bool {
					return by[cheapVariant] == cheap.Min && by[costlyVariant] == 0
				}),
			costOrderKept(r, false),
		)).
		Assess("the timeline: one up and one down phase, bounds, errors", r.CheckPhasesStep(cheap.Min, nil)).
		WithTeardown("write the timeline, restore the controller's args, delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// cheapShortOf is a setup step that fails unless the replicas the load
// needs are more than the cheap variant's maximum (the feature's constants
// make it add expensive replicas).
func cheapShortOf(needed int32, cheap fixture.VA) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		if needed <= cheap.Max {
			t.Fatalf("feature constants: %d req/s needs %d replicas, which the cheap variant's maxReplicas %d holds alone", variantsRate, needed, cheap.Max)
		}
		return ctx
	}
}

// costOrderKept is a step that checks the cost order of the steps of one
// direction the run recorded so far (checkCostOrder).
func costOrderKept(r *load.Run, up bool) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		checkCostOrder(t, r.Rec.Snapshot(), up)
		return ctx
	}
}

// checkCostOrder checks the steps of one direction recorded so far: going
// up, the expensive variant gains a replica only while the cheap one is at
// its maximum (2); going down, the cheap variant loses one only while the
// expensive one is at its minimum (0).
func checkCostOrder(t *testing.T, s timeline.Series, up bool) {
	t.Helper()
	current := s.Initial()
	for _, st := range s.Steps() {
		current[st.Variant] = st.To
		if st.Up() != up {
			continue
		}
		switch {
		case up && st.Variant == costlyVariant && current[cheapVariant] < 2:
			t.Errorf("at %.1fs the expensive variant scaled up to %d while the cheap one had %d replicas, below its maxReplicas 2",
				s.Elapsed(st.At), st.To, current[cheapVariant])
		case !up && st.Variant == cheapVariant && current[costlyVariant] > 0:
			t.Errorf("at %.1fs the cheap variant scaled down to %d while the expensive one still had %d replicas, above its minReplicas 0",
				s.Elapsed(st.At), st.To, current[costlyVariant])
		}
	}
}
