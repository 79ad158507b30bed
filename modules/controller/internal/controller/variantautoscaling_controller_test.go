package controller

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/configwatch"
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
	// The harness's default entry sets only kvCacheThreshold.
	Inherited: "queueLengthThreshold=builtin,kvSpareTrigger=builtin,queueSpareTrigger=builtin",
}

// TestConfigStatusNeedsNoTargetNorMetrics checks that the applied
// configuration reaches status from the Store alone: no scale target, no
// metrics read, one status patch.
func TestConfigStatusNeedsNoTargetNorMetrics(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil)}})

	res := h.reconcile(context.Background(), "granite-a")

	diff(t, "result", ctrl.Result{}, res)
	va := h.get("granite-a")
	diff(t, "appliedConfig", *defaultApplied, va.Status.AppliedConfig)
	diff(t, "conditions", map[string]string{"ConfigResolved": "True/ConfigMapDefault"}, conditions(va))
	diff(t, "metrics source calls", 0, h.source.calls)
	diff(t, "status patches", 1, h.patches)

	// Nothing changed: no second write.
	h.reconcile(context.Background(), "granite-a")
	diff(t, "status patches after a second reconcile", 1, h.patches)
}

func TestConfigStatusOverrideAndDebugLine(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil)}})
	h.store.Replace(capacity.Parse(map[string]string{
		"default":      "kvCacheThreshold: 0.80\n",
		"granite-prod": "model_id: ibm/granite-13b\nnamespace: production\nkvCacheThreshold: 0.90\nkvSpareTrigger: 0.15\n",
	}, "12"))
	log, rec := logtest.New()
	// As controller-runtime's reconcile handler sets up the request's
	// logger: the object's reference (a klog.ObjectRef there), then its
	// namespace and name.
	log = log.WithValues("controller", "variantautoscaling", "VariantAutoscaling", ns+"/granite-a",
		"namespace", ns, "name", "granite-a")

	h.reconcile(ctrl.LoggerInto(context.Background(), log), "granite-a")

	va := h.get("granite-a")
	diff(t, "appliedConfig", v1alpha1.AppliedCapacityConfig{
		KvCacheThreshold: "0.90", QueueLengthThreshold: 5, KvSpareTrigger: "0.15", QueueSpareTrigger: 3,
		Source: "override/granite-prod", ConfigMapResourceVersion: "12",
		Inherited: "queueLengthThreshold=builtin,queueSpareTrigger=builtin",
	}, va.Status.AppliedConfig)
	diff(t, "ConfigResolved", "True/ConfigMapOverride", conditions(va)["ConfigResolved"])
	lines := rec.Messages(configwatch.MsgAppliedOverride)
	if len(lines) != 1 {
		t.Fatalf("got %d %q lines, want 1", len(lines), configwatch.MsgAppliedOverride)
	}
	diff(t, "level", "debug", lines[0].Level)
	for k, want := range map[string]any{"key": "granite-prod", "modelID": model, "namespace": ns} {
		diff(t, "field "+k, want, lines[0].Fields[k])
	}
	if _, ok := lines[0].Fields["config"]; !ok {
		t.Errorf("debug line has no config field: %v", lines[0].Fields)
	}
	// The spec's namespace field appears once: the request logger's.
	seen := map[string]int{}
	for _, k := range rec.Keys(configwatch.MsgAppliedOverride)[0] {
		seen[k]++
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("debug line carries %q %d times: %v", k, n, rec.Keys(configwatch.MsgAppliedOverride)[0])
		}
	}
}

// TestStatusWritersKeepEachOthersConditions runs both controllers on one
// VariantAutoscaling, the second on a stale copy: the conflict is resolved
// by a fresh read and neither controller's conditions are lost.
func TestStatusWritersKeepEachOthersConditions(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil)}})
	ctx := context.Background()
	h.pass(ctx) // target missing: TargetResolved, MetricsAvailable, Ready
	h.conflicts = 1
	h.reconcile(ctx, "granite-a")
	va := h.get("granite-a")
	diff(t, "conditions", map[string]string{
		"ConfigResolved": "True/ConfigMapDefault", "TargetResolved": "False/TargetNotFound",
		"MetricsAvailable": "False/TargetNotResolved", "Ready": "False/TargetNotFound",
	}, conditions(va))
	diff(t, "appliedConfig", *defaultApplied, va.Status.AppliedConfig)
	diff(t, "status patches (one conflict, one retry)", 3, h.patches)
}

// TestStatusConflictsRetriedInPlace: conflicts are retried on fresh reads
// up to statusRetry's steps, so that a burst of them (both controllers
// writing every variant from stale caches after an API outage) does not
// wait for a rate-limited requeue; one more conflict is returned.
func TestStatusConflictsRetriedInPlace(t *testing.T) {
	steps := statusRetry.Steps
	for _, tt := range []struct {
		name      string
		conflicts int
		wantErr   bool
	}{
		{name: "every try but the last conflicts", conflicts: steps - 1},
		{name: "every try conflicts", conflicts: steps, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil)}})
			ctx := context.Background()
			h.conflicts = tt.conflicts
			_, err := h.va.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: "granite-a"}})
			if gotErr := err != nil; gotErr != tt.wantErr || (err != nil && !apierrors.IsConflict(err)) {
				t.Fatalf("Reconcile: error %v, want a conflict: %t", err, tt.wantErr)
			}
			diff(t, "status patches", min(tt.conflicts+1, steps), h.patches)
			if !tt.wantErr {
				diff(t, "appliedConfig", *defaultApplied, h.get("granite-a").Status.AppliedConfig)
			}
		})
	}
}

func TestConfigStatusOfAGoneVariant(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	diff(t, "result", ctrl.Result{}, h.reconcile(context.Background(), "gone"))
	diff(t, "status patches", 0, h.patches)
}
