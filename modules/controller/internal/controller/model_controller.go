package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/actuation"
	"github.com/wva-project/wva/modules/controller/internal/configwatch"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

// ModelKey is the work item of the model controller: the VariantAutoscalings
// of one namespace with one spec.modelID are the variants of one model.
type ModelKey struct {
	Namespace string
	ModelID   string
}

func (k ModelKey) String() string { return k.Namespace + "/" + k.ModelID }

func modelKeyOf(va *v1alpha1.VariantAutoscaling) ModelKey {
	return ModelKey{Namespace: va.Namespace, ModelID: va.Spec.ModelID}
}

// ModelReconciler scales the variants of one model from one analysis per
// pass: it reads every variant's target and pods and the model's metrics
// once, decides every variant from the pooled analysis, applies the scale-down
// timeline (stabilizer.go), actuates, and writes each VariantAutoscaling's
// scaling status (replicas, analysis, and the TargetResolved,
// MetricsAvailable and Ready conditions).
type ModelReconciler struct {
	client      client.Client
	apiReader   client.Reader
	workloads   WorkloadReader
	store       *capacity.Store
	source      metricsource.Source
	actuator    actuation.Actuator
	recorder    events.EventRecorder
	telemetry   *telemetry.Metrics
	clock       clock.PassiveClock
	interval    time.Duration
	window      time.Duration
	timing      Timing
	reloader    *configwatch.Reloader
	scheduler   *configwatch.Scheduler
	concurrency int
	states      states
}

var _ reconcile.TypedReconciler[ModelKey] = (*ModelReconciler)(nil)

// NewModelReconciler returns the model controller's reconciler using d.
func NewModelReconciler(d Dependencies) *ModelReconciler {
	d = d.withDefaults()
	return &ModelReconciler{
		client: d.Client, apiReader: d.APIReader, workloads: d.Workloads, store: d.Store, source: d.MetricsSource, actuator: d.Actuator,
		recorder: d.Recorder, telemetry: d.Telemetry, clock: d.Clock, interval: d.Interval,
		window: d.Stabilization, timing: d.Timing, reloader: d.Reloader, scheduler: d.Scheduler,
		concurrency: d.MaxConcurrentReconciles,
	}
}

// SetupWithManager registers the model controller: a VariantAutoscaling's
// creation, spec change or deletion queues its model (both models when its
// modelID changed), a configuration change queues every model, and every
// pass requeues its model after the reconcile interval (sooner while a
// scale-down window or a replica's grace or settle time ends).
func (r *ModelReconciler) SetupWithManager(mgr ctrl.Manager) error {
	log := mgr.GetLogger().WithValues("controller", "model")
	b := builder.TypedControllerManagedBy[ModelKey](mgr).
		Named("model").
		WithOptions(controller.TypedOptions[ModelKey]{
			MaxConcurrentReconciles: r.concurrency,
			LogConstructor: func(k *ModelKey) logr.Logger {
				if k == nil {
					return log
				}
				return log.WithValues("namespace", k.Namespace, "modelID", k.ModelID)
			},
		}).
		WatchesRawSource(source.TypedKind(mgr.GetCache(), &v1alpha1.VariantAutoscaling{}, variantToModel()))
	if r.reloader != nil {
		b = b.WatchesRawSource(configwatch.Source(r.reloader, r.enqueueAllModels))
	}
	if r.scheduler != nil {
		b = b.WatchesRawSource(configwatch.BoundarySource(r.scheduler, r.enqueueSwitchedModels))
	}
	return b.Complete(r)
}

// variantToModel maps VariantAutoscaling events to their models. Status
// updates (the controllers' own writes) do not change the generation and
// queue nothing.
func variantToModel() handler.TypedEventHandler[*v1alpha1.VariantAutoscaling, ModelKey] {
	type queue = workqueue.TypedRateLimitingInterface[ModelKey]
	return handler.TypedFuncs[*v1alpha1.VariantAutoscaling, ModelKey]{
		CreateFunc: func(_ context.Context, e event.TypedCreateEvent[*v1alpha1.VariantAutoscaling], q queue) {
			q.Add(modelKeyOf(e.Object))
		},
		UpdateFunc: func(_ context.Context, e event.TypedUpdateEvent[*v1alpha1.VariantAutoscaling], q queue) {
			if e.ObjectOld.Generation == e.ObjectNew.Generation && e.ObjectNew.DeletionTimestamp.IsZero() {
				return
			}
			q.Add(modelKeyOf(e.ObjectOld))
			q.Add(modelKeyOf(e.ObjectNew))
		},
		DeleteFunc: func(_ context.Context, e event.TypedDeleteEvent[*v1alpha1.VariantAutoscaling], q queue) {
			q.Add(modelKeyOf(e.Object))
		},
	}
}

