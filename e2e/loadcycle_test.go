//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/e2e/workload"
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
	f := suite.newFixture("loadcycle")
	r := newLoadRun(f, t, "direct", cycleProfile,
		[]workload.Variant{{Name: "a", Replicas: 1}},
		[]va{{min: cycleMin, max: cycleMax}})
	peak := min(r.needed(cycleRate), cycleMax)

	feature := features.New("load cycle, direct actuation").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.setup).
		WithSetup("Prometheus, the emulated model at 1 replica and the controller on a 20 s window", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			r.setUp(ctx, t)
			return ctx
		}).
		Assess("the load generator starts its profile", r.startStep).
		Assess(fmt.Sprintf("the model scales up to %d replicas (the load needs %d, maxReplicas %d) before the load stops", peak, r.needed(cycleRate), cycleMax),
			r.scaleUpStep("feature 11", peak)).
		Assess("the load stops and the model steps down to minReplicas, one step per window", r.scaleDownStep(peak, cycleMin)).
		Assess("the timeline: reaction, settle-down, one up and one down phase, bounds, errors", r.checkCycleStep(peak, cycleMin)).
		WithTeardown("write the timeline, restore the controller's args, delete the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}

// startStep is the Assess step that starts the load (loadRun.start).
func (r *loadRun) startStep(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	r.start(ctx, t)
	return ctx
}

// scaleUpStep is the Assess step that waits, until the load stops, for the
// model to reach peak replicas, measured under feature's name.
func (r *loadRun) scaleUpStep(feature string, peak int32) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		took := r.waitTotal(ctx, t, fmt.Sprintf("%d replicas", peak), peak, r.loadStart, r.profile.Duration())
		suite.measure("%s: load starts -> %d replicas", took, feature, peak)
		return ctx
	}
}

// scaleDownStep is the Assess step that waits for the model to come back
// from peak to minimum replicas after the load. The wait allows a window
// more than the budget, so that a slow step-down is measured and reported
// by checkCycleStep rather than cut.
func (r *loadRun) scaleDownStep(peak, minimum int32) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		budget := r.settleBudget(peak - minimum)
		r.waitTotal(ctx, t, fmt.Sprintf("minReplicas %d", minimum), minimum, r.loadStops(), budget+loadWindow)
		return ctx
	}
}

// checkCycleStep is the Assess step that waits for the load Job and checks
// the cycle's timeline (checkCycle).
func (r *loadRun) checkCycleStep(peak, minimum int32) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		summary, s := r.finish(ctx, t)
		checkCycle(t, r, s, summary, peak, minimum)
		return ctx
	}
}

// checkCycle reports the run's summary line and checks a load cycle from
// minimum to peak and back: the reaction to saturation, the settle-down
// time and its steps, no flapping, the bounds and the load generator's
// errors.
func checkCycle(t *testing.T, r *loadRun, s timeline.Series, summary workload.Summary, peak, minimum int32) {
	t.Helper()
	logSteps(t, s)
	steps := s.Steps()
	phases := s.Phases()
	flaps := timeline.Flaps(phases)

	reaction, settle := cycleTimes(r, s, minimum)
	r.report(t, reaction, settle, s.Peak(), flaps, summary)

	saturated, _ := r.saturation(1)
	if reaction == noTime {
		t.Errorf("no scale-up recorded")
	} else if budget := r.reactionBudget(); reaction > budget {
		t.Errorf("reaction %s: from saturation (%d running on the first replica, at %s) to the first scale-up, want <= %s (reconcile %s + scrape %s + actuation %s + %s)",
			reaction.Round(time.Millisecond), r.signalCount(), saturated.Format(time.RFC3339Nano), budget, loadReconcileInterval, promScrapeInterval, r.actuationLag(), loadReactionSlack)
	}
	if s.Peak() != peak {
		t.Errorf("peak %d replicas, want %d", s.Peak(), peak)
	}
	if settle == noTime {
		t.Errorf("the model did not come back to minReplicas %d after the load", minimum)
	} else if budget := r.settleBudget(peak - minimum); settle > budget {
		t.Errorf("settle-down %s from the end of the load to minReplicas, want <= %s (%d steps x (window %s + actuation %s) + reconcile %s + scrape %s + request %s + %s, see settleBudget)",
			settle.Round(time.Millisecond), budget, peak-minimum, loadWindow, r.actuationLag(), loadReconcileInterval, promScrapeInterval, r.model.RequestDuration(), loadMargin)
	}
	if len(phases) != 2 || !phases[0].Up || phases[1].Up || flaps != 0 {
		t.Errorf("phases %s, want one up phase and one down phase (flaps %d)", describePhases(s, phases), flaps)
	}
	// One step per window: each step down removes one replica, at least a
	// window after the previous one.
	var prev time.Time
	for _, st := range steps {
		if st.Up() {
			continue
		}
		if st.From-st.To != 1 {
			t.Errorf("step down at %.1fs removed %d replicas, want 1", s.Elapsed(st.At), st.From-st.To)
		}
		if !prev.IsZero() && st.At.Sub(prev) < loadWindow-time.Second {
			t.Errorf("step down at %.1fs came %s after the previous one, want at least the window %s",
				s.Elapsed(st.At), st.At.Sub(prev).Round(time.Millisecond), loadWindow)
		}
		prev = st.At
	}
	r.checkBounds(t, s)
	checkLoadErrors(t, summary)
}
