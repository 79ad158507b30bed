package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
)

// Metrics of one replica under the default thresholds (0.80 / 5 / 0.10 / 3).
const (
	satKv, satQueue   = 0.95, 9 // saturated
	idleKv, idleQueue = 0.1, 0  // idle: two or more make scale-down safe
)

// eventReasons returns the reasons of the recorded Events, in order.
func eventReasons(events []string) []string {
	var out []string
	for _, e := range events {
		if f := strings.Fields(e); len(f) > 1 {
			out = append(out, f[1])
		}
	}
	return out
}

func contains(t *testing.T, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%s %q does not contain %q", what, s, sub)
	}
}

// TestPassWithoutScaling covers the states in which nothing may be scaled.
func TestPassWithoutScaling(t *testing.T) {
	cases := map[string]struct {
		opts           harnessOpts
		deployment     bool
		sourceErr      error
		withMetrics    bool
		wantConditions map[string]string
		wantReplicas   [2]int32 // current, desired; -1: unset
		wantErr        bool
	}{
		"target missing": {
			wantConditions: map[string]string{
				"TargetResolved": "False/TargetNotFound", "MetricsAvailable": "False/TargetNotResolved", "Ready": "False/TargetNotFound",
			},
			wantReplicas: [2]int32{-1, -1}, // never observed nor decided: unset
		},
		"no metrics source configured": {
			opts: harnessOpts{noSource: true}, deployment: true, withMetrics: true,
			wantConditions: map[string]string{
				"TargetResolved": "True/TargetFound", "MetricsAvailable": "False/MetricsSourceNotConfigured",
				"Ready": "False/MetricsSourceNotConfigured",
			},
			wantReplicas: [2]int32{1, 1},
		},
		"metrics query fails": {
			deployment: true, sourceErr: errors.New("connection refused"),
			wantConditions: map[string]string{
				"TargetResolved": "True/TargetFound", "MetricsAvailable": "False/MetricsQueryFailed", "Ready": "False/MetricsQueryFailed",
			},
			wantReplicas: [2]int32{1, 1},
		},
		"no replica reports metrics": {
			deployment: true,
			wantConditions: map[string]string{
				"TargetResolved": "True/TargetFound", "MetricsAvailable": "False/MetricsMissing", "Ready": "False/MetricsMissing",
			},
			wantReplicas: [2]int32{1, 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.opts.objects = []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}
			h := newHarness(t, tc.opts)
			if tc.deployment {
				h.scales.SetReplicas(ns, "granite-a", 1)
			}
			if tc.withMetrics {
				h.metrics("granite-a-0", satKv, satQueue)
			}
			h.source.Source.(*metricsource.Static).SetErr(tc.sourceErr)
			res := h.pass(context.Background())

			diff(t, "result", reconcile.Result{RequeueAfter: interval}, res)
			va := h.get("granite-a")
			diff(t, "conditions", tc.wantConditions, conditions(va))
			diff(t, "replicas", tc.wantReplicas, [2]int32{ptr.Deref(va.Status.CurrentReplicas, -1), ptr.Deref(va.Status.DesiredReplicas, -1)})
			diff(t, "observedGeneration", int64(3), va.Status.ObservedGeneration)
			diff(t, "scale updates", []string(nil), h.scales.Updates())
			diff(t, "events", []string(nil), h.events())
		})
	}
}

