package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/actuation"
	"github.com/wva-project/wva/modules/controller/internal/config"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

// Dependencies of a VariantAutoscalingReconciler.
type Dependencies struct {
	Client client.Client
	Store  *capacity.Store
	// Metrics is the metrics source; nil means none is configured, and the
	// reconciler reports MetricsAvailable=False and never scales.
	Metrics   metricsource.Source
	Actuator  actuation.Actuator
	Recorder  events.EventRecorder
	Telemetry *telemetry.Metrics
	Clock     clock.PassiveClock
	// Interval is how often a VariantAutoscaling is re-analysed.
	Interval time.Duration
	// Stabilization is the scale-down stabilization window.
	Stabilization time.Duration
	// ConfigMapHandler is the ConfigMap watch's handler (config.ReloadHandler).
	ConfigMapHandler handler.EventHandler
	// MaxConcurrentReconciles bounds parallel reconciles (default 1).
	MaxConcurrentReconciles int
}

// VariantAutoscalingReconciler scales the target of one VariantAutoscaling
// as one variant of its model.
type VariantAutoscalingReconciler struct {
	client        client.Client
	store         *capacity.Store
	metrics       metricsource.Source
	actuator      actuation.Actuator
	recorder      events.EventRecorder
	telemetry     *telemetry.Metrics
	clock         clock.PassiveClock
	interval      time.Duration
	stabilizer    *Stabilizer
	configHandler handler.EventHandler
	concurrency   int
}

var _ reconcile.Reconciler = (*VariantAutoscalingReconciler)(nil)

// NewVariantAutoscalingReconciler returns a reconciler using d.
func NewVariantAutoscalingReconciler(d Dependencies) *VariantAutoscalingReconciler {
	if d.Clock == nil {
		d.Clock = clock.RealClock{}
	}
	return &VariantAutoscalingReconciler{
		client:        d.Client,
		store:         d.Store,
		metrics:       d.Metrics,
		actuator:      d.Actuator,
		recorder:      d.Recorder,
		telemetry:     d.Telemetry,
		clock:         d.Clock,
		interval:      d.Interval,
		stabilizer:    NewStabilizer(d.Stabilization),
		configHandler: d.ConfigMapHandler,
		concurrency:   max(d.MaxConcurrentReconciles, 1),
	}
}

// SetupWithManager registers the controller: VariantAutoscalings, plus the
// ConfigMap watch whose handler reloads the configuration and enqueues every
// VariantAutoscaling. The field index must be set up first (SetupIndexes).
func (r *VariantAutoscalingReconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		// Status writes (our own) do not bump the generation: no self-trigger.
		For(&v1alpha1.VariantAutoscaling{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("variantautoscaling").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.concurrency})
	if r.configHandler != nil {
		b = b.Watches(&corev1.ConfigMap{}, r.configHandler)
	}
	return b.Complete(r)
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
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",namespace=workload-variant-autoscaler-system,resources=configmaps,resourceNames=capacity-scaling-config,verbs=get;list;watch

// Reconcile analyses the model of one VariantAutoscaling and applies this
// variant's decision. It always writes the applied configuration to status,
// even when the target or the metrics are missing.
func (r *VariantAutoscalingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	va := &v1alpha1.VariantAutoscaling{}
	if err := r.client.Get(ctx, req.NamespacedName, va); err != nil {
		if apierrors.IsNotFound(err) {
			r.stabilizer.Reset(req.NamespacedName)
			r.telemetry.ForgetVariant(req.Namespace, req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("getting VariantAutoscaling %s: %w", req.NamespacedName, err)
	}
	if !va.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	log := ctrl.LoggerFrom(ctx)
	original := va.DeepCopy()

	snap := r.store.Load()
	cfg, src := snap.Resolve(va.Spec.ModelID, va.Namespace)
	if key, ok := src.OverrideKey(); ok {
		log.V(1).Info(config.MsgAppliedOverride, "key", key, "modelID", va.Spec.ModelID,
			"namespace", va.Namespace, "config", cfg)
	}
	va.Status.AppliedConfig = appliedConfig(cfg, src, snap.Version())
	va.Status.ObservedGeneration = va.Generation
	setCondition(va, configCondition(src, snap.Version()))

	result, reconcileErr := r.scale(ctx, va, cfg)

	if !equality.Semantic.DeepEqual(original.Status, va.Status) {
		if err := r.client.Status().Patch(ctx, va, client.MergeFrom(original)); err != nil {
			if apierrors.IsNotFound(err) {
				return ctrl.Result{}, nil
			}
			return ctrl.Result{}, errors.Join(reconcileErr, fmt.Errorf("patching status of %s: %w", req.NamespacedName, err))
		}
	}
	if reconcileErr != nil {
		return ctrl.Result{}, reconcileErr
	}
	return result, nil
}

// scale runs everything after config resolution and records it in va.Status.
// An error is returned only for failures worth a rate-limited retry; a
// missing target or missing metrics is a state, requeued after the interval.
func (r *VariantAutoscalingReconciler) scale(ctx context.Context, va *v1alpha1.VariantAutoscaling, cfg capacity.CapacityScalingConfig) (ctrl.Result, error) {
	requeue := ctrl.Result{RequeueAfter: r.interval}
	key := client.ObjectKeyFromObject(va)

	target, err := actuation.Resolve(ctx, r.client, va.Namespace, va.Spec.ScaleTargetRef)
	if err != nil {
		r.stabilizer.Reset(key)
		reason, retry := v1alpha1.ReasonReconcileFailed, true
		switch {
		case errors.Is(err, actuation.ErrTargetNotFound):
			reason, retry = v1alpha1.ReasonTargetNotFound, false
		case errors.Is(err, actuation.ErrTargetNotScalable):
			reason, retry = v1alpha1.ReasonTargetNotScalable, false
		}
		setCondition(va, condition(v1alpha1.ConditionTargetResolved, false, reason, "%s", err))
		setCondition(va, condition(v1alpha1.ConditionMetricsAvailable, false, ReasonTargetNotResolved,
			"Metrics are read once the scale target is resolved"))
		setCondition(va, condition(v1alpha1.ConditionReady, false, reason, "%s", err))
		if retry {
			return ctrl.Result{}, err
		}
		return requeue, nil
	}
	setCondition(va, condition(v1alpha1.ConditionTargetResolved, true, v1alpha1.ReasonTargetFound,
		"%s %s has %d replicas", target.GVK.Kind, target.Name, target.Replicas()))
	va.Status.CurrentReplicas = target.Replicas()

	d, err := r.decide(ctx, va, cfg, target)
	if err != nil {
		return ctrl.Result{}, err
	}
	if d == nil { // no metrics: conditions say why, nothing is scaled
		r.stabilizer.Reset(key)
		va.Status.DesiredReplicas = target.Replicas()
		r.telemetry.Variant(va.Namespace, va.Name, va.Spec.ModelID, target.Replicas(), target.Replicas())
		return requeue, nil
	}
	return r.apply(ctx, va, target, d)
}