// enqueueAllModels queues, after a configuration change, every model whose
// effective configuration differs from the one its last pass used (an
// override of one model re-analyses that model only), and returns how many
// VariantAutoscalings the models cover.
func (r *ModelReconciler) enqueueAllModels(ctx context.Context, q workqueue.TypedRateLimitingInterface[ModelKey]) int {
	list := &v1alpha1.VariantAutoscalingList{}
	if err := r.client.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, configwatch.MsgListFailed)
		return 0
	}
	snap, now := r.store.Load(), r.clock.Now()
	seen := map[ModelKey]bool{}
	for i := range list.Items {
		key := modelKeyOf(&list.Items[i])
		if seen[key] {
			continue
		}
		seen[key] = true
		if cfg := snap.ResolveAt(key.ModelID, key.Namespace, now).Config; r.states.configChanged(key, cfg) {
			q.Add(key)
		}
	}
	return len(list.Items)
}

// enqueueSwitchedModels queues, at a schedule boundary, every model whose
// configuration the boundary switches, and returns how many
// VariantAutoscalings the models cover.
func (r *ModelReconciler) enqueueSwitchedModels(ctx context.Context, b *configwatch.Boundary, q workqueue.TypedRateLimitingInterface[ModelKey]) int {
	list := &v1alpha1.VariantAutoscalingList{}
	if err := r.client.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, configwatch.MsgBoundaryListFailed)
		return 0
	}
	switched := map[ModelKey]bool{}
	count := 0
	for i := range list.Items {
		key := modelKeyOf(&list.Items[i])
		on, seen := switched[key]
		if !seen {
			on = b.Switch(key.ModelID, key.Namespace)
			switched[key] = on
			if on {
				q.Add(key)
			}
		}
		if on {
			count++
		}
	}
	return count
}

// Reconcile runs one pass over a model.
func (r *ModelReconciler) Reconcile(ctx context.Context, key ModelKey) (reconcile.Result, error) {
	vas, err := r.variantsOf(ctx, key)
	if err != nil {
		return reconcile.Result{}, err
	}
	st := r.states.get(key)
	r.forgetLeft(key, st, vas)
	if len(vas) == 0 {
		r.states.forget(key)
		return reconcile.Result{}, r.forgetNamespaceIfEmpty(ctx, key.Namespace)
	}
	now := r.clock.Now()
	cfg := r.store.Load().ResolveAt(key.ModelID, key.Namespace, now).Config
	r.states.usedConfig(key, cfg)
	obs, err := r.observe(ctx, key, vas)
	if err != nil {
		return reconcile.Result{}, err
	}
	p := r.plan(ctx, key, st, cfg, obs, now)
	r.actuate(ctx, st, obs, p, now)
	errs := r.writeStatuses(ctx, st, obs, p, now)
	for _, m := range obs.members {
		errs = append(errs, m.retryErr())
	}
	if err := errors.Join(errs...); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: p.requeueAfter(r.interval, now)}, nil
}

// forgetLeft removes the series of the variants that left the model since the
// last pass (deleted, or moved to another model) and remembers the current ones.
func (r *ModelReconciler) forgetLeft(key ModelKey, st *modelState, vas []*v1alpha1.VariantAutoscaling) {
	current := make(map[string]bool, len(vas))
	for _, va := range vas {
		current[va.Name] = true
	}
	for name := range st.variants {
		if !current[name] {
			r.telemetry.ForgetVariantOfModel(key.Namespace, name, key.ModelID)
			delete(st.events, name)
			delete(st.unlisted, name)
		}
	}
	st.variants = current
}

// retryErr is the error of a member worth a rate-limited retry of the pass:
// an API failure reading or writing its target (not a missing target).
func (m *member) retryErr() error {
	if m.scaleErr != nil {
		return m.scaleErr
	}
	if m.targetErr != nil && !errors.Is(m.targetErr, actuation.ErrTargetNotFound) && !errors.Is(m.targetErr, actuation.ErrTargetNotScalable) {
		return m.targetErr
	}
	return nil
}

