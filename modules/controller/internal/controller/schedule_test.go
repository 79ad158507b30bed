package controller

import (
	"context"
	"sort"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/configwatch"
)

// lunchConfig has a default entry whose window "lunch" runs from 12:30 to
// 13:30 UTC every day; the harness's clock starts at 12:00.
func lunchConfig(t *testing.T) *capacity.Snapshot {
	t.Helper()
	snap := capacity.Parse(map[string]string{"default": "kvCacheThreshold: 0.80\nschedules:\n" +
		"  - {name: lunch, days: [Mon-Sun], start: \"12:30\", end: \"13:30\", timeZone: UTC, kvCacheThreshold: 0.90}\n",
		"llama-lab": "model_id: meta/llama-70b\nnamespace: production\nqueueLengthThreshold: 20\nschedules: []\n",
	}, "9")
	if errs := snap.Errors(); len(errs) > 0 {
		t.Fatalf("invalid entries: %v", errs)
	}
	return snap
}

// TestConfigStatusFollowsTheClock: the VariantAutoscaling controller
// resolves at its clock's now, so status shows the window while it is
// active, with its end, and the entry's values outside it.
func TestConfigStatusFollowsTheClock(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil)}})
	h.store.Replace(lunchConfig(t))
	ctx := context.Background()
	outside := &v1alpha1.AppliedCapacityConfig{
		KvCacheThreshold: "0.80", QueueLengthThreshold: 5, KvSpareTrigger: "0.10", QueueSpareTrigger: 3,
		Source: "default", ConfigMapResourceVersion: "9",
		Inherited: "queueLengthThreshold=builtin,kvSpareTrigger=builtin,queueSpareTrigger=builtin",
	}
	inside := &v1alpha1.AppliedCapacityConfig{
		KvCacheThreshold: "0.90", QueueLengthThreshold: 5, KvSpareTrigger: "0.10", QueueSpareTrigger: 3,
		Source: "default#lunch", ConfigMapResourceVersion: "9",
		Inherited: "queueLengthThreshold=builtin,kvSpareTrigger=builtin,queueSpareTrigger=builtin",
		Window:    "lunch", WindowEnds: &metav1.Time{Time: start.Add(90 * time.Minute)},
	}
	cases := []struct {
		at          time.Time
		want        *v1alpha1.AppliedCapacityConfig
		wantMessage string
	}{
		{start, outside, "ConfigMap default entry at resourceVersion 9"},
		{start.Add(30*time.Minute - time.Second), outside, "ConfigMap default entry at resourceVersion 9"},
		{start.Add(30 * time.Minute), inside, `ConfigMap default entry at resourceVersion 9, window "lunch" until 2025-11-26T13:30:00Z`},
		{start.Add(90*time.Minute - time.Second), inside, `ConfigMap default entry at resourceVersion 9, window "lunch" until 2025-11-26T13:30:00Z`},
		{start.Add(90 * time.Minute), outside, "ConfigMap default entry at resourceVersion 9"},
	}
	for _, tc := range cases {
		h.clock.SetTime(tc.at)
		h.reconcile(ctx, "granite-a")
		va := h.get("granite-a")
		diff(t, "appliedConfig at "+tc.at.Format(time.TimeOnly), *tc.want, va.Status.AppliedConfig)
		cond := conditionOf(va, v1alpha1.ConditionConfigResolved)
		diff(t, "ConfigResolved at "+tc.at.Format(time.TimeOnly), "True/ConfigMapDefault/"+tc.wantMessage,
			string(cond.Status)+"/"+cond.Reason+"/"+cond.Message)
	}
}

func conditionOf(va *v1alpha1.VariantAutoscaling, typ string) metav1.Condition {
	for _, c := range va.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

// TestBoundaryQueuesSwitchedObjectsOnly: at a boundary both controllers
// queue what it switches (the default's variants and their model, not the
// model whose override opts out of the default's windows), and count the
// VariantAutoscalings.
func TestBoundaryQueuesSwitchedObjectsOnly(t *testing.T) {
	other := variant("llama", "10", 1, nil)
	other.Spec.ModelID = "meta/llama-70b"
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil), variant("granite-b", "10", 1, nil), other}})
	h.store.Replace(lunchConfig(t))
	ctx := context.Background()

	cases := map[string]struct {
		at         time.Time
		wantVAs    []string
		wantModels []ModelKey
	}{
		"lunch starts": {
			at:         start.Add(30 * time.Minute),
			wantVAs:    []string{ns + "/granite-a", ns + "/granite-b"},
			wantModels: []ModelKey{{Namespace: ns, ModelID: model}},
		},
		"not a boundary": {at: start.Add(time.Minute)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			vaQueue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
			defer vaQueue.ShutDown()
			modelQueue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[ModelKey]())
			defer modelQueue.ShutDown()
			b := configwatch.NewBoundary(h.store.Load(), tc.at)

			diff(t, "VariantAutoscalings switched", len(tc.wantVAs), h.va.enqueueSwitched(ctx, b, vaQueue))
			diff(t, "VariantAutoscalings covered by the models", len(tc.wantVAs), h.model.enqueueSwitchedModels(ctx, b, modelQueue))
			var vas []string
			for vaQueue.Len() > 0 {
				req, _ := vaQueue.Get()
				vas = append(vas, req.String())
				vaQueue.Done(req)
			}
			sort.Strings(vas)
			diff(t, "VariantAutoscalings queued", tc.wantVAs, vas)
			var models []ModelKey
			for modelQueue.Len() > 0 {
				k, _ := modelQueue.Get()
				models = append(models, k)
				modelQueue.Done(k)
			}
			diff(t, "models queued", tc.wantModels, models)
			if len(tc.wantVAs) > 0 {
				diff(t, "windows", []string{"default#lunch"}, b.Windows())
				diff(t, "entries", []string{"default"}, b.Entries())
			}
		})
	}
}

// TestModelPassUsesTheWindow: the model controller analyses with the
// thresholds that apply at its clock's now, the window's while it is active.
func TestModelPassUsesTheWindow(t *testing.T) {
	h := newHarness(t, harnessOpts{objects: []client.Object{variant("granite-a", "10", 1, nil)}})
	h.store.Replace(lunchConfig(t))
	ctx := context.Background()
	key := ModelKey{Namespace: ns, ModelID: model}
	cases := []struct {
		at     time.Time
		wantKv float64
	}{
		{start, 0.80},
		{start.Add(45 * time.Minute), 0.90},
		{start.Add(90 * time.Minute), 0.80},
	}
	for _, tc := range cases {
		h.clock.SetTime(tc.at)
		h.pass(ctx)
		h.model.states.mu.Lock()
		got := h.model.states.config[key].KvCacheThreshold
		h.model.states.mu.Unlock()
		diff(t, "kvCacheThreshold the pass used at "+tc.at.Format(time.TimeOnly), tc.wantKv, got)
	}
}
