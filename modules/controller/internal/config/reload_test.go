package config

import (
	"context"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/logging/logtest"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

type reloadFixture struct {
	h   *ReloadHandler
	q   workqueue.TypedRateLimitingInterface[reconcile.Request]
	rec *logtest.Recorder
	tel *telemetry.Metrics
}

func newReloadFixture(t *testing.T, initial *capacity.Snapshot, objs ...client.Object) *reloadFixture {
	t.Helper()
	log, rec := logtest.New()
	tel := newTelemetry(t)
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	t.Cleanup(q.ShutDown)
	h := &ReloadHandler{
		Key: key, Store: capacity.NewStore(initial), Lister: fakeClient(t, objs...), Metrics: tel,
		Clock: clocktesting.NewFakePassiveClock(time.Unix(1_700_000_000, 0)), Log: log,
	}
	return &reloadFixture{h: h, q: q, rec: rec, tel: tel}
}

// queued drains the queue.
func (f *reloadFixture) queued() []string {
	var out []string
	for f.q.Len() > 0 {
		req, _ := f.q.Get()
		out = append(out, req.String())
		f.q.Done(req)
	}
	sort.Strings(out)
	return out
}

func TestReloadOnCreateAndUpdate(t *testing.T) {
	ctx := context.Background()
	objs := []client.Object{va("production", "granite-a"), va("production", "granite-b"), va("lab", "llama")}
	f := newReloadFixture(t, capacity.Builtin(), objs...)

	f.h.Create(ctx, event.CreateEvent{Object: configMap("10", specData)}, f.q)

	wantLines := []logtest.Line{
		{Level: "info", Message: MsgChanged, Fields: map[string]any{
			"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "10"}},
		{Level: "info", Message: MsgCacheUpdated, Fields: map[string]any{"entries": int64(2), "has_default": true}},
		{Level: "warn", Message: MsgInvalidEntry, Fields: map[string]any{
			"key": "invalid-config", "error": "kvCacheThreshold must be between 0 and 1, got 1.50"}},
		{Level: "warn", Message: MsgEntryWarning, Fields: map[string]any{"key": "granite-prod", "warning": granitePrecedence}},
		{Level: "info", Message: MsgTriggerAll, Fields: map[string]any{"count": int64(3)}},
	}
	mustDiff(t, "log lines after create", wantLines, f.rec.Lines())
	mustDiff(t, "queued after create", []string{"lab/llama", "production/granite-a", "production/granite-b"}, f.queued())
	mustDiff(t, "version after create", "10", f.h.Store.Load().Version())

	// An update with a new resourceVersion reloads again; without a default
	// entry the built-in defaults apply and the spec's WARN says so.
	old := configMap("10", specData)
	f.h.Update(ctx, event.UpdateEvent{ObjectOld: old, ObjectNew: configMap("11", map[string]string{})}, f.q)
	lines := f.rec.Lines()[len(wantLines):]
	wantUpdate := []logtest.Line{
		{Level: "info", Message: MsgChanged, Fields: map[string]any{
			"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "11"}},
		{Level: "info", Message: MsgCacheUpdated, Fields: map[string]any{"entries": int64(0), "has_default": false}},
		{Level: "warn", Message: MsgNoDefault, Fields: map[string]any{}},
		{Level: "info", Message: MsgTriggerAll, Fields: map[string]any{"count": int64(3)}},
	}
	mustDiff(t, "log lines after update", wantUpdate, lines)
	mustDiff(t, "queued after update", []string{"lab/llama", "production/granite-a", "production/granite-b"}, f.queued())
	_, src := f.h.Store.Load().Resolve("ibm/granite-13b", "production")
	mustDiff(t, "source after update", capacity.SourceBuiltin, src)
	mustDiff(t, "reloads", 2.0, reloads(f.tel, telemetry.ResultLoaded))
}

func TestReloadSkipsTheCachedVersion(t *testing.T) {
	f := newReloadFixture(t, capacity.Parse(specData, "10"), va("production", "granite-a"))
	// The informer's initial list delivers the version read at startup.
	f.h.Create(context.Background(), event.CreateEvent{Object: configMap("10", specData)}, f.q)
	mustDiff(t, "log lines", []logtest.Line{{Level: "debug", Message: MsgUnchanged, Fields: map[string]any{
		"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "10"}}}, f.rec.Lines())
	mustDiff(t, "queued", []string(nil), f.queued())
}

func TestReloadIgnoresOtherObjects(t *testing.T) {
	f := newReloadFixture(t, capacity.Builtin(), va("production", "granite-a"))
	other := configMap("5", specData)
	other.Name = "someone-elses"
	otherNS := configMap("6", specData)
	otherNS.Namespace = "default"
	ctx := context.Background()
	f.h.Create(ctx, event.CreateEvent{Object: other}, f.q)
	f.h.Update(ctx, event.UpdateEvent{ObjectOld: otherNS, ObjectNew: otherNS}, f.q)
	f.h.Delete(ctx, event.DeleteEvent{Object: other}, f.q)
	f.h.Create(ctx, event.CreateEvent{Object: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}}, f.q)
	f.h.Generic(ctx, event.GenericEvent{Object: configMap("7", specData)}, f.q)
	mustDiff(t, "log lines", []logtest.Line{}, f.rec.Lines())
	mustDiff(t, "queued", []string(nil), f.queued())
	mustDiff(t, "version", "", f.h.Store.Load().Version())
}

func TestReloadOnDelete(t *testing.T) {
	f := newReloadFixture(t, capacity.Parse(specData, "10"), va("production", "granite-a"))
	f.h.Delete(context.Background(), event.DeleteEvent{Object: configMap("10", specData)}, f.q)
	want := []logtest.Line{
		{Level: "warn", Message: MsgDeleted, Fields: map[string]any{"configmap": key.Name, "namespace": key.Namespace}},
		{Level: "info", Message: MsgTriggerAll, Fields: map[string]any{"count": int64(1)}},
	}
	mustDiff(t, "log lines", want, f.rec.Lines())
	mustDiff(t, "queued", []string{"production/granite-a"}, f.queued())
	_, src := f.h.Store.Load().Resolve("ibm/granite-13b", "production")
	mustDiff(t, "source", capacity.SourceBuiltin, src)
	mustDiff(t, "reloads", 1.0, reloads(f.tel, telemetry.ResultDeleted))
}