// TestScaleUpThenCapacityInFlight scales up at once, then holds further
// scale-up while the new replica has no pod, while its pod starts and while
// it settles after becoming Ready; then its metrics count.
func TestScaleUpThenCapacityInFlight(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}})
	h.scales.SetReplicas(ns, "granite-a", 1)
	h.metrics("granite-a-0", satKv, satQueue)
	ctx := context.Background()

	h.pass(ctx)
	diff(t, "scale updates", []string{"production/granite-a=2"}, h.scales.Updates())
	va := h.get("granite-a")
	diff(t, "replicas", [2]int32{1, 2}, [2]int32{ptr.Deref(va.Status.CurrentReplicas, -1), ptr.Deref(va.Status.DesiredReplicas, -1)})
	diff(t, "lastScaleTime", ptr.To(metav1.NewTime(start)), va.Status.LastScaleTime)
	diff(t, "conditions", map[string]string{
		"TargetResolved": "True/TargetFound", "MetricsAvailable": "True/MetricsFound", "Ready": "True/Reconciled",
	}, conditions(va))
	diff(t, "decision", "ScaleUp", va.Status.LastAnalysis.Decision)
	ev := h.events()
	if len(ev) != 1 || !strings.HasPrefix(ev[0], "Normal Scaled Scaled Deployment granite-a from 1 to 2 replicas") {
		t.Errorf("events = %q, want one Scaled event", ev)
	}
	diff(t, "desired gauge", 2.0, testutil.ToFloat64(h.telemetry.DesiredReplicas.WithLabelValues(ns, "granite-a", model)))

	// The Deployment has no second pod yet: the replica is in flight.
	h.clock.Step(time.Second)
	h.pass(ctx)
	diff(t, "scale updates while the pod is not created", []string{"production/granite-a=2"}, h.scales.Updates())
	va = h.get("granite-a")
	diff(t, "decision while in flight", "NoChange", va.Status.LastAnalysis.Decision)
	contains(t, "reason", va.Status.LastAnalysis.Reason, "scale-up held: 1 replica of the model is still starting (capacity in flight)")
	contains(t, "reason", va.Status.LastAnalysis.Reason, "in flight: 1 of granite-a's replicas (no pod yet)")
	diff(t, "events while in flight", []string{EventScaleUpHeld}, eventReasons(h.events()))
	h.pass(ctx)
	diff(t, "the held scale-up is recorded once", []string(nil), h.events())

	// Its pod starts...
	h.addPod(pendingPod("granite-a", 1, h.clock.Now()))
	h.clock.Step(interval)
	h.pass(ctx)
	contains(t, "reason while starting", h.get("granite-a").Status.LastAnalysis.Reason,
		"granite-a-1 (starting: not Ready for 30s of the 5m0s startup grace period)")
	// ...becomes Ready and settles...
	h.clock.Step(interval)
	h.markReady("granite-a-1")
	h.metrics("granite-a-1", idleKv, idleQueue)
	h.clock.Step(settle - 10*time.Second)
	res := h.pass(ctx)
	diff(t, "requeue at the end of the settle time", reconcile.Result{RequeueAfter: 10 * time.Second}, res)
	contains(t, "reason while settling", h.get("granite-a").Status.LastAnalysis.Reason,
		"granite-a-1 (Ready for 50s, settling for 1m0s before its metrics count)")
	diff(t, "scale updates while settling", []string{"production/granite-a=2"}, h.scales.Updates())
	// ...and counts: one saturated and one idle replica need nothing more.
	h.clock.Step(10 * time.Second)
	h.pass(ctx)
	va = h.get("granite-a")
	diff(t, "replicas analysed once settled", [2]int32{2, 1}, [2]int32{va.Status.LastAnalysis.Replicas, va.Status.LastAnalysis.SaturatedReplicas})
	diff(t, "scale updates once settled", []string{"production/granite-a=2"}, h.scales.Updates())
}

