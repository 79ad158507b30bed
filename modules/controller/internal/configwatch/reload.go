package configwatch

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/logging"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

// InformerSource gives the informer of a kind; the manager's cache is one.
type InformerSource interface {
	GetInformer(ctx context.Context, obj client.Object, opts ...crcache.InformerGetOption) (crcache.Informer, error)
}

// Subscriber is called after every change of the Store, with the context of
// the reload; it enqueues the work the change causes and returns how many
// VariantAutoscalings that work covers.
type Subscriber func(ctx context.Context) int

// Reloader keeps the Store in step with the ConfigMap. It handles the events
// of the manager's ConfigMap informer (which the cache scopes to the one
// ConfigMap): it parses the object the event delivers (no API call), swaps
// the Store, logs the spec's lines and calls its subscribers, so that every
// VariantAutoscaling is reconciled with the new configuration.
//
// As a manager.Runnable it does not need leader election: a standby replica
// keeps its Store current too, so that after a failover it applies the latest
// configuration at once. Subscribers are the controllers' sources, which
// start only on the leader; on a standby the change is stored and nothing is
// enqueued.
type Reloader struct {
	Key       types.NamespacedName
	Store     *capacity.Store
	Informers InformerSource     // the manager's cache
	Telemetry *telemetry.Metrics // what WVA exports
	Clock     clock.PassiveClock
	Log       logr.Logger

	mu          sync.Mutex
	ctx         context.Context // of Start: the lifetime of the subscribers' work
	subscribers []Subscriber

	// applyMu orders the informer's events and Resync's reads; gen counts
	// the informer's events, so that a read older than one is dropped.
	applyMu sync.Mutex
	gen     uint64
}

var (
	_ manager.Runnable               = (*Reloader)(nil)
	_ manager.LeaderElectionRunnable = (*Reloader)(nil)
)

// NeedLeaderElection implements manager.LeaderElectionRunnable: the Store is
// kept current on every replica.
func (r *Reloader) NeedLeaderElection() bool { return false }

// Start implements manager.Runnable: it registers the handler on the
// ConfigMap informer and runs until ctx is done. The informer replays the
// object it holds on registration; a replay of the version the startup read
// stored changes nothing.
func (r *Reloader) Start(ctx context.Context) error {
	informer, reg, err := r.register(ctx)
	if err != nil {
		return err
	}
	<-ctx.Done()
	if err := informer.RemoveEventHandler(reg); err != nil {
		r.Log.V(1).Info("Removing the ConfigMap event handler failed", "error", err.Error())
	}
	return nil
}

// register adds the handler to the ConfigMap informer.
func (r *Reloader) register(ctx context.Context) (crcache.Informer, toolscache.ResourceEventHandlerRegistration, error) {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
	informer, err := r.Informers.GetInformer(ctx, &corev1.ConfigMap{})
	if err != nil {
		return nil, nil, fmt.Errorf("getting the ConfigMap informer: %w", err)
	}
	reg, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { r.OnChange(obj) },
		UpdateFunc: func(_, obj any) { r.OnChange(obj) },
		DeleteFunc: r.OnDelete,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("watching ConfigMap %s: %w", r.Key, err)
	}
	return informer, reg, nil
}

// Subscribe adds s to the functions called after every change.
func (r *Reloader) Subscribe(s Subscriber) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subscribers = append(r.subscribers, s)
}

// Source returns a controller source that, once its controller starts,
// subscribes enqueue with the controller's queue: every configuration change
// then adds the requests enqueue chooses.
func Source[T comparable](r *Reloader, enqueue func(ctx context.Context, q workqueue.TypedRateLimitingInterface[T]) int) source.TypedSource[T] {
	return source.TypedFunc[T](func(_ context.Context, q workqueue.TypedRateLimitingInterface[T]) error {
		r.Subscribe(func(ctx context.Context) int { return enqueue(ctx, q) })
		return nil
	})
}

