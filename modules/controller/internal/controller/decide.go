package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/actuation"
)

// plan is what a reconcile decided for its variant.
type plan struct {
	analysis  capacity.Analysis
	current   int32
	desired   int32
	direction capacity.Direction // after stabilization and holds
	reason    string
	requeueIn time.Duration // > 0 while a scale-down waits for its window
}

// decide reads the model's metrics and analyses it. It returns nil, with the
// MetricsAvailable and Ready conditions saying why, when there is nothing to
// analyse; an error only for a failure worth a rate-limited retry.
func (r *VariantAutoscalingReconciler) decide(ctx context.Context, va *v1alpha1.VariantAutoscaling, cfg capacity.CapacityScalingConfig, target *actuation.Target) (*plan, error) {
	noMetrics := func(reason, format string, args ...any) (*plan, error) {
		setCondition(va, condition(v1alpha1.ConditionMetricsAvailable, false, reason, format, args...))
		setCondition(va, condition(v1alpha1.ConditionReady, false, reason, "Not scaling: "+format, args...))
		return nil, nil
	}
	if r.metrics == nil {
		return noMetrics(ReasonMetricsSourceNotConfigured,
			"No metrics source is configured (--prometheus-url is empty)")
	}
	siblings, err := r.siblings(ctx, va)
	if err != nil {
		return nil, err
	}
	members, err := r.members(ctx, va, target, siblings)
	if err != nil {
		return nil, err
	}
	pods := allPods(members)
	if len(pods) == 0 {
		return noMetrics(v1alpha1.ReasonMetricsMissing,
			"No running pod of model %q found in namespace %s", va.Spec.ModelID, va.Namespace)
	}
	metrics, err := r.metrics.ReplicaMetrics(ctx, va.Namespace, va.Spec.ModelID, pods)
	if err == nil && len(metrics) != len(pods) {
		err = fmt.Errorf("metrics source returned %d entries for %d pods", len(metrics), len(pods))
	}
	if err != nil {
		ctrl.LoggerFrom(ctx).Info("Metrics query failed, not scaling", "modelID", va.Spec.ModelID, "error", err.Error())
		return noMetrics(v1alpha1.ReasonMetricsQueryFailed, "Metrics query failed: %s", err)
	}
	vs := variants(members, metrics)
	md := capacity.AnalyzeModel(cfg, vs)
	a := md.Analysis
	if !a.HasDecision() {
		return noMetrics(v1alpha1.ReasonMetricsMissing,
			"None of the %d replicas of model %q reports KV-cache utilization and queue length", a.Replicas, va.Spec.ModelID)
	}
	reason := v1alpha1.ReasonMetricsFound
	if a.WithMetrics < a.Replicas {
		reason = v1alpha1.ReasonMetricsPartial
	}
	setCondition(va, condition(v1alpha1.ConditionMetricsAvailable, true, reason,
		"%d of %d replicas of model %q report both metrics", a.WithMetrics, a.Replicas, va.Spec.ModelID))
	for _, d := range md.Decisions {
		if d.Variant != va.Name {
			continue
		}
		for _, v := range vs {
			if v.Name == va.Name {
				return r.stabilize(va, v, a, d), nil
			}
		}
	}
	return nil, fmt.Errorf("analysis of model %q has no decision for variant %s", va.Spec.ModelID, va.Name)
}

// stabilize turns the analyzer's decision into the plan: a scale-down waits
// for the stabilization window; a scale-up waits until every replica the
// target already has reports metrics (new replicas are still starting);
// bringing replicas back into [min, max] is immediate.
func (r *VariantAutoscalingReconciler) stabilize(va *v1alpha1.VariantAutoscaling, v capacity.Variant, a capacity.Analysis, d capacity.Decision) *plan {
	key := client.ObjectKeyFromObject(va)
	p := &plan{analysis: a, current: d.Current, desired: d.Desired, direction: d.Direction, reason: d.Reason}
	outOfBounds := d.Current < v.MinReplicas || d.Current > v.MaxReplicas
	if d.Direction != capacity.DirectionDown || outOfBounds {
		r.stabilizer.Reset(key)
	}
	if outOfBounds {
		return p
	}
	switch d.Direction {
	case capacity.DirectionDown:
		if ok, remaining := r.stabilizer.ScaleDown(key, r.clock.Now()); !ok {
			p.hold(fmt.Sprintf("%s; scale-down held for the stabilization window (%s remaining)",
				d.Reason, remaining.Round(time.Second)))
			p.requeueIn = remaining
		}
	case capacity.DirectionUp:
		if n := withMetrics(v.Replicas); n < int(d.Current) {
			p.hold(fmt.Sprintf("%s; scale-up held until the new replicas report metrics (%d of %d do)",
				d.Reason, n, d.Current))
		}
	}
	return p
}

func (p *plan) hold(reason string) {
	p.desired, p.direction, p.reason = p.current, capacity.DirectionNone, reason
}

// apply actuates the plan and records it in status, telemetry and events.
func (r *VariantAutoscalingReconciler) apply(ctx context.Context, va *v1alpha1.VariantAutoscaling, target *actuation.Target, p *plan) (ctrl.Result, error) {
	now := metav1.NewTime(r.clock.Now())
	previousDesired := va.Status.DesiredReplicas
	va.Status.DesiredReplicas = p.desired
	va.Status.LastAnalysis = analysisStatus(va.Status.LastAnalysis, p.analysis, p.direction, p.reason, now)
	r.telemetry.Variant(va.Namespace, va.Name, va.Spec.ModelID, p.current, p.desired)

	changed := false
	if p.desired != p.current {
		var err error
		changed, err = r.actuator.Apply(ctx, target, p.desired)
		if err != nil {
			setCondition(va, condition(v1alpha1.ConditionReady, false, v1alpha1.ReasonScaleFailed, "%s", err))
			return ctrl.Result{}, err
		}
	}
	r.telemetry.Decision(string(p.direction))
	switch {
	case changed:
		va.Status.LastScaleTime = &now
		ctrl.LoggerFrom(ctx).Info("Scaled target", "target", target.Name, "kind", target.GVK.Kind,
			"from", p.current, "to", p.desired, "reason", p.reason)
		r.recorder.Eventf(va, nil, corev1.EventTypeNormal, "Scaled", string(p.direction),
			"Scaled %s %s from %d to %d replicas: %s", target.GVK.Kind, target.Name, p.current, p.desired, p.reason)
	case p.desired != p.current && p.desired != previousDesired:
		r.recorder.Eventf(va, nil, corev1.EventTypeNormal, "DesiredReplicasChanged", string(p.direction),
			"Desired replicas of %s %s are %d (current %d): %s", target.GVK.Kind, target.Name, p.desired, p.current, p.reason)
	}
	setCondition(va, condition(v1alpha1.ConditionReady, true, v1alpha1.ReasonReconciled, "%s", p.reason))

	result := ctrl.Result{RequeueAfter: r.interval}
	if p.requeueIn > 0 && p.requeueIn < r.interval {
		result.RequeueAfter = p.requeueIn
	}
	return result, nil
}