// TestReplicasWithoutMetricsDoNotFreezeScaleUp: a pod still Pending after
// the grace period, or Ready without metrics, blocks scale-down but never
// holds a saturated model.
func TestReplicasWithoutMetricsDoNotFreezeScaleUp(t *testing.T) {
	cases := map[string]struct {
		third   *corev1.Pod
		wantWhy string
	}{
		"pending forever": {
			third:   pendingPod("granite-a", 2, start.Add(-grace-time.Second)),
			wantWhy: "granite-a-2 (not Ready after the 5m0s startup grace period)",
		},
		"ready without metrics": {
			third:   pod("granite-a", 2),
			wantWhy: "granite-a-2 (Ready, but reports no metrics)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{objects: []client.Object{
				variant("granite-a", "10", 1, ptr.To[int32](5)), pod("granite-a", 0), pod("granite-a", 1), tc.third,
			}})
			h.scales.SetReplicas(ns, "granite-a", 3)
			h.metrics("granite-a-0", satKv, satQueue)
			h.metrics("granite-a-1", 0.85, 1)
			h.pass(context.Background())

			diff(t, "scale updates", []string{"production/granite-a=4"}, h.scales.Updates())
			va := h.get("granite-a")
			diff(t, "MetricsAvailable", "True/MetricsPartial", conditions(va)["MetricsAvailable"])
			contains(t, "reason", va.Status.LastAnalysis.Reason, "without metrics (never counted as idle, blocks scale-down): "+tc.wantWhy)
			ev := h.events()
			diff(t, "events", []string{"Scaled", EventReplicasWithoutMetrics}, eventReasons(ev))
			if len(ev) == 2 {
				contains(t, "event", ev[1], tc.wantWhy)
			}
		})
	}
}

// TestStartingReplicaHoldsScaleUpOfEveryVariant: a replica of the cheap
// variant still starting holds the scale-up the expensive variant's
// saturation asks for (no overshoot across variants).
func TestStartingReplicaHoldsScaleUpOfEveryVariant(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{
		variant("granite-l4", "10", 1, nil), variant("granite-a100", "40", 1, nil),
		pendingPod("granite-l4", 0, start.Add(-time.Minute)), pod("granite-a100", 0),
	}})
	h.scales.SetReplicas(ns, "granite-l4", 1)
	h.scales.SetReplicas(ns, "granite-a100", 1)
	h.metrics("granite-a100-0", satKv, satQueue)
	h.pass(context.Background())

	diff(t, "scale updates", []string(nil), h.scales.Updates())
	for _, name := range []string{"granite-l4", "granite-a100"} {
		a := h.get(name).Status.LastAnalysis
		diff(t, name+" decision", "NoChange", a.Decision)
		contains(t, name+" reason", a.Reason, "granite-l4-0 (starting: not Ready for 1m0s of the 5m0s startup grace period)")
	}
	diff(t, "events", []string{EventScaleUpHeld, EventScaleUpHeld}, eventReasons(h.events()))
}

// TestUnlistedReplicasPastTheGraceAreMissing: a replica the target counts
// but whose pod never appears (a quota, say) is in flight for the grace
// period only.
func TestUnlistedReplicasPastTheGraceAreMissing(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}})
	h.scales.SetReplicas(ns, "granite-a", 2)
	h.metrics("granite-a-0", satKv, satQueue)
	ctx := context.Background()
	res := h.pass(ctx)
	diff(t, "scale updates within the grace", []string(nil), h.scales.Updates())
	diff(t, "result", reconcile.Result{RequeueAfter: interval}, res)
	h.clock.Step(grace)
	h.pass(ctx)
	diff(t, "scale updates after the grace", []string{"production/granite-a=3"}, h.scales.Updates())
}

// TestOneAnalysisPerPass: one pass over a model of two variants reads the
// metrics once and each target once, and both statuses show the same
// pooled analysis.
func TestOneAnalysisPerPass(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{
		variant("granite-a100", "40", 1, nil), variant("granite-l4", "10", 1, ptr.To[int32](4)),
		pod("granite-a100", 0), pod("granite-l4", 0),
	}})
	h.scales.SetReplicas(ns, "granite-a100", 1)
	h.scales.SetReplicas(ns, "granite-l4", 1)
	h.metrics("granite-a100-0", satKv, satQueue)
	h.metrics("granite-l4-0", 0.9, 8)

	h.pass(context.Background())

	diff(t, "metrics reads", 1, h.source.calls)
	diff(t, "/scale reads", 2, h.scales.Gets())
	diff(t, "scale updates: the cheapest variant", []string{"production/granite-l4=2"}, h.scales.Updates())
	for _, name := range []string{"granite-a100", "granite-l4"} {
		diff(t, name+" pooled replicas", int32(2), h.get(name).Status.LastAnalysis.Replicas)
	}
	diff(t, "expensive decision", "NoChange", h.get("granite-a100").Status.LastAnalysis.Decision)
	diff(t, "cheap decision", "ScaleUp", h.get("granite-l4").Status.LastAnalysis.Decision)
}

