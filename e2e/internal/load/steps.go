package load

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/workload"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// StartStep is the Assess step that starts the load (Run.Start).
func (r *Run) StartStep(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	r.Start(ctx, t)
	return ctx
}

// ScaleUpStep is the Assess step that waits, until the load stops, for the
// model to reach peak replicas, measured under feature's name.
func (r *Run) ScaleUpStep(feature string, peak int32) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		took := r.WaitTotal(ctx, t, fmt.Sprintf("%d replicas", peak), peak, r.LoadStart, r.Profile.Duration())
		r.f.Suite.Measure("%s: load starts -> %d replicas", took, feature, peak)
		return ctx
	}
}

// ScaleDownStep is the Assess step that waits for the model to come back
// from peak to minimum replicas after the load. The wait allows a window
// more than the budget, so that a slow step-down is measured and reported
// by CheckCycleStep rather than cut.
func (r *Run) ScaleDownStep(peak, minimum int32) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		budget := r.SettleBudget(peak - minimum)
		r.WaitTotal(ctx, t, fmt.Sprintf("minReplicas %d", minimum), minimum, r.LoadStops(), budget+LoadWindow)
		return ctx
	}
}

// CheckCycleStep is the Assess step that waits for the load Job and checks
// the cycle's timeline (checkCycle).
func (r *Run) CheckCycleStep(peak, minimum int32) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		summary, s := r.Finish(ctx, t)
		checkCycle(t, r, s, summary, peak, minimum)
		return ctx
	}
}

// checkCycle reports the run's summary line and checks a load cycle from
// minimum to peak and back: the reaction to saturation, the settle-down
// time and its steps, no flapping, the bounds and the load generator's
// errors.
func checkCycle(t *testing.T, r *Run, s timeline.Series, summary workload.Summary, peak, minimum int32) {
	t.Helper()
	LogSteps(t, s)
	steps := s.Steps()
	phases := s.Phases()
	flaps := timeline.Flaps(phases)

	reaction, settle := CycleTimes(r, s, minimum)
	r.Report(t, reaction, settle, s.Peak(), flaps, summary)

	saturated, _ := r.saturation(1)
	if reaction == noTime {
		t.Errorf("no scale-up recorded")
	} else if budget := r.reactionBudget(); reaction > budget {
		t.Errorf("reaction %s: from saturation (%d running on the first replica, at %s) to the first scale-up, want <= %s (reconcile %s + scrape %s + actuation %s + %s)",
			reaction.Round(time.Millisecond), r.signalCount(), saturated.Format(time.RFC3339Nano), budget, LoadReconcileInterval, fixture.PromScrapeInterval, r.actuationLag(), loadReactionSlack)
	}
	if s.Peak() != peak {
		t.Errorf("peak %d replicas, want %d", s.Peak(), peak)
	}
	if settle == noTime {
		t.Errorf("the model did not come back to minReplicas %d after the load", minimum)
	} else if budget := r.SettleBudget(peak - minimum); settle > budget {
		t.Errorf("settle-down %s from the end of the load to minReplicas, want <= %s (%d steps x (window %s + actuation %s) + reconcile %s + scrape %s + request %s + %s, see settleBudget)",
			settle.Round(time.Millisecond), budget, peak-minimum, LoadWindow, r.actuationLag(), LoadReconcileInterval, fixture.PromScrapeInterval, r.Model.RequestDuration(), loadMargin)
	}
	if len(phases) != 2 || !phases[0].Up || phases[1].Up || flaps != 0 {
		t.Errorf("phases %s, want one up phase and one down phase (flaps %d)", DescribePhases(s, phases), flaps)
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
		if !prev.IsZero() && st.At.Sub(prev) < LoadWindow-time.Second {
			t.Errorf("step down at %.1fs came %s after the previous one, want at least the window %s",
				s.Elapsed(st.At), st.At.Sub(prev).Round(time.Millisecond), LoadWindow)
		}
		prev = st.At
	}
	r.CheckBounds(t, s)
	CheckLoadErrors(t, summary)
}

// MetricsCondition is a poll.Condition that holds when every
// VariantAutoscaling of the run has MetricsAvailable with status and
// reason, and a message.
func (r *Run) MetricsCondition(status metav1.ConditionStatus, reason string) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		ok := true
		seen := ""
		for _, v := range r.Vas {
			obj, err := r.f.GetVA(ctx, v)
			if err != nil {
				return false, err.Error(), nil
			}
			c := fixture.Condition(obj, v1alpha1.ConditionMetricsAvailable)
			ok = ok && c != nil && c.Status == status && c.Reason == reason && c.Message != ""
			seen += v.Name + ": " + fixture.DescribeCondition(c) + " "
		}
		return ok, seen, nil
	}
}

// WaitVariants waits until want holds for the model's replicas (in all and
// by variant), within deadline of since.
func (r *Run) WaitVariants(ctx context.Context, t *testing.T, what string, since time.Time, deadline time.Duration, want func(int32, map[string]int32) bool) {
	t.Helper()
	waits.Since(ctx, t, what, since, deadline, loadPoll, r.TotalReplicas(want))
}