// OnChange handles an added or updated ConfigMap.
func (r *Reloader) OnChange(obj any) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok || !r.isConfigMap(cm) {
		return
	}
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	r.gen++
	r.apply(cm)
}

// Generation is the number of informer events handled so far; a read of
// the ConfigMap started at generation g may be applied with ApplyRead(g, ...).
func (r *Reloader) Generation() uint64 {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	return r.gen
}

// ApplyRead applies what a read of the ConfigMap through the API returned
// (cm, or nil when it does not exist), unless an informer event arrived
// since the read started at generation gen: that event is at least as new.
// A version the Store holds already changes nothing. It reports whether the
// Store changed.
func (r *Reloader) ApplyRead(gen uint64, cm *corev1.ConfigMap) bool {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	current := r.Store.Load().Version()
	switch {
	case r.gen != gen:
		return false
	case cm == nil && current == "":
		return false // no ConfigMap, none held
	case cm == nil:
		r.deleted()
		return true
	case cm.ResourceVersion == current:
		return false
	}
	r.apply(cm)
	return true
}

// apply stores the configuration of cm; applyMu is held.
func (r *Reloader) apply(cm *corev1.ConfigMap) {
	start := r.Clock.Now()
	// The informer's initial list and its periodic resyncs deliver the
	// version the cache already holds (read at startup): nothing changed.
	if cm.ResourceVersion != "" && cm.ResourceVersion == r.Store.Load().Version() {
		r.Log.V(1).Info(MsgUnchanged, "configmap", r.Key.Name, "namespace", r.Key.Namespace,
			"resourceVersion", cm.ResourceVersion)
		return
	}
	r.Log.Info(MsgChanged, "configmap", r.Key.Name, "namespace", r.Key.Namespace,
		"resourceVersion", cm.ResourceVersion)
	snap := capacity.Parse(cm.Data, cm.ResourceVersion)
	r.Store.Replace(snap)
	r.Telemetry.ConfigLoaded(telemetry.ResultLoaded, snap.Entries(), len(snap.Errors()))
	r.Log.Info(MsgCacheUpdated, "entries", snap.Entries(), "has_default", snap.HasDefault())
	logLoaded(r.Log, r.Key, snap)
	reportProblems(r.Log, cm, snap)
	r.notify(start)
}

// OnDelete handles a deleted ConfigMap: back to the built-in defaults.
func (r *Reloader) OnDelete(obj any) {
	if tombstone, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok || !r.isConfigMap(cm) {
		return
	}
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	r.gen++
	r.deleted()
}

// deleted stores the built-in defaults; applyMu is held.
func (r *Reloader) deleted() {
	start := r.Clock.Now()
	r.Store.Replace(capacity.Builtin())
	r.Telemetry.ConfigLoaded(telemetry.ResultDeleted, 0, 0)
	logging.Warn(r.Log, MsgDeleted, "configmap", r.Key.Name, "namespace", r.Key.Namespace)
	r.notify(start)
}

// isConfigMap matches the watched ConfigMap by namespace and name. The cache
// holds no other ConfigMap; the check keeps the handler correct on its own.
// (It cannot test the GVK: typed objects from the cache have an empty one.)
func (r *Reloader) isConfigMap(cm *corev1.ConfigMap) bool {
	return cm.Namespace == r.Key.Namespace && cm.Name == r.Key.Name
}

// notify calls the subscribers and logs the spec's trigger line with the
// number of VariantAutoscalings enqueued. Without subscribers (a standby
// replica) there is nothing to enqueue.
func (r *Reloader) notify(start time.Time) {
	r.mu.Lock()
	ctx, subscribers := r.ctx, r.subscribers
	r.mu.Unlock()
	if len(subscribers) == 0 {
		r.Log.V(1).Info(MsgStandby)
		return
	}
	if ctx == nil {
		ctx = context.Background()
	}
	count := 0
	for _, s := range subscribers {
		count = max(count, s(ctx))
	}
	r.Telemetry.Enqueued(r.Clock.Since(start))
	r.Log.Info(MsgTriggerAll, "count", count)
}