// TestScaleDownTimeline (scale actuation): a step needs a whole window of
// uninterrupted safety; the next window starts at the step.
func TestScaleDownTimeline(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{
		variant("granite-a", "10", 1, nil), pod("granite-a", 0), pod("granite-a", 1), pod("granite-a", 2),
	}})
	h.scales.SetReplicas(ns, "granite-a", 3)
	for i := range 3 {
		h.metrics("granite-a-"+fmtInt(int32(i)), idleKv, idleQueue)
	}
	ctx := context.Background()

	res := h.pass(ctx)
	diff(t, "first result", reconcile.Result{RequeueAfter: interval}, res)
	contains(t, "first reason", h.get("granite-a").Status.LastAnalysis.Reason, "scale-down held for the stabilization window (5m0s remaining)")
	h.clock.Step(window - 10*time.Second)
	res = h.pass(ctx)
	diff(t, "requeued for the end of the window", reconcile.Result{RequeueAfter: 10 * time.Second}, res)
	diff(t, "scale updates within the window", []string(nil), h.scales.Updates())

	h.clock.Step(10 * time.Second)
	h.pass(ctx)
	diff(t, "first step", []string{"production/granite-a=2"}, h.scales.Updates())
	va := h.get("granite-a")
	diff(t, "decision at the step", "ScaleDown", va.Status.LastAnalysis.Decision)
	diff(t, "lastScaleTime", ptr.To(metav1.NewTime(start.Add(window))), va.Status.LastScaleTime)

	// The ReplicaSet removes a pod; the next window runs from the step.
	if err := h.client.Delete(ctx, pod("granite-a", 2)); err != nil {
		t.Fatal(err)
	}
	h.clock.Step(interval)
	h.pass(ctx)
	contains(t, "reason after the step", h.get("granite-a").Status.LastAnalysis.Reason, "(4m30s remaining)")
	h.clock.Step(window - interval)
	h.pass(ctx)
	diff(t, "second step, one window after the first", []string{"production/granite-a=2", "production/granite-a=1"}, h.scales.Updates())
	if got := eventReasons(h.events()); len(got) != 2 || got[0] != "Scaled" || got[1] != "Scaled" {
		t.Errorf("events = %q, want two Scaled events", got)
	}
}

func TestScaleDownWindowRestartsWhenInterrupted(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{
		variant("granite-a", "10", 1, nil), pod("granite-a", 0), pod("granite-a", 1),
	}})
	h.scales.SetReplicas(ns, "granite-a", 2)
	idle := func() { h.metrics("granite-a-0", idleKv, idleQueue); h.metrics("granite-a-1", idleKv, idleQueue) }
	ctx := context.Background()
	idle()
	h.pass(ctx)
	h.clock.Step(4 * time.Minute)
	h.metrics("granite-a-0", 0.7, 0) // busier: scale-down no longer safe
	h.pass(ctx)
	idle()
	h.clock.Step(2 * time.Minute)
	h.pass(ctx) // 6 minutes after the first, but a new window started
	diff(t, "scale updates", []string(nil), h.scales.Updates())
	h.clock.Step(window)
	h.pass(ctx)
	diff(t, "scale updates after a full window", []string{"production/granite-a=1"}, h.scales.Updates())
}

