package config

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/logging"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

// ReloadHandler is the event handler of the ConfigMap watch on the
// VariantAutoscaling controller. It parses the ConfigMap the event delivers
// (no API call), swaps the Store, and adds every VariantAutoscaling, listed
// from the cache, to the controller's queue, so that each one writes the new
// configuration to its status.
type ReloadHandler struct {
	Key     types.NamespacedName
	Store   *capacity.Store
	Lister  client.Reader // the manager's cache
	Metrics *telemetry.Metrics
	Clock   clock.PassiveClock
	Log     logr.Logger
}

var _ handler.EventHandler = (*ReloadHandler)(nil)

// Create implements handler.EventHandler.
func (h *ReloadHandler) Create(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.reload(ctx, e.Object, q)
}

// Update implements handler.EventHandler.
func (h *ReloadHandler) Update(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.reload(ctx, e.ObjectNew, q)
}

// Delete implements handler.EventHandler: back to the built-in defaults.
func (h *ReloadHandler) Delete(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if !h.isConfigMap(e.Object) {
		return
	}
	start := h.Clock.Now()
	h.Store.Replace(capacity.Builtin())
	h.Metrics.ConfigLoaded(telemetry.ResultDeleted, 0, 0)
	logging.Warn(h.Log, MsgDeleted, "configmap", h.Key.Name, "namespace", h.Key.Namespace)
	h.enqueueAll(ctx, q, start)
}

// Generic implements handler.EventHandler; the ConfigMap watch has no
// generic events.
func (h *ReloadHandler) Generic(context.Context, event.GenericEvent, workqueue.TypedRateLimitingInterface[reconcile.Request]) {
}

// isConfigMap matches the watched ConfigMap by namespace and name. The cache
// holds no other ConfigMap; the check keeps the handler correct on its own.
// (It cannot test the GVK: typed objects from the cache have an empty one.)
func (h *ReloadHandler) isConfigMap(obj client.Object) bool {
	_, ok := obj.(*corev1.ConfigMap)
	return ok && obj.GetNamespace() == h.Key.Namespace && obj.GetName() == h.Key.Name
}

func (h *ReloadHandler) reload(ctx context.Context, obj client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if !h.isConfigMap(obj) {
		return
	}
	start := h.Clock.Now()
	cm := obj.(*corev1.ConfigMap)
	// The informer's initial list and its periodic resyncs deliver the
	// version the cache already holds (read at startup): nothing changed.
	if cm.ResourceVersion != "" && cm.ResourceVersion == h.Store.Load().Version() {
		h.Log.V(1).Info(MsgUnchanged, "configmap", h.Key.Name, "namespace", h.Key.Namespace,
			"resourceVersion", cm.ResourceVersion)
		return
	}
	h.Log.Info(MsgChanged, "configmap", h.Key.Name, "namespace", h.Key.Namespace,
		"resourceVersion", cm.ResourceVersion)
	snap := capacity.Parse(cm.Data, cm.ResourceVersion)
	h.Store.Replace(snap)
	h.Metrics.ConfigLoaded(telemetry.ResultLoaded, snap.Entries(), len(snap.Errors()))
	h.Log.Info(MsgCacheUpdated, "entries", snap.Entries(), "has_default", snap.HasDefault())
	reportProblems(h.Log, snap)
	h.enqueueAll(ctx, q, start)
}

// enqueueAll adds every VariantAutoscaling in the cache to the queue.
func (h *ReloadHandler) enqueueAll(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request], start time.Time) {
	list := &v1alpha1.VariantAutoscalingList{}
	// Only the keys are read: no need to deep-copy every object in the cache.
	if err := h.Lister.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		h.Log.Error(err, MsgListFailed)
		return
	}
	for i := range list.Items {
		q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	h.Metrics.Enqueued(h.Clock.Since(start))
	h.Log.Info(MsgTriggerAll, "count", len(list.Items))
}
