//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/load"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/workload"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 13 settings: a ramp to 10 req/s (3 replicas' worth, maxReplicas
// 3) in 30 s, held for 30 s. Prometheus goes away once the model is at 3
// and stays away past the time at which, with metrics, the first step down
// would have come.
const (
	outageProfile = "ramp:0-10:30s,hold:10:30s"
	outageRate    = 10
	outageMin     = 1
	outageMax     = 3
	// outageDetectDeadline: a pass after Prometheus went away reports
	// MetricsAvailable=False (one reconcile interval, and the query's
	// connection is refused at once: the Service has no endpoints).
	outageDetectDeadline = load.LoadReconcileInterval + 5*time.Second
)

// Feature 13: Prometheus goes away mid-cycle. While it is away the model
// keeps its replicas even though the load stops (no metrics, no decision),
// and the VariantAutoscaling reports MetricsAvailable=False with the
// reason MetricsQueryFailed. When Prometheus is back, scaling resumes and
// the down phase completes.
func TestLoadPrometheusOutage(t *testing.T) {
	f := fixture.New(suite, "loadoutage")
	r := load.NewRun(f, t, "prometheus-outage", outageProfile,
		[]workload.Variant{{Name: "a", Replicas: 1}},
		[]fixture.VA{{Min: outageMin, Max: outageMax}})
	peak := min(r.Needed(outageRate), outageMax)
	var down, back time.Time

	feature := features.New("Prometheus goes away mid-cycle").
		WithLabel("area", "faults").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("Prometheus, the emulated model at 1 replica and the controller on a 20 s window", r.SetUpStep).
		Assess("the load generator starts its profile", r.StartStep).
		Assess(fmt.Sprintf("the model scales up to %d replicas during the hold", peak), r.VariantsUpStep(fmt.Sprintf("%d replicas", peak), load.TotalIs(peak))).
		Assess("Prometheus scaled to 0: MetricsAvailable=False with reason MetricsQueryFailed", fixture.Steps(
			prometheusAwayDuringHold(r, peak, &down),
			r.MetricsConditionWithinStep(outageDetectDeadline, &down, "MetricsAvailable=False reason MetricsQueryFailed",
				metav1.ConditionFalse, v1alpha1.ReasonMetricsQueryFailed),
		)).
		Assess("while Prometheus is away the replicas hold, through the end of the load", replicasHeldWhileAway(r, peak)).
		Assess("Prometheus back: MetricsAvailable=True and the down phase completes", fixture.Steps(
			prometheusBack(r, &back),
			r.MetricsConditionWithinStep(spec.ScrapeDeadline, &back, "MetricsAvailable=True", metav1.ConditionTrue, v1alpha1.ReasonMetricsFound),
			// Prometheus's TSDB starts empty: the replicas count once it
			// has scraped them, and the first window starts then.
			r.ReplicasWithinStep(spec.RolloutDeadline+r.SettleBudget(peak-outageMin), func() time.Time { return back },
				fmt.Sprintf("minReplicas %d", outageMin), load.TotalIs(outageMin), func(took time.Duration) {
					suite.Measure("feature 13: Prometheus back -> model down to %d replicas", took, outageMin)
				}),
		)).
		Assess("the timeline: no change while Prometheus was away, one up and one down phase, errors",
			r.CheckPhasesStep(outageMin, func(t *testing.T, s timeline.Series) { checkOutage(t, s, down, back) })).
		WithTeardown("write the timeline, restore the controller's args, delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// prometheusAwayDuringHold is a step that fails unless there is time
// enough (outageDetectDeadline) before the load stops, then scales the
// run's Prometheus to 0 (within spec.RolloutDeadline) and records when in
// *down.
func prometheusAwayDuringHold(r *load.Run, peak int32, down *time.Time) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		if time.Until(r.LoadStops()) < outageDetectDeadline {
			t.Fatalf("the model reached %d replicas only %s before the load stops: too late to take Prometheus away during the hold",
				peak, time.Until(r.LoadStops()).Round(time.Millisecond))
		}
		scalePrometheus(ctx, t, r.Model.Namespace, 0)
		*down = time.Now()
		r.Mark("Prometheus down", *down)
		return ctx
	}
}