// TestMetricsActuationHoldsTheLoweredCount: in metrics actuation the lowered
// desired count holds for as long as the target takes to reach it (here
// three windows and more), and the next step needs a window from there.
func TestMetricsActuationHoldsTheLoweredCount(t *testing.T) {
	h := newHarness(t, harnessOpts{metrics: true, objects: []client.Object{
		variant("granite-a", "10", 1, nil), pod("granite-a", 0), pod("granite-a", 1), pod("granite-a", 2),
	}})
	h.scales.SetReplicas(ns, "granite-a", 3)
	for i := range 3 {
		h.metrics("granite-a-"+fmtInt(int32(i)), idleKv, idleQueue)
	}
	ctx := context.Background()
	gauge := func() float64 {
		return testutil.ToFloat64(h.telemetry.DesiredReplicas.WithLabelValues(ns, "granite-a", model))
	}

	h.pass(ctx)
	diff(t, "desired before the window ends", 3.0, gauge())
	h.clock.Step(window)
	h.pass(ctx)
	diff(t, "desired at the step", 2.0, gauge())
	diff(t, "events at the step", []string{EventDesiredReplicasChanged}, eventReasons(h.events()))

	// The HPA has not acted for three windows: the lowered count holds.
	for elapsed := time.Duration(0); elapsed < 3*window; elapsed += interval {
		h.clock.Step(interval)
		h.pass(ctx)
		va := h.get("granite-a")
		if gauge() != 2 || ptr.Deref(va.Status.DesiredReplicas, -1) != 2 || va.Status.LastAnalysis.Decision != "ScaleDown" {
			t.Fatalf("%s after the step: gauge %v, status desired %d, decision %s, want 2, 2, ScaleDown (reason %q)",
				elapsed+interval, gauge(), ptr.Deref(va.Status.DesiredReplicas, -1), va.Status.LastAnalysis.Decision, va.Status.LastAnalysis.Reason)
		}
	}
	diff(t, "events while held", []string(nil), h.events())
	diff(t, "scale updates (metrics actuation writes none)", []string(nil), h.scales.Updates())

	// The HPA reaches 2: the next window starts at this pass.
	h.setReplicas("granite-a", 2)
	if err := h.client.Delete(ctx, pod("granite-a", 2)); err != nil {
		t.Fatal(err)
	}
	h.clock.Step(interval)
	h.pass(ctx)
	diff(t, "desired once reached", 2.0, gauge())
	contains(t, "reason once reached", h.get("granite-a").Status.LastAnalysis.Reason, "(5m0s remaining)")
	h.clock.Step(window)
	h.pass(ctx)
	diff(t, "desired at the second step", 1.0, gauge())
	diff(t, "events at the second step", []string{EventDesiredReplicasChanged}, eventReasons(h.events()))
}

// TestMetricsActuationHoldEndsWhenUnsafe: a held step is dropped as soon as
// scale-down stops being safe, and the next step needs a new full window.
func TestMetricsActuationHoldEndsWhenUnsafe(t *testing.T) {
	h := newHarness(t, harnessOpts{metrics: true, objects: []client.Object{
		variant("granite-a", "10", 1, nil), pod("granite-a", 0), pod("granite-a", 1),
	}})
	h.scales.SetReplicas(ns, "granite-a", 2)
	idle := func() { h.metrics("granite-a-0", idleKv, idleQueue); h.metrics("granite-a-1", idleKv, idleQueue) }
	idle()
	ctx := context.Background()
	h.pass(ctx)
	h.clock.Step(window)
	h.pass(ctx)
	diff(t, "desired at the step", int32(1), ptr.Deref(h.get("granite-a").Status.DesiredReplicas, -1))

	h.metrics("granite-a-0", 0.6, 1) // with one replica fewer it would saturate
	h.metrics("granite-a-1", 0.6, 1)
	h.clock.Step(interval)
	h.pass(ctx)
	diff(t, "desired once unsafe", int32(2), ptr.Deref(h.get("granite-a").Status.DesiredReplicas, -1))

	idle()
	h.clock.Step(interval)
	h.pass(ctx)
	diff(t, "desired when safe again", int32(2), ptr.Deref(h.get("granite-a").Status.DesiredReplicas, -1))
	contains(t, "reason", h.get("granite-a").Status.LastAnalysis.Reason, "(5m0s remaining)")
}

