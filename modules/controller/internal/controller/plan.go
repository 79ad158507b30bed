package controller

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
)

// passPlan is what one pass decided for the model.
type passPlan struct {
	// decided: the analysis had metrics to decide on. When false, every
	// resolved variant keeps its replicas and metricsCond says why.
	decided     bool
	analysis    capacity.Analysis
	metricsCond metav1.Condition
	steps       map[string]step // by variant name
	scaleUpHeld bool
	notes       []replicaNote
	// requeueIn > 0 while a scale-down window runs; next is the earliest time
	// a replica changes state by time alone (grace or settle time ends).
	requeueIn time.Duration
	next      time.Time
}

// plan analyses the model from the observation and decides every resolved
// variant's desired replicas.
func (r *ModelReconciler) plan(ctx context.Context, key ModelKey, st *modelState, cfg capacity.CapacityScalingConfig, obs *observation, now time.Time) *passPlan {
	p := &passPlan{steps: map[string]step{}}
	notDecided := func(reason, format string, args ...any) *passPlan {
		st.downSince, st.hold = time.Time{}, nil
		p.metricsCond = condition(v1alpha1.ConditionMetricsAvailable, false, reason, format, args...)
		return p
	}
	switch {
	case r.source == nil:
		return notDecided(v1alpha1.ReasonMetricsSourceNotConfigured, "No metrics source is configured (--prometheus-url is empty)")
	case obs.metricsErr != nil:
		ctrl.LoggerFrom(ctx).Info("Metrics query failed, not scaling", "error", obs.metricsErr.Error())
		return notDecided(v1alpha1.ReasonMetricsQueryFailed, "Metrics query failed: %s", obs.metricsErr)
	}

	var variants []capacity.Variant
	outOfBounds, pods := false, 0
	for _, m := range obs.members {
		if m.target == nil {
			continue
		}
		vr := r.timing.replicasOf(m.va.Name, m.pods, obs.metrics, now)
		current := m.target.Replicas()
		n, until := st.unlistedInFlight(m.va.Name, current-int32(len(m.pods)), r.timing.StartupGrace, now)
		if n > 0 {
			vr.inFlight += n
			vr.notes = append(vr.notes, replicaNote{pod: fmt.Sprintf("%d of %s's replicas", n, m.target.Name), held: true,
				owner: m.va.Name, why: "no pod yet"})
		}
		p.next = earliest(p.next, vr.next, until)
		p.notes = append(p.notes, vr.notes...)
		pods += len(m.pods)
		v := capacity.Variant{
			Name: m.va.Name, Cost: m.va.Spec.EffectiveCost(), CurrentReplicas: current,
			MinReplicas: m.va.Spec.EffectiveMinReplicas(), MaxReplicas: m.va.Spec.EffectiveMaxReplicas(),
			Replicas: vr.metrics, InFlight: vr.inFlight,
		}
		if lo, hi := v.MinReplicas, max(v.MaxReplicas, v.MinReplicas); current < lo || current > hi {
			outOfBounds = true
		}
		variants = append(variants, v)
	}
	if len(variants) == 0 {
		return notDecided(v1alpha1.ReasonMetricsMissing, "No variant of model %q has a resolved scale target", key.ModelID)
	}
	md := capacity.AnalyzeModel(cfg, variants)
	p.analysis = md.Analysis
	a := md.Analysis
	if !a.HasDecision() {
		if pods == 0 && a.InFlight == 0 {
			return notDecided(v1alpha1.ReasonMetricsMissing, "No running pod of model %q found in namespace %s", key.ModelID, key.Namespace)
		}
		if a.InFlight == a.Replicas {
			return notDecided(v1alpha1.ReasonMetricsMissing, "All %d replicas of model %q are still starting; their metrics are read once they are Ready and settled",
				a.Replicas, key.ModelID)
		}
		return notDecided(v1alpha1.ReasonMetricsMissing, "%s", r.explainMissing(ctx, key, a, obs))
	}
	p.decided = true
	reason := v1alpha1.ReasonMetricsFound
	if a.WithMetrics < a.Replicas-a.InFlight {
		reason = v1alpha1.ReasonMetricsPartial
	}
	p.metricsCond = condition(v1alpha1.ConditionMetricsAvailable, true, reason,
		"%d of %d replicas of model %q report both metrics (%d in flight)", a.WithMetrics, a.Replicas, key.ModelID, a.InFlight)
	s := st.stabilize(md, outOfBounds, r.window, now)
	p.steps, p.requeueIn, p.scaleUpHeld = s.steps, s.requeueIn, md.ScaleUpHeld
	if notes := describeNotes(p.notes); notes != "" {
		for name, st := range p.steps {
			st.reason += "; " + notes
			p.steps[name] = st
		}
	}
	return p
}

// explainMissing says why no replica of a model reports metrics: the most
// common cause is a modelID that differs from the model_name vLLM serves.
func (r *ModelReconciler) explainMissing(ctx context.Context, key ModelKey, a capacity.Analysis, obs *observation) string {
	msg := fmt.Sprintf("None of the %d replicas of model %q reports KV-cache utilization and queue length", a.Replicas-a.InFlight, key.ModelID)
	ex, ok := r.source.(metricsource.Explainer)
	if !ok {
		return msg
	}
	if len(obs.metrics) > 0 {
		return msg + fmt.Sprintf("; the metrics source has series of model %q only for pods that no scale target selects (%s)",
			key.ModelID, strings.Join(firstKeys(obs.metrics, maxNamedPods), ", "))
	}
	msg += "; the query " + strings.Join(ex.Queries(key.Namespace, key.ModelID), " and the query ") + " returned no series"
	names, err := ex.ModelNames(ctx, key.Namespace, 10)
	if err != nil {
		return msg
	}
	var others []string
	for _, n := range names {
		if n != key.ModelID {
			others = append(others, strconv.Quote(n))
		}
	}
	if len(others) == 0 {
		return msg + fmt.Sprintf("; there are no vLLM series in namespace %s at all (is Prometheus scraping the pods, with a namespace label?)", key.Namespace)
	}
	return msg + fmt.Sprintf("; vLLM series in namespace %s have model_name %s: did you mean %q? (spec.modelID must equal the model name vLLM serves)",
		key.Namespace, strings.Join(others, ", "), closest(key.ModelID, names))
}

func earliest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}