// replicasHeldWhileAway is a step that fails if, at any poll until a
// window after the first pass that would have seen the load gone, the
// model leaves peak replicas or MetricsAvailable=False with reason
// MetricsQueryFailed.
func replicasHeldWhileAway(r *load.Run, peak int32) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		// With metrics, the first step down would have come by a window
		// after the first pass that saw the load gone.
		until := r.LoadStops().Add(r.Model.RequestDuration() + fixture.PromScrapeInterval + load.LoadReconcileInterval + load.LoadWindow)
		cond := r.MetricsCondition(metav1.ConditionFalse, v1alpha1.ReasonMetricsQueryFailed)
		waits.Hold(ctx, t, fmt.Sprintf("%d replicas and MetricsAvailable=False", peak), time.Until(until), waits.Slow,
			func(ctx context.Context) (bool, string, error) {
				held, seen, err := r.TotalReplicas(load.TotalIs(peak))(ctx)
				if err != nil || !held {
					return held, seen, err
				}
				ok, cseen, err := cond(ctx)
				return ok, seen + "; " + cseen, err
			})
		return ctx
	}
}

// prometheusBack is a step that scales the run's Prometheus back to 1,
// records when in *back and fails unless it is available within
// spec.RolloutDeadline.
func prometheusBack(r *load.Run, back *time.Time) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		scalePrometheus(ctx, t, r.Model.Namespace, 1)
		*back = time.Now()
		r.Mark("Prometheus back", *back)
		if _, err := apply.WaitDeploymentAvailable(ctx, suite.Kube, r.Model.Namespace, fixture.PromName, spec.RolloutDeadline, waits.Slow); err != nil {
			t.Fatal(err)
		}
		return ctx
	}
}

// checkOutage checks that no replica changed while Prometheus was away
// (from down to back) and that the down phase started after it was back.
func checkOutage(t *testing.T, s timeline.Series, down, back time.Time) {
	t.Helper()
	for _, st := range s.Steps() {
		if st.At.After(down) && st.At.Before(back) {
			t.Errorf("replicas changed while Prometheus was away: %s %d -> %d at %.1fs", st.Variant, st.From, st.To, s.Elapsed(st.At))
		}
	}
	phases := s.Phases()
	if n := len(phases); n > 0 && !phases[n-1].Up && phases[n-1].Start.Before(back) {
		t.Errorf("the down phase started at %.1fs, before Prometheus came back at %.1fs", s.Elapsed(phases[n-1].Start), s.Elapsed(back))
	}
}

// scalePrometheus sets the replicas of the namespace's Prometheus through
// its /scale subresource; scaled to 0, it waits until its pod is gone.
func scalePrometheus(ctx context.Context, t *testing.T, namespace string, replicas int32) {
	t.Helper()
	deployments := suite.Kube.AppsV1().Deployments(namespace)
	scale := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fixture.PromName},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	if _, err := deployments.UpdateScale(ctx, fixture.PromName, scale, metav1.UpdateOptions{FieldManager: cluster.FieldManager}); err != nil {
		t.Fatalf("scaling %s/%s to %d: %v", namespace, fixture.PromName, replicas, err)
	}
	if replicas > 0 {
		return
	}
	waits.For(ctx, t, "Prometheus's pod gone", spec.RolloutDeadline, waits.Fast, func(ctx context.Context) (bool, string, error) {
		pods, err := suite.Kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: fixture.StubAppLabel + "=" + fixture.PromName})
		if err != nil {
			return false, err.Error(), nil
		}
		return len(pods.Items) == 0, fmt.Sprintf("%d pods", len(pods.Items)), nil
	})
}