// TestCheapestUpMostExpensiveDown: with two variants, scale-up goes to the
// cheapest, scale-down removes a replica of the most expensive.
func TestCheapestUpMostExpensiveDown(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{
		variant("granite-l4", "10", 1, nil), variant("granite-a100", "40", 0, nil),
		pod("granite-l4", 0), pod("granite-a100", 0),
	}})
	h.scales.SetReplicas(ns, "granite-l4", 1)
	h.scales.SetReplicas(ns, "granite-a100", 1)
	h.metrics("granite-l4-0", satKv, satQueue)
	h.metrics("granite-a100-0", satKv, satQueue)
	ctx := context.Background()
	h.pass(ctx)
	diff(t, "scale-up", []string{"production/granite-l4=2"}, h.scales.Updates())

	h.addPod(pod("granite-l4", 1))
	for _, p := range []string{"granite-l4-0", "granite-l4-1", "granite-a100-0"} {
		h.metrics(p, idleKv, idleQueue)
	}
	h.clock.Step(interval)
	h.pass(ctx)
	h.clock.Step(window)
	h.pass(ctx)
	diff(t, "scale-down", []string{"production/granite-l4=2", "production/granite-a100=0"}, h.scales.Updates())
}

// TestMissingMetricsAreExplained: when no pod reports, MetricsAvailable names
// the queries that returned nothing and the model names Prometheus has.
func TestMissingMetricsAreExplained(t *testing.T) {
	h := newHarness(t, harnessOpts{
		objects: []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)},
		source:  &explainingSource{names: []string{"ibm/granite-13b-instruct", "meta/llama-70b"}},
	})
	h.scales.SetReplicas(ns, "granite-a", 1)
	h.pass(context.Background())
	c := h.get("granite-a").Status.Conditions
	var msg string
	for _, cond := range c {
		if cond.Type == "MetricsAvailable" {
			msg = cond.Message
		}
	}
	contains(t, "MetricsAvailable", msg, `the query kv{ibm/granite-13b} and the query queue{ibm/granite-13b} returned no series`)
	contains(t, "MetricsAvailable", msg, `have model_name "ibm/granite-13b-instruct", "meta/llama-70b": did you mean "ibm/granite-13b-instruct"?`)
}

// explainingSource has no series and knows other model names.
type explainingSource struct{ names []string }

func (*explainingSource) ModelMetrics(context.Context, string, string) (map[string]capacity.ReplicaMetrics, error) {
	return map[string]capacity.ReplicaMetrics{}, nil
}

func (*explainingSource) Queries(_, modelID string) []string {
	return []string{"kv{" + modelID + "}", "queue{" + modelID + "}"}
}

func (s *explainingSource) ModelNames(context.Context, string, int) ([]string, error) {
	return s.names, nil
}

// TestVariantLeavingTheModelLosesItsSeries: a deleted VariantAutoscaling's
// gauges go with it; its sibling's stay.
func TestVariantLeavingTheModelLosesItsSeries(t *testing.T) {
	gone := variant("granite-b", "10", 1, nil)
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), gone}})
	h.scales.SetReplicas(ns, "granite-a", 1)
	h.scales.SetReplicas(ns, "granite-b", 1)
	ctx := context.Background()
	h.pass(ctx)
	diff(t, "series before", 2, testutil.CollectAndCount(h.telemetry.DesiredReplicas))
	if err := h.client.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	h.pass(ctx)
	diff(t, "series after", 1, testutil.CollectAndCount(h.telemetry.DesiredReplicas))
	if err := h.client.Delete(ctx, variant("granite-a", "10", 1, nil)); err != nil {
		t.Fatal(err)
	}
	diff(t, "result of an empty model", reconcile.Result{}, h.pass(ctx))
	diff(t, "series of an empty model", 0, testutil.CollectAndCount(h.telemetry.DesiredReplicas))
}

