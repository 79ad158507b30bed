package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/config"
	"github.com/wva-project/wva/modules/controller/internal/logging/logtest"
)

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s: -want +got:\n%s", what, d)
	}
}

var defaultApplied = &v1alpha1.AppliedCapacityConfig{
	KvCacheThreshold: "0.80", QueueLengthThreshold: 5, KvSpareTrigger: "0.10", QueueSpareTrigger: 3,
	Source: "default", ConfigMapResourceVersion: "7",
}

// TestReconcileWithoutScaling covers the states in which nothing may be
// scaled; in each the applied configuration still reaches status.
func TestReconcileWithoutScaling(t *testing.T) {
	cases := map[string]struct {
		opts           harnessOpts
		deployment     bool
		sourceErr      error
		withMetrics    bool
		wantConditions map[string]string
		wantReplicas   [2]int32 // current, desired
	}{
		"target missing": {
			wantConditions: map[string]string{
				"ConfigResolved": "True/ConfigMapDefault", "TargetResolved": "False/TargetNotFound",
				"MetricsAvailable": "False/TargetNotResolved", "Ready": "False/TargetNotFound",
			},
		},
		"no metrics source configured": {
			opts: harnessOpts{noSource: true}, deployment: true, withMetrics: true,
			wantConditions: map[string]string{
				"ConfigResolved": "True/ConfigMapDefault", "TargetResolved": "True/TargetFound",
				"MetricsAvailable": "False/MetricsSourceNotConfigured", "Ready": "False/MetricsSourceNotConfigured",
			},
			wantReplicas: [2]int32{1, 1},
		},
		"metrics query fails": {
			deployment: true, sourceErr: errors.New("connection refused"),
			wantConditions: map[string]string{
				"ConfigResolved": "True/ConfigMapDefault", "TargetResolved": "True/TargetFound",
				"MetricsAvailable": "False/MetricsQueryFailed", "Ready": "False/MetricsQueryFailed",
			},
			wantReplicas: [2]int32{1, 1},
		},
		"no replica reports metrics": {
			deployment: true,
			wantConditions: map[string]string{
				"ConfigResolved": "True/ConfigMapDefault", "TargetResolved": "True/TargetFound",
				"MetricsAvailable": "False/MetricsMissing", "Ready": "False/MetricsMissing",
			},
			wantReplicas: [2]int32{1, 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.opts.objects = []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}
			h := newHarness(t, tc.opts)
			if tc.deployment {
				h.scales.set("granite-a", 1)
			}
			if tc.withMetrics {
				h.metrics("granite-a-0", 0.95, 9) // saturated: would scale up
			}
			h.source.Err = tc.sourceErr
			res := h.reconcile(context.Background(), "granite-a")

			diff(t, "result", ctrl.Result{RequeueAfter: interval}, res)
			va := h.get("granite-a")
			diff(t, "appliedConfig", defaultApplied, va.Status.AppliedConfig)
			diff(t, "conditions", tc.wantConditions, conditions(va))
			diff(t, "replicas", tc.wantReplicas, [2]int32{va.Status.CurrentReplicas, va.Status.DesiredReplicas})
			diff(t, "observedGeneration", int64(3), va.Status.ObservedGeneration)
			diff(t, "scale updates", []string(nil), h.scales.updates)
			diff(t, "events", []string(nil), h.events())
		})
	}
}

func TestReconcileScalesUpAtOnce(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}})
	h.scales.set("granite-a", 1)
	h.metrics("granite-a-0", 0.95, 9)

	res := h.reconcile(context.Background(), "granite-a")

	diff(t, "result", ctrl.Result{RequeueAfter: interval}, res)
	diff(t, "scale updates", []string{"production/granite-a=2"}, h.scales.updates)
	va := h.get("granite-a")
	diff(t, "replicas", [2]int32{1, 2}, [2]int32{va.Status.CurrentReplicas, va.Status.DesiredReplicas})
	diff(t, "lastScaleTime", ptr.To(metav1.NewTime(start)), va.Status.LastScaleTime)
	diff(t, "conditions", map[string]string{
		"ConfigResolved": "True/ConfigMapDefault", "TargetResolved": "True/TargetFound",
		"MetricsAvailable": "True/MetricsFound", "Ready": "True/Reconciled",
	}, conditions(va))
	a := va.Status.LastAnalysis
	diff(t, "analysis", [3]any{int32(1), int32(1), "ScaleUp"}, [3]any{a.Replicas, a.SaturatedReplicas, a.Decision})
	ev := h.events()
	if len(ev) != 1 || !strings.HasPrefix(ev[0], "Normal Scaled Scaled Deployment granite-a from 1 to 2 replicas") {
		t.Errorf("events = %q, want one Scaled event", ev)
	}
	diff(t, "desired gauge", 2.0, testutil.ToFloat64(h.telemetry.DesiredReplicas.WithLabelValues(ns, "granite-a", model)))
	diff(t, "decisions", 1.0, testutil.ToFloat64(h.telemetry.Decisions.WithLabelValues("ScaleUp")))

	// The new replica has no metrics yet: no second step until it reports.
	h.scales.mu.Lock()
	h.scales.byName[ns+"/granite-a"].ResourceVersion = "2"
	h.scales.mu.Unlock()
	h.reconcile(context.Background(), "granite-a")
	diff(t, "scale updates after hold", []string{"production/granite-a=2"}, h.scales.updates)
	va = h.get("granite-a")
	diff(t, "decision after hold", "NoChange", va.Status.LastAnalysis.Decision)
	if !strings.Contains(va.Status.LastAnalysis.Reason, "scale-up held until the new replicas report metrics (1 of 2 do)") {
		t.Errorf("reason %q does not explain the hold", va.Status.LastAnalysis.Reason)
	}
}

