//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/load"
	"github.com/wva-project/wva/e2e/internal/workload"
)

// Feature 11 settings: a ramp to 16 req/s (5 replicas' worth) in 40 s, held
// for 40 s: the model climbs to maxReplicas 4 with time to settle there
// before the load stops.
const (
	cycleProfile = "ramp:0-16:40s,hold:16:40s"
	cycleRate    = 16
	cycleMin     = 1
	cycleMax     = 4
)

// Feature 11: the closed loop on a real cluster, direct actuation. The load
// generator ramps one variant of an emulated model up to more than its
// maximum can serve below the scale-up threshold, holds, and stops. WVA
// scales the Deployment through /scale from minReplicas to maxReplicas, a
// replica at a time as each new one settles, then steps it back down to
// minReplicas one stabilization window at a time.
func TestLoadCycleDirectActuation(t *testing.T) {
	f := fixture.New(suite, "loadcycle")
	r := load.NewRun(f, t, "direct", cycleProfile,
		[]workload.Variant{{Name: "a", Replicas: 1}},
		[]fixture.VA{{Min: cycleMin, Max: cycleMax}})
	peak := min(r.Needed(cycleRate), cycleMax)

	feature := features.New("load cycle, direct actuation").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("Prometheus, the emulated model at 1 replica and the controller on a 20 s window", r.SetUpStep).
		Assess("the load generator starts its profile", r.StartStep).
		Assess(fmt.Sprintf("the model scales up to %d replicas (the load needs %d, maxReplicas %d) before the load stops", peak, r.Needed(cycleRate), cycleMax),
			r.ScaleUpStep("feature 11", peak)).
		Assess("the load stops and the model steps down to minReplicas, one step per window", r.ScaleDownStep(peak, cycleMin)).
		Assess("the timeline: reaction, settle-down, one up and one down phase, bounds, errors", r.CheckCycleStep(peak, cycleMin)).
		WithTeardown("write the timeline, restore the controller's args, delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
