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

// SetUpStep is the Setup step that sets the run up (Run.SetUp).
func (r *Run) SetUpStep(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	r.SetUp(ctx, t)
	return ctx
}

// NamespaceStep is the step that records the run's namespace in *ns (set
// by SetUpStep), for steps built before it that read it later.
func (r *Run) NamespaceStep(ns *string) features.Func {
	return func(ctx context.Context, _ *testing.T, _ *envconf.Config) context.Context {
		*ns = r.Model.Namespace
		return ctx
	}
}

// StartStep is the Assess step that starts the load (Run.Start).
func (r *Run) StartStep(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	r.Start(ctx, t)
	return ctx
}

// ScaleUpStep is the Assess step that waits, until the load stops, for the
// model to reach peak replicas, measured under feature's name.
func (r *Run) ScaleUpStep(feature string, peak int32) features.Func {
	return r.ReplicasWithinStep(r.Profile.Duration(), r.loadStarted, fmt.Sprintf("%d replicas", peak), TotalIs(peak), func(took time.Duration) {
		r.f.Suite.Measure("%s: load starts -> %d replicas", took, feature, peak)
	})
}

// VariantsUpStep is the Assess step that waits, until the load stops, for
// want to hold for the model's replicas (in all and by variant).
func (r *Run) VariantsUpStep(what string, want func(total int32, byVariant map[string]int32) bool) features.Func {
	return r.ReplicasWithinStep(r.Profile.Duration(), r.loadStarted, what, want, nil)
}

// ScaleDownStep is the Assess step that waits for the model to come back
// from peak to minimum replicas after the load (VariantsDownStep).
func (r *Run) ScaleDownStep(peak, minimum int32) features.Func {
	return r.VariantsDownStep(fmt.Sprintf("minReplicas %d", minimum), peak-minimum, TotalIs(minimum))
}

// VariantsDownStep is the Assess step that waits, from the end of the
// load, for want to hold for the model's replicas once they came down by
// steps. The wait allows a window more than the budget (SettleBudget), so
// that a slow step-down is measured and reported by the timeline's check
// rather than cut.
func (r *Run) VariantsDownStep(what string, steps int32, want func(total int32, byVariant map[string]int32) bool) features.Func {
	budget := func() time.Duration { return r.SettleBudget(steps) + LoadWindow }
	return r.replicasWithin(budget, r.LoadStops, what, want, nil)
}

// ReplicasWithinStep is the Assess step that waits until want holds for
// the model's replicas (in all and by variant), and fails unless that
// happens within d of since (called when the step runs: a time an earlier
// step recorded). It hands the time from since to measure (when not nil).
func (r *Run) ReplicasWithinStep(d time.Duration, since func() time.Time, what string, want func(total int32, byVariant map[string]int32) bool, measure func(took time.Duration)) features.Func {
	return r.replicasWithin(func() time.Duration { return d }, since, what, want, measure)
}

// replicasWithin is ReplicasWithinStep with the deadline computed when the
// step runs (from the run's mode and model, which a feature may set after
// building its steps).
func (r *Run) replicasWithin(d func() time.Duration, since func() time.Time, what string, want func(total int32, byVariant map[string]int32) bool, measure func(took time.Duration)) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		took := r.WaitVariants(ctx, t, what, since(), d(), want)
		if measure != nil {
			measure(took)
		}
		return ctx
	}
}

// TotalIs is a condition on the model's replicas: n in all.
func TotalIs(n int32) func(total int32, byVariant map[string]int32) bool {
	return func(total int32, _ map[string]int32) bool { return total == n }
}

// loadStarted is when the load generator started its profile (Start).
func (r *Run) loadStarted() time.Time { return r.LoadStart }

