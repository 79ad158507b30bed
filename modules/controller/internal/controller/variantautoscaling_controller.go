package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/configwatch"
)

// VariantAutoscalingReconciler writes the configuration a VariantAutoscaling
// uses to its status: status.appliedConfig and the ConfigResolved condition.
// It reads the Store only and calls nothing but the status patch, so a
// configuration change reaches every VariantAutoscaling within seconds,
// whatever the metrics source does; scaling is the model controller's.
type VariantAutoscalingReconciler struct {
	client      client.Client
	apiReader   client.Reader
	store       *capacity.Store
	clock       clock.PassiveClock
	reloader    *configwatch.Reloader
	scheduler   *configwatch.Scheduler
	concurrency int
}

var _ reconcile.Reconciler = (*VariantAutoscalingReconciler)(nil)

// NewVariantAutoscalingReconciler returns a reconciler using d.
func NewVariantAutoscalingReconciler(d Dependencies) *VariantAutoscalingReconciler {
	d = d.withDefaults()
	return &VariantAutoscalingReconciler{
		client: d.Client, apiReader: d.APIReader, store: d.Store, clock: d.Clock, reloader: d.Reloader,
		scheduler: d.Scheduler, concurrency: d.MaxConcurrentReconciles,
	}
}

// SetupWithManager registers the controller: VariantAutoscalings, every
// configuration change, which enqueues every VariantAutoscaling, and every
// schedule boundary, which enqueues those it switches. The field index must
// be set up first (SetupIndexes).
func (r *VariantAutoscalingReconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		// Status writes (our own) do not bump the generation: no self-trigger.
		For(&v1alpha1.VariantAutoscaling{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("variantautoscaling").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.concurrency})
	if r.reloader != nil {
		b = b.WatchesRawSource(configwatch.Source(r.reloader, r.enqueueAll))
	}
	if r.scheduler != nil {
		b = b.WatchesRawSource(configwatch.BoundarySource(r.scheduler, r.enqueueSwitched))
	}
	return b.Complete(r)
}

// enqueueAll queues every VariantAutoscaling in the cache.
func (r *VariantAutoscalingReconciler) enqueueAll(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) int {
	list := &v1alpha1.VariantAutoscalingList{}
	// Only the keys are read: no need to deep-copy every object in the cache.
	if err := r.client.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, configwatch.MsgListFailed)
		return 0
	}
	for i := range list.Items {
		q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return len(list.Items)
}

// enqueueSwitched queues, at a schedule boundary, every VariantAutoscaling
// whose configuration the boundary switches, and returns how many.
func (r *VariantAutoscalingReconciler) enqueueSwitched(ctx context.Context, b *configwatch.Boundary, q workqueue.TypedRateLimitingInterface[reconcile.Request]) int {
	list := &v1alpha1.VariantAutoscalingList{}
	if err := r.client.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, configwatch.MsgBoundaryListFailed)
		return 0
	}
	count := 0
	for i := range list.Items {
		va := &list.Items[i]
		if b.Switch(va.Spec.ModelID, va.Namespace) {
			q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(va)})
			count++
		}
	}
	return count
}

// Least privilege: the only ConfigMap is capacity-scaling-config, through a
// namespaced Role (the cache watches it with a metadata.name field selector,
// which resourceNames authorizes). Events go through the events.k8s.io API.
// Leader election (leases, and its core events) is granted by the
// hand-written leader_election_role.yaml next to the generated role.yaml.
//
// +kubebuilder:rbac:groups=llmd.ai,resources=variantautoscalings,verbs=get;list;watch
// +kubebuilder:rbac:groups=llmd.ai,resources=variantautoscalings/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=apps,resources=deployments/scale;statefulsets/scale,verbs=get;update
// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",namespace=workload-variant-autoscaler-system,resources=configmaps,resourceNames=capacity-scaling-config,verbs=get;list;watch

// Reconcile writes the configuration one VariantAutoscaling resolves to.
func (r *VariantAutoscalingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	va := &v1alpha1.VariantAutoscaling{}
	if err := r.client.Get(ctx, req.NamespacedName, va); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("getting VariantAutoscaling %s: %w", req.NamespacedName, err)
	}
	if !va.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	snap := r.store.Load()
	res := snap.ResolveAt(va.Spec.ModelID, va.Namespace, r.clock.Now())
	if key, ok := res.Source.Entry().OverrideKey(); ok {
		// The spec's namespace field comes from controller-runtime's
		// request logger, which carries the request's namespace and name.
		ctrl.LoggerFrom(ctx).V(1).Info(configwatch.MsgAppliedOverride, "key", key, "modelID", va.Spec.ModelID, "config", res.Config)
	}
	applied, cond := appliedConfig(res, snap.Version()), configCondition(res, snap.Version())
	err := patchStatus(ctx, r.client, r.apiReader, va, func(va *v1alpha1.VariantAutoscaling) {
		va.Status.AppliedConfig = *applied.DeepCopy()
		setCondition(va, cond)
	})
	return ctrl.Result{}, err
}
