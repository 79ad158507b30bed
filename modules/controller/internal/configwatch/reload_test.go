package configwatch

import (
	"context"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/logging/logtest"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

type reloadFixture struct {
	r   *Reloader
	q   workqueue.TypedRateLimitingInterface[reconcile.Request]
	rec *logtest.Recorder
	tel *telemetry.Metrics
}

// newReloadFixture returns a Reloader whose one subscriber (as a leader's
// controller subscribes through Source) queues every VariantAutoscaling of
// objs; standby leaves it without subscribers.
func newReloadFixture(t *testing.T, initial *capacity.Snapshot, standby bool, objs ...client.Object) *reloadFixture {
	t.Helper()
	log, rec := logtest.New()
	tel := newTelemetry(t)
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	t.Cleanup(q.ShutDown)
	r := &Reloader{
		Key: key, Store: capacity.NewStore(initial), Informers: &informertest.FakeInformers{}, Telemetry: tel,
		Clock: clocktesting.NewFakePassiveClock(time.Unix(1_700_000_000, 0)), Log: log,
	}
	if !standby {
		lister := fakeClient(t, objs...)
		src := Source(r, func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) int {
			list := &v1alpha1.VariantAutoscalingList{}
			if err := lister.List(ctx, list); err != nil {
				t.Errorf("listing: %v", err)
			}
			for i := range list.Items {
				q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
			}
			return len(list.Items)
		})
		if err := src.Start(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	return &reloadFixture{r: r, q: q, rec: rec, tel: tel}
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
	objs := []client.Object{va("production", "granite-a"), va("production", "granite-b"), va("lab", "llama")}
	f := newReloadFixture(t, capacity.Builtin(), false, objs...)

	f.r.OnChange(configMap("10", specData))

	wantLines := []logtest.Line{
		{Level: "info", Message: MsgChanged, Fields: map[string]any{
			"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "10"}},
		{Level: "info", Message: MsgCacheUpdated, Fields: map[string]any{"entries": int64(2), "has_default": true}},
		{Level: "info", Message: MsgLoaded, Fields: map[string]any{
			"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "10", "entries": int64(2), "has_default": true}},
		{Level: "warn", Message: MsgInvalidEntry, Fields: map[string]any{
			"key": "invalid-config", "error": "kvCacheThreshold must be between 0 and 1, got 1.50"}},
		{Level: "warn", Message: MsgEntryWarning, Fields: map[string]any{"key": "granite-prod", "warning": granitePrecedence}},
		{Level: "info", Message: MsgTriggerAll, Fields: map[string]any{"count": int64(3)}},
	}
	mustDiff(t, "log lines after create", wantLines, f.rec.Lines())
	mustDiff(t, "queued after create", []string{"lab/llama", "production/granite-a", "production/granite-b"}, f.queued())
	mustDiff(t, "version after create", "10", f.r.Store.Load().Version())

	// An update with a new resourceVersion reloads again; without a default
	// entry the built-in defaults apply and the spec's WARN says so.
	f.r.OnChange(configMap("11", map[string]string{}))
	lines := f.rec.Lines()[len(wantLines):]
	wantUpdate := []logtest.Line{
		{Level: "info", Message: MsgChanged, Fields: map[string]any{
			"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "11"}},
		{Level: "info", Message: MsgCacheUpdated, Fields: map[string]any{"entries": int64(0), "has_default": false}},
		{Level: "info", Message: MsgLoaded, Fields: map[string]any{
			"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "11", "entries": int64(0), "has_default": false}},
		{Level: "warn", Message: MsgNoDefault, Fields: map[string]any{}},
		{Level: "info", Message: MsgTriggerAll, Fields: map[string]any{"count": int64(3)}},
	}
	mustDiff(t, "log lines after update", wantUpdate, lines)
	mustDiff(t, "queued after update", []string{"lab/llama", "production/granite-a", "production/granite-b"}, f.queued())
	_, src := f.r.Store.Load().Resolve("ibm/granite-13b", "production")
	mustDiff(t, "source after update", capacity.SourceBuiltin, src)
	mustDiff(t, "reloads", 2.0, reloads(f.tel, telemetry.ResultLoaded))
}

func TestReloadSkipsTheCachedVersion(t *testing.T) {
	f := newReloadFixture(t, capacity.Parse(specData, "10"), false, va("production", "granite-a"))
	// The informer's initial list delivers the version read at startup.
	f.r.OnChange(configMap("10", specData))
	mustDiff(t, "log lines", []logtest.Line{{Level: "debug", Message: MsgUnchanged, Fields: map[string]any{
		"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "10"}}}, f.rec.Lines())
	mustDiff(t, "queued", []string(nil), f.queued())
}

func TestReloadIgnoresOtherObjects(t *testing.T) {
	f := newReloadFixture(t, capacity.Builtin(), false, va("production", "granite-a"))
	other := configMap("5", specData)
	other.Name = "someone-elses"
	otherNS := configMap("6", specData)
	otherNS.Namespace = "default"
	f.r.OnChange(other)
	f.r.OnChange(otherNS)
	f.r.OnDelete(other)
	f.r.OnChange(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}})
	f.r.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "default/x", Obj: otherNS})
	mustDiff(t, "log lines", []logtest.Line{}, f.rec.Lines())
	mustDiff(t, "queued", []string(nil), f.queued())
	mustDiff(t, "version", "", f.r.Store.Load().Version())
}

func TestReloadOnDelete(t *testing.T) {
	f := newReloadFixture(t, capacity.Parse(specData, "10"), false, va("production", "granite-a"))
	f.r.OnDelete(toolscache.DeletedFinalStateUnknown{Key: key.String(), Obj: configMap("10", specData)})
	want := []logtest.Line{
		{Level: "warn", Message: MsgDeleted, Fields: map[string]any{"configmap": key.Name, "namespace": key.Namespace}},
		{Level: "info", Message: MsgTriggerAll, Fields: map[string]any{"count": int64(1)}},
	}
	mustDiff(t, "log lines", want, f.rec.Lines())
	mustDiff(t, "queued", []string{"production/granite-a"}, f.queued())
	_, src := f.r.Store.Load().Resolve("ibm/granite-13b", "production")
	mustDiff(t, "source", capacity.SourceBuiltin, src)
	mustDiff(t, "reloads", 1.0, reloads(f.tel, telemetry.ResultDeleted))
}

// TestReloadOnAStandby checks that a replica without subscribers (not the
// leader: its controllers have not started) keeps its Store current and
// enqueues nothing.
func TestReloadOnAStandby(t *testing.T) {
	f := newReloadFixture(t, capacity.Parse(specData, "10"), true)
	f.r.OnChange(configMap("11", map[string]string{"default": "kvCacheThreshold: 0.9\n"}))
	mustDiff(t, "version", "11", f.r.Store.Load().Version())
	cfg, _ := f.r.Store.Load().Resolve("m", "ns")
	mustDiff(t, "kvCacheThreshold", 0.9, cfg.KvCacheThreshold)
	for _, l := range f.rec.Lines() {
		if l.Message == MsgTriggerAll {
			t.Errorf("a standby logged %q: %+v", MsgTriggerAll, l)
		}
	}
	mustDiff(t, "messages", []string{MsgChanged, MsgCacheUpdated, MsgLoaded, MsgStandby}, messages(f.rec.Lines()))
}

// TestReloaderWatchesTheInformer registers the Reloader on a fake informer,
// as Start does: the replay of the startup version changes nothing, an update
// reloads, a delete falls back to the built-in defaults. (Start itself runs
// in the integration suite, on a real cache.)
func TestReloaderWatchesTheInformer(t *testing.T) {
	f := newReloadFixture(t, capacity.Parse(specData, "10"), false, va("production", "granite-a"))
	ctx := context.Background()
	if _, _, err := f.r.register(ctx); err != nil {
		t.Fatal(err)
	}
	informer, err := f.r.Informers.(*informertest.FakeInformers).FakeInformerFor(ctx, &corev1.ConfigMap{})
	if err != nil {
		t.Fatal(err)
	}
	informer.Add(configMap("10", specData))
	mustDiff(t, "queued after the replay", []string(nil), f.queued())
	informer.Update(configMap("10", specData), configMap("12", map[string]string{"default": "queueLengthThreshold: 9\n"}))
	mustDiff(t, "version after update", "12", f.r.Store.Load().Version())
	mustDiff(t, "queued after update", []string{"production/granite-a"}, f.queued())
	informer.Delete(configMap("12", nil))
	_, src := f.r.Store.Load().Resolve("m", "ns")
	mustDiff(t, "source after delete", capacity.SourceBuiltin, src)
	if f.r.NeedLeaderElection() {
		t.Error("NeedLeaderElection = true: a standby replica would keep a stale configuration")
	}
}

func messages(lines []logtest.Line) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Message)
	}
	return out
}