func TestReconcileScaleDownWaitsForStabilization(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{
		variant("granite-a", "10", 1, nil), pod("granite-a", 0), pod("granite-a", 1),
	}})
	h.scales.set("granite-a", 2)
	h.metrics("granite-a-0", 0.1, 0)
	h.metrics("granite-a-1", 0.1, 0)
	ctx := context.Background()

	res := h.reconcile(ctx, "granite-a")
	diff(t, "first result", ctrl.Result{RequeueAfter: interval}, res)
	diff(t, "first scale updates", []string(nil), h.scales.updates)
	va := h.get("granite-a")
	diff(t, "first decision", "NoChange", va.Status.LastAnalysis.Decision)
	if !strings.Contains(va.Status.LastAnalysis.Reason, "stabilization window (5m0s remaining)") {
		t.Errorf("reason %q does not mention the window", va.Status.LastAnalysis.Reason)
	}

	h.clock.Step(window - 10*time.Second)
	res = h.reconcile(ctx, "granite-a")
	diff(t, "result near the end of the window", ctrl.Result{RequeueAfter: 10 * time.Second}, res)
	diff(t, "scale updates within the window", []string(nil), h.scales.updates)

	h.clock.Step(10 * time.Second)
	h.reconcile(ctx, "granite-a")
	diff(t, "scale updates after the window", []string{"production/granite-a=1"}, h.scales.updates)
	va = h.get("granite-a")
	diff(t, "decision after the window", "ScaleDown", va.Status.LastAnalysis.Decision)
	diff(t, "lastScaleTime", ptr.To(metav1.NewTime(start.Add(window))), va.Status.LastScaleTime)
}

func TestReconcileScaleDownWindowRestartsWhenInterrupted(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{
		variant("granite-a", "10", 1, nil), pod("granite-a", 0), pod("granite-a", 1),
	}})
	h.scales.set("granite-a", 2)
	idle := func() { h.metrics("granite-a-0", 0.1, 0); h.metrics("granite-a-1", 0.1, 0) }
	ctx := context.Background()
	idle()
	h.reconcile(ctx, "granite-a")
	h.clock.Step(4 * time.Minute)
	h.metrics("granite-a-0", 0.7, 0) // busier: scale-down no longer safe
	h.reconcile(ctx, "granite-a")
	idle()
	h.clock.Step(2 * time.Minute)
	h.reconcile(ctx, "granite-a") // 6 minutes after the first, but a new window started
	diff(t, "scale updates", []string(nil), h.scales.updates)
	h.clock.Step(window)
	h.reconcile(ctx, "granite-a")
	diff(t, "scale updates after a full window", []string{"production/granite-a=1"}, h.scales.updates)
}

func TestReconcileScalesTheCheapestVariant(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{
		variant("granite-a100", "40", 1, nil), variant("granite-l4", "10", 1, ptr.To[int32](4)),
		pod("granite-a100", 0), pod("granite-l4", 0),
	}})
	h.scales.set("granite-a100", 1)
	h.scales.set("granite-l4", 1)
	h.metrics("granite-a100-0", 0.95, 9)
	h.metrics("granite-l4-0", 0.9, 8)
	ctx := context.Background()

	h.reconcile(ctx, "granite-a100")
	diff(t, "scale updates after the expensive variant", []string(nil), h.scales.updates)
	diff(t, "expensive decision", "NoChange", h.get("granite-a100").Status.LastAnalysis.Decision)
	diff(t, "pooled replicas", int32(2), h.get("granite-a100").Status.LastAnalysis.Replicas)

	h.reconcile(ctx, "granite-l4")
	diff(t, "scale updates after the cheap variant", []string{"production/granite-l4=2"}, h.scales.updates)
}