// requeueAfter is when the model needs its next pass: after the interval, or
// when a scale-down window or a replica's grace or settle time ends before.
func (p *passPlan) requeueAfter(interval time.Duration, now time.Time) time.Duration {
	after := interval
	if p.requeueIn > 0 && p.requeueIn < after {
		after = p.requeueIn
	}
	if !p.next.IsZero() {
		if d := p.next.Sub(now); d > 0 && d < after {
			after = d
		}
	}
	return after
}

// actuate applies each resolved variant's step; in scale actuation a step
// down reaches its target at once, which starts the next window.
func (r *ModelReconciler) actuate(ctx context.Context, st *modelState, obs *observation, p *passPlan, now time.Time) {
	for _, m := range obs.members {
		s, ok := p.steps[m.va.Name]
		if m.target == nil || !ok || s.desired == m.target.Replicas() {
			continue
		}
		from := m.target.Replicas()
		changed, err := r.actuator.Apply(ctx, m.target, s.desired)
		if err != nil {
			m.scaleErr = err
			continue
		}
		if !changed {
			continue
		}
		m.scaledFrom = &from
		if s.direction == capacity.DirectionDown {
			st.reached(m.va.Name, now)
		}
		ctrl.LoggerFrom(ctx).Info("Scaled target", "variant", m.va.Name, "target", m.target.Name,
			"kind", m.target.GVK.Kind, "from", from, "to", s.desired, "reason", s.reason)
		r.recorder.Eventf(m.va, nil, "Normal", "Scaled", string(s.direction),
			"Scaled %s %s from %d to %d replicas: %s", m.target.GVK.Kind, m.target.Name, from, s.desired, truncate(s.reason, 800))
	}
}

// WorkloadReader reads pods, Deployments and StatefulSets of one namespace
// at a time (client.InNamespace is always given) and is told when a
// namespace holds no VariantAutoscaling any more, so that a cache scoped to
// the namespaces in use can drop it.
type WorkloadReader interface {
	client.Reader
	Forget(namespace string)
}

// clientWorkloads reads through a client (its cache, if it has one).
type clientWorkloads struct{ client.Reader }

func (clientWorkloads) Forget(string) {}

// Dependencies of the controllers.
type Dependencies struct {
	Client client.Client
	// APIReader reads a VariantAutoscaling afresh when a status patch meets a
	// conflict (manager.GetAPIReader()); nil means Client.
	APIReader client.Reader
	// Workloads reads the pods of targets, and Deployment and StatefulSet
	// targets themselves instead of their /scale subresource (the binary:
	// workloadcache.Cache, scoped to the namespaces that hold
	// VariantAutoscalings); nil means Client.
	Workloads WorkloadReader
	Store     *capacity.Store
	// MetricsSource is where replicas' KV-cache and queue metrics are read
	// (Prometheus); nil means none is configured, and the model controller
	// reports MetricsAvailable=False and never scales.
	MetricsSource metricsource.Source
	Actuator      actuation.Actuator
	Recorder      events.EventRecorder
	Telemetry     *telemetry.Metrics
	Clock         clock.PassiveClock
	// Interval is how often a model is re-analysed.
	Interval time.Duration
	// Stabilization is the scale-down stabilization window.
	Stabilization time.Duration
	// Timing tells replicas that serve load from those in flight.
	Timing Timing
	// Reloader is the ConfigMap watch; both controllers subscribe to it.
	Reloader *configwatch.Reloader
	// Scheduler fires at schedule boundaries; both controllers subscribe
	// to it. Nil: boundaries are seen at the next reconcile only.
	Scheduler *configwatch.Scheduler
	// MaxConcurrentReconciles bounds parallel reconciles of each controller
	// (default 1).
	MaxConcurrentReconciles int
}

func (d Dependencies) withDefaults() Dependencies {
	if d.Clock == nil {
		d.Clock = clock.RealClock{}
	}
	if d.APIReader == nil {
		d.APIReader = d.Client
	}
	if d.Workloads == nil {
		d.Workloads = clientWorkloads{d.Client}
	}
	d.MaxConcurrentReconciles = max(d.MaxConcurrentReconciles, 1)
	return d
}

// SetupWithManager registers both controllers: the VariantAutoscaling
// controller (configuration status) and the model controller (scaling).
func SetupWithManager(mgr ctrl.Manager, d Dependencies) error {
	if err := NewVariantAutoscalingReconciler(d).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the VariantAutoscaling controller: %w", err)
	}
	if err := NewModelReconciler(d).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the model controller: %w", err)
	}
	return nil
}
