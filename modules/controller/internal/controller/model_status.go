package controller

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/actuation"
)

// Reasons of the Events the model controller records beyond Scaled.
const (
	// EventDesiredReplicasChanged: in metrics actuation, the desired replicas
	// an HPA or KEDA reads changed.
	EventDesiredReplicasChanged = "DesiredReplicasChanged"
	// EventScaleUpHeld: the model is short of capacity, but replicas added
	// before are still starting; the Event names them.
	EventScaleUpHeld = "ScaleUpHeld"
	// EventReplicasWithoutMetrics: replicas are left out of the analysis
	// (never counted as idle); the Event names them and says why.
	EventReplicasWithoutMetrics = "ReplicasWithoutMetrics"
)

// writeStatuses writes each member's scaling status and records the pass's
// Events. It returns the errors of status writes.
func (r *ModelReconciler) writeStatuses(ctx context.Context, st *modelState, obs *observation, p *passPlan, now time.Time) []error {
	var errs []error
	stamp := metav1.NewTime(now)
	for _, m := range obs.members {
		previousDesired := m.va.Status.DesiredReplicas
		var s step
		if m.target != nil {
			s = r.stepOf(m, p)
			r.telemetry.Variant(m.va.Namespace, m.va.Name, m.va.Spec.ModelID, m.observedReplicas(), s.desired)
			if p.decided {
				r.telemetry.Decision(string(s.direction))
			}
			r.recordEvents(st, m, p, s, previousDesired)
		}
		err := patchStatus(ctx, r.client, r.apiReader, m.va, func(va *v1alpha1.VariantAutoscaling) {
			va.Status.ObservedGeneration = va.Generation
			if m.target == nil {
				setTargetUnresolved(va, m.targetErr)
				return
			}
			setCondition(va, condition(v1alpha1.ConditionTargetResolved, true, v1alpha1.ReasonTargetFound,
				"%s %s has %d replicas", m.target.GVK.Kind, m.target.Name, m.observedReplicas()))
			va.Status.CurrentReplicas = ptr.To(m.observedReplicas())
			va.Status.DesiredReplicas = ptr.To(s.desired)
			if m.scaledFrom != nil {
				va.Status.LastScaleTime = &stamp
			}
			setCondition(va, p.metricsCond)
			switch {
			case m.scaleErr != nil:
				setCondition(va, condition(v1alpha1.ConditionReady, false, v1alpha1.ReasonScaleFailed, "%s", m.scaleErr))
			case !p.decided:
				setCondition(va, condition(v1alpha1.ConditionReady, false, p.metricsCond.Reason, "Not scaling: %s", p.metricsCond.Message))
			default:
				va.Status.LastAnalysis = analysisStatus(va.Status.LastAnalysis, p.analysis, s.direction, s.reason, stamp)
				setCondition(va, condition(v1alpha1.ConditionReady, true, v1alpha1.ReasonReconciled, "%s", s.reason))
			}
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// stepOf is the member's step; a variant without one keeps its replicas.
func (r *ModelReconciler) stepOf(m *member, p *passPlan) step {
	if s, ok := p.steps[m.va.Name]; ok && p.decided {
		return s
	}
	return step{desired: m.observedReplicas(), direction: capacity.DirectionNone}
}

// observedReplicas is the target's replicas as this pass found them, before
// any write of its own.
func (m *member) observedReplicas() int32 {
	if m.scaledFrom != nil {
		return *m.scaledFrom
	}
	return m.target.Replicas()
}

// setTargetUnresolved records why a variant's target could not be resolved;
// the variant is left out of the model.
func setTargetUnresolved(va *v1alpha1.VariantAutoscaling, err error) {
	reason := v1alpha1.ReasonReconcileFailed
	switch {
	case errors.Is(err, actuation.ErrTargetNotFound):
		reason = v1alpha1.ReasonTargetNotFound
	case errors.Is(err, actuation.ErrTargetNotScalable):
		reason = v1alpha1.ReasonTargetNotScalable
	}
	setCondition(va, condition(v1alpha1.ConditionTargetResolved, false, reason, "%s", err))
	setCondition(va, condition(v1alpha1.ConditionMetricsAvailable, false, v1alpha1.ReasonTargetNotResolved,
		"Metrics are read once the scale target is resolved"))
	setCondition(va, condition(v1alpha1.ConditionReady, false, reason, "%s", err))
}

// recordEvents records the Events of one member: a changed desired count in
// metrics actuation, a held scale-up and replicas left out of the analysis.
// The last two are recorded once per change of what they say, not per pass.
func (r *ModelReconciler) recordEvents(st *modelState, m *member, p *passPlan, s step, previousDesired *int32) {
	current := m.observedReplicas()
	if m.scaledFrom == nil && s.desired != current && (previousDesired == nil || s.desired != *previousDesired) {
		r.recorder.Eventf(m.va, nil, corev1.EventTypeNormal, EventDesiredReplicasChanged, string(s.direction),
			"Desired replicas of %s %s are %d (current %d): %s", m.target.GVK.Kind, m.target.Name, s.desired, current, truncate(s.reason, 800))
	}
	var own []replicaNote
	for _, n := range p.notes {
		if n.owner == m.va.Name && !n.held {
			own = append(own, n)
		}
	}
	var key, note, reason, eventType string
	switch {
	case p.scaleUpHeld:
		key, reason, eventType = "held:", EventScaleUpHeld, corev1.EventTypeNormal
		note = "Scale-up held while capacity added before is still starting: " + describeNotes(heldNotes(p.notes))
	case len(own) > 0 && p.decided:
		key, reason, eventType = "missing:", EventReplicasWithoutMetrics, corev1.EventTypeWarning
		note = "Replicas left out of the capacity analysis: " + describeNotes(own)
	}
	if note == "" {
		delete(st.events, m.va.Name)
		return
	}
	if st.events[m.va.Name] == key+note {
		return
	}
	st.events[m.va.Name] = key + note
	r.recorder.Eventf(m.va, nil, eventType, reason, reason, "%s", truncate(note, 1000))
}

func heldNotes(notes []replicaNote) []replicaNote {
	var out []replicaNote
	for _, n := range notes {
		if n.held {
			out = append(out, n)
		}
	}
	return out
}