func TestPassDoesNotRewriteAnUnchangedStatus(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}})
	h.scales.SetReplicas(ns, "granite-a", 1)
	h.metrics("granite-a-0", 0.5, 1) // within thresholds, one replica: NoChange
	ctx := context.Background()
	h.pass(ctx)
	h.clock.Step(interval)
	h.pass(ctx)
	diff(t, "status patches", 1, h.patches)
}

func TestPassErrors(t *testing.T) {
	t.Run("API error reading the target is retried", func(t *testing.T) {
		h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil)}})
		h.scales.FailGets(apierrors.NewServiceUnavailable("etcd down"))
		_, err := h.model.Reconcile(context.Background(), ModelKey{Namespace: ns, ModelID: model})
		if !apierrors.IsServiceUnavailable(err) {
			t.Errorf("error = %v, want ServiceUnavailable", err)
		}
		diff(t, "Ready", "False/ReconcileFailed", conditions(h.get("granite-a"))["Ready"])
	})
	t.Run("scale conflict is retried", func(t *testing.T) {
		h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}})
		h.scales.SetReplicas(ns, "granite-a", 1)
		h.metrics("granite-a-0", satKv, satQueue)
		h.scales.FailUpdates(apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "granite-a", errors.New("changed")))
		_, err := h.model.Reconcile(context.Background(), ModelKey{Namespace: ns, ModelID: model})
		if !apierrors.IsConflict(err) {
			t.Errorf("error = %v, want Conflict", err)
		}
		diff(t, "Ready", "False/ScaleFailed", conditions(h.get("granite-a"))["Ready"])
	})
}

// TestConfigChangeQueuesAffectedModelsOnly: after a reload, only the models
// whose effective configuration changed are analysed again.
func TestConfigChangeQueuesAffectedModelsOnly(t *testing.T) {
	other := variant("llama", "10", 1, nil)
	other.Spec.ModelID = "meta/llama-70b"
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), variant("granite-b", "10", 1, nil), other}})
	ctx := context.Background()
	for _, m := range []string{model, "meta/llama-70b"} {
		if _, err := h.model.Reconcile(ctx, ModelKey{Namespace: ns, ModelID: m}); err != nil {
			t.Fatal(err)
		}
	}
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[ModelKey]())
	defer q.ShutDown()
	h.store.Replace(capacity.Parse(map[string]string{
		"default":   "kvCacheThreshold: 0.80\n",
		"llama-lab": "model_id: meta/llama-70b\nnamespace: production\nqueueLengthThreshold: 20\n",
	}, "8"))
	diff(t, "VariantAutoscalings covered", 3, h.model.enqueueAllModels(ctx, q))
	diff(t, "models queued", 1, q.Len())
	if k, _ := q.Get(); k != (ModelKey{Namespace: ns, ModelID: "meta/llama-70b"}) {
		t.Errorf("queued %v, want the model whose override changed", k)
	}
}

// forgettingPods records the namespaces the model controller lets go.
type forgettingPods struct {
	clientWorkloads
	forgotten []string
}

func (f *forgettingPods) Forget(namespace string) { f.forgotten = append(f.forgotten, namespace) }

func TestNamespaceWithoutVariantsLeavesThePodCache(t *testing.T) {
	a, b := variant("granite-a", "10", 1, nil), variant("granite-b", "10", 1, nil)
	b.Spec.ModelID = "other-model"
	h := newHarness(t, harnessOpts{objects: []client.Object{a, b}})
	h.scales.SetReplicas(ns, "granite-a", 1)
	pods := &forgettingPods{clientWorkloads: clientWorkloads{h.client}}
	h.model.workloads = pods
	ctx := context.Background()
	if err := h.client.Delete(ctx, a); err != nil {
		t.Fatal(err)
	}
	h.pass(ctx)
	diff(t, "forgotten while another model's variant is left", []string(nil), pods.forgotten)
	if err := h.client.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	h.pass(ctx)
	diff(t, "forgotten once the namespace is empty", []string{ns}, pods.forgotten)
}