func TestReconcileMetricsActuation(t *testing.T) {
	h := newHarness(t, harnessOpts{metrics: true, objects: []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}})
	h.scales.set("granite-a", 1)
	h.metrics("granite-a-0", 0.95, 9)

	h.reconcile(context.Background(), "granite-a")

	diff(t, "scale updates", []string(nil), h.scales.updates)
	diff(t, "wva_desired_replicas", 2.0, testutil.ToFloat64(h.telemetry.DesiredReplicas.WithLabelValues(ns, "granite-a", model)))
	va := h.get("granite-a")
	diff(t, "replicas", [2]int32{1, 2}, [2]int32{va.Status.CurrentReplicas, va.Status.DesiredReplicas})
	if va.Status.LastScaleTime != nil {
		t.Errorf("lastScaleTime = %v, want unset: nothing was scaled", va.Status.LastScaleTime)
	}
	ev := h.events()
	if len(ev) != 1 || !strings.HasPrefix(ev[0], "Normal DesiredReplicasChanged ") {
		t.Errorf("events = %q, want one DesiredReplicasChanged event", ev)
	}
}

func TestReconcileOverrideAndDebugLine(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil)}})
	h.store.Replace(capacity.Parse(map[string]string{
		"default":      "kvCacheThreshold: 0.80\n",
		"granite-prod": "model_id: ibm/granite-13b\nnamespace: production\nkvCacheThreshold: 0.90\nkvSpareTrigger: 0.15\n",
	}, "12"))
	log, rec := logtest.New()

	h.reconcile(ctrl.LoggerInto(context.Background(), log), "granite-a")

	va := h.get("granite-a")
	diff(t, "appliedConfig", &v1alpha1.AppliedCapacityConfig{
		KvCacheThreshold: "0.90", QueueLengthThreshold: 5, KvSpareTrigger: "0.15", QueueSpareTrigger: 3,
		Source: "override/granite-prod", ConfigMapResourceVersion: "12",
	}, va.Status.AppliedConfig)
	diff(t, "ConfigResolved", "True/ConfigMapOverride", conditions(va)["ConfigResolved"])
	lines := rec.Messages(config.MsgAppliedOverride)
	if len(lines) != 1 {
		t.Fatalf("got %d %q lines, want 1", len(lines), config.MsgAppliedOverride)
	}
	diff(t, "level", "debug", lines[0].Level)
	for k, want := range map[string]any{"key": "granite-prod", "modelID": model, "namespace": ns} {
		diff(t, "field "+k, want, lines[0].Fields[k])
	}
	if _, ok := lines[0].Fields["config"]; !ok {
		t.Errorf("debug line has no config field: %v", lines[0].Fields)
	}
}

func TestReconcileDoesNotRewriteAnUnchangedStatus(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}})
	h.scales.set("granite-a", 1)
	h.metrics("granite-a-0", 0.5, 1) // within thresholds, one replica: NoChange
	ctx := context.Background()
	h.reconcile(ctx, "granite-a")
	h.clock.Step(interval)
	h.reconcile(ctx, "granite-a")
	diff(t, "status patches", 1, h.patches)
}

func TestReconcileErrors(t *testing.T) {
	t.Run("VariantAutoscaling gone", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		h.telemetry.Variant(ns, "gone", model, 1, 1)
		diff(t, "result", ctrl.Result{}, h.reconcile(context.Background(), "gone"))
		diff(t, "series left", 0, testutil.CollectAndCount(h.telemetry.DesiredReplicas))
	})
	t.Run("API error reading the target is retried", func(t *testing.T) {
		h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil)}})
		h.scales.getErr = apierrors.NewServiceUnavailable("etcd down")
		_, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: "granite-a"}})
		if !apierrors.IsServiceUnavailable(err) {
			t.Errorf("error = %v, want ServiceUnavailable", err)
		}
		va := h.get("granite-a")
		diff(t, "appliedConfig", defaultApplied, va.Status.AppliedConfig)
		diff(t, "Ready", "False/ReconcileFailed", conditions(va)["Ready"])
	})
	t.Run("scale conflict is retried", func(t *testing.T) {
		h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), pod("granite-a", 0)}})
		h.scales.set("granite-a", 1)
		h.metrics("granite-a-0", 0.95, 9)
		h.scales.updErr = apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "granite-a", errors.New("changed"))
		_, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: "granite-a"}})
		if !apierrors.IsConflict(err) {
			t.Errorf("error = %v, want Conflict", err)
		}
		diff(t, "Ready", "False/ScaleFailed", conditions(h.get("granite-a"))["Ready"])
	})
}