// MetricsConditionWithinStep is the Assess step that polls every
// waits.Fast until every VariantAutoscaling of the run has
// MetricsAvailable with status and reason (MetricsCondition), and fails
// unless that happens within d of *since.
func (r *Run) MetricsConditionWithinStep(d time.Duration, since *time.Time, what string, status metav1.ConditionStatus, reason string) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		waits.Since(ctx, t, what, *since, d, waits.Fast, r.MetricsCondition(status, reason))
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

// CheckPhasesStep is the Assess step that waits for the load Job and
// checks the timeline of a cycle down to minimum replicas more loosely
// than CheckCycleStep (checkPhases); check (when not nil) checks more of
// the series, last.
func (r *Run) CheckPhasesStep(minimum int32, check func(t *testing.T, s timeline.Series)) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		summary, s := r.Finish(ctx, t)
		checkPhases(t, r, s, summary, minimum, check)
		return ctx
	}
}

// DesiredScrapedStep is the Setup step that waits until the run's
// Prometheus has every VariantAutoscaling's wva_desired_replicas, within
// spec.ScrapeDeadline (WaitDesiredScraped), measured under feature's name.
func (r *Run) DesiredScrapedStep(feature string) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		took := r.WaitDesiredScraped(ctx, t)
		r.f.Suite.Measure("%s: VariantAutoscalings analysed -> wva_desired_replicas scraped", took, feature)
		return ctx
	}
}

// ScaledObjectsReadyStep is the Setup step that creates a ScaledObject
// per VariantAutoscaling and waits until each is Ready with its HPA,
// within spec.KedaReadyDeadline (CreateScaledObjects), measured under
// feature's name.
func (r *Run) ScaledObjectsReadyStep(feature string) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		took := r.CreateScaledObjects(ctx, t)
		r.f.Suite.Measure("%s: ScaledObjects created -> Ready with their HPAs", took, feature)
		return ctx
	}
}

// checkCycle reports the run's summary line and checks a load cycle from
// minimum to peak and back: the reaction to saturation, the settle-down
// time and its steps, no flapping, the bounds and the load generator's
// errors.
func checkCycle(t *testing.T, r *Run, s timeline.Series, summary workload.Summary, peak, minimum int32) {
	t.Helper()
	steps := s.Steps()
	phases, flaps, reaction, settle := reportCycle(t, r, s, summary, minimum)

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

// checkPhases reports the run's summary line and checks a load cycle down
// to minimum replicas: one up and one down phase (flaps only reported),
// check (when not nil), the bounds and the load generator's errors.
func checkPhases(t *testing.T, r *Run, s timeline.Series, summary workload.Summary, minimum int32, check func(t *testing.T, s timeline.Series)) {
	t.Helper()
	phases, flaps, _, _ := reportCycle(t, r, s, summary, minimum)
	if len(phases) != 2 || !phases[0].Up || phases[1].Up {
		t.Errorf("phases %s, want one up phase and one down phase (flaps %d)", DescribePhases(s, phases), flaps)
	}
	if check != nil {
		check(t, s)
	}
	r.CheckBounds(t, s)
	CheckLoadErrors(t, summary)
}

// reportCycle logs the steps of the series and reports the run's summary
// line; it returns the series' phases, their flaps and the cycle's times
// (CycleTimes).
func reportCycle(t *testing.T, r *Run, s timeline.Series, summary workload.Summary, minimum int32) (phases []timeline.Phase, flaps int, reaction, settle time.Duration) {
	LogSteps(t, s)
	phases = s.Phases()
	flaps = timeline.Flaps(phases)
	reaction, settle = CycleTimes(r, s, minimum)
	r.Report(t, reaction, settle, s.Peak(), flaps, summary)
	return phases, flaps, reaction, settle
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
// by variant), within deadline of since, and returns the time from since.
func (r *Run) WaitVariants(ctx context.Context, t *testing.T, what string, since time.Time, deadline time.Duration, want func(int32, map[string]int32) bool) time.Duration {
	t.Helper()
	return waits.Since(ctx, t, what, since, deadline, loadPoll, r.TotalReplicas(want))
}
