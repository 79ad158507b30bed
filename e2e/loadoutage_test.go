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

	"github.com/wva-project/wva/e2e/apply"
	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/e2e/workload"
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
	outageDetectDeadline = loadReconcileInterval + 5*time.Second
)

// Feature 13: Prometheus goes away mid-cycle. While it is away the model
// keeps its replicas even though the load stops (no metrics, no decision),
// and the VariantAutoscaling reports MetricsAvailable=False with the
// reason MetricsQueryFailed. When Prometheus is back, scaling resumes and
// the down phase completes.
func TestLoadPrometheusOutage(t *testing.T) {
	f := suite.newFixture("loadoutage")
	r := newLoadRun(f, t, "prometheus-outage", outageProfile,
		[]workload.Variant{{Name: "a", Replicas: 1}},
		[]va{{min: outageMin, max: outageMax}})
	peak := min(r.needed(outageRate), outageMax)
	var down, back time.Time

	feature := features.New("Prometheus goes away mid-cycle").
		WithLabel("area", "faults").WithLabel("size", "large").
		WithSetup("register cleanup", f.setup).
		WithSetup("Prometheus, the emulated model at 1 replica and the controller on a 20 s window", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			r.setUp(ctx, t)
			return ctx
		}).
		Assess("the load generator starts its profile", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			r.start(ctx, t)
			return ctx
		}).
		Assess(fmt.Sprintf("the model scales up to %d replicas during the hold", peak), func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			r.waitTotal(ctx, t, fmt.Sprintf("%d replicas", peak), peak, r.loadStart, r.profile.Duration())
			return ctx
		}).
		Assess("Prometheus scaled to 0: MetricsAvailable=False with reason MetricsQueryFailed", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			if time.Until(r.loadStops()) < outageDetectDeadline {
				t.Fatalf("the model reached %d replicas only %s before the load stops: too late to take Prometheus away during the hold",
					peak, time.Until(r.loadStops()).Round(time.Millisecond))
			}
			scalePrometheus(ctx, t, r.model.Namespace, 0)
			down = time.Now()
			r.mark("Prometheus down", down)
			waitSince(ctx, t, "MetricsAvailable=False reason MetricsQueryFailed", down, outageDetectDeadline, fastPoll,
				r.metricsCondition(metav1.ConditionFalse, v1alpha1.ReasonMetricsQueryFailed))
			return ctx
		}).
		Assess("while Prometheus is away the replicas hold, through the end of the load", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// With metrics, the first step down would have come by a window
			// after the first pass that saw the load gone.
			until := r.loadStops().Add(r.model.RequestDuration() + promScrapeInterval + loadReconcileInterval + loadWindow)
			cond := r.metricsCondition(metav1.ConditionFalse, v1alpha1.ReasonMetricsQueryFailed)
			holdFor(ctx, t, fmt.Sprintf("%d replicas and MetricsAvailable=False", peak), time.Until(until), slowPoll,
				func(ctx context.Context) (bool, string, error) {
					held, seen, err := r.totalReplicas(func(total int32, _ map[string]int32) bool { return total == peak })(ctx)
					if err != nil || !held {
						return held, seen, err
					}
					ok, cseen, err := cond(ctx)
					return ok, seen + "; " + cseen, err
				})
			return ctx
		}).
		Assess("Prometheus back: MetricsAvailable=True and the down phase completes", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			scalePrometheus(ctx, t, r.model.Namespace, 1)
			back = time.Now()
			r.mark("Prometheus back", back)
			if _, err := apply.WaitDeploymentAvailable(ctx, suite.kube, r.model.Namespace, promName, rolloutDeadline, slowPoll); err != nil {
				t.Fatal(err)
			}
			waitSince(ctx, t, "MetricsAvailable=True", back, scrapeDeadline, fastPoll,
				r.metricsCondition(metav1.ConditionTrue, v1alpha1.ReasonMetricsFound))
			// Prometheus's TSDB starts empty: the replicas count once it
			// has scraped them, and the first window starts then.
			budget := rolloutDeadline + r.settleBudget(peak-outageMin)
			took := r.waitTotal(ctx, t, fmt.Sprintf("minReplicas %d", outageMin), outageMin, back, budget)
			suite.measure("feature 13: Prometheus back -> model down to %d replicas", took, outageMin)
			return ctx
		}).
		Assess("the timeline: no change while Prometheus was away, one up and one down phase, errors", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			summary, s := r.finish(ctx, t)
			logSteps(t, s)
			for _, st := range s.Steps() {
				if st.At.After(down) && st.At.Before(back) {
					t.Errorf("replicas changed while Prometheus was away: %s %d -> %d at %.1fs", st.Variant, st.From, st.To, s.Elapsed(st.At))
				}
			}
			phases := s.Phases()
			flaps := timeline.Flaps(phases)
			reaction, settle := cycleTimes(r, s, outageMin)
			r.report(t, reaction, settle, s.Peak(), flaps, summary)
			if len(phases) != 2 || !phases[0].Up || phases[1].Up {
				t.Errorf("phases %s, want one up phase and one down phase (flaps %d)", describePhases(s, phases), flaps)
			}
			if n := len(phases); n > 0 && !phases[n-1].Up && phases[n-1].Start.Before(back) {
				t.Errorf("the down phase started at %.1fs, before Prometheus came back at %.1fs", s.Elapsed(phases[n-1].Start), s.Elapsed(back))
			}
			r.checkBounds(t, s)
			checkLoadErrors(t, summary)
			return ctx
		}).
		WithTeardown("write the timeline, restore the controller's args, delete the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}

// metricsCondition is a poll.Condition that holds when every
// VariantAutoscaling of the run has MetricsAvailable with status and
// reason, and a message.
func (r *loadRun) metricsCondition(status metav1.ConditionStatus, reason string) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		ok := true
		seen := ""
		for _, v := range r.vas {
			obj, err := r.f.getVA(ctx, v)
			if err != nil {
				return false, err.Error(), nil
			}
			c := condition(obj, v1alpha1.ConditionMetricsAvailable)
			ok = ok && c != nil && c.Status == status && c.Reason == reason && c.Message != ""
			seen += v.name + ": " + describeCondition(c) + " "
		}
		return ok, seen, nil
	}
}

// scalePrometheus sets the replicas of the namespace's Prometheus through
// its /scale subresource; scaled to 0, it waits until its pod is gone.
func scalePrometheus(ctx context.Context, t *testing.T, namespace string, replicas int32) {
	t.Helper()
	deployments := suite.kube.AppsV1().Deployments(namespace)
	scale := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: promName},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	if _, err := deployments.UpdateScale(ctx, promName, scale, metav1.UpdateOptions{FieldManager: fieldManager}); err != nil {
		t.Fatalf("scaling %s/%s to %d: %v", namespace, promName, replicas, err)
	}
	if replicas > 0 {
		return
	}
	waitFor(ctx, t, "Prometheus's pod gone", rolloutDeadline, fastPoll, func(ctx context.Context) (bool, string, error) {
		pods, err := suite.kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: stubAppLabel + "=" + promName})
		if err != nil {
			return false, err.Error(), nil
		}
		return len(pods.Items) == 0, fmt.Sprintf("%d pods", len(pods.Items)), nil
	})
}
