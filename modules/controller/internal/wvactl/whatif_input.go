package wvactl

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
)

// outcome is what one analysis decided for a variant.
type outcome struct {
	// decided: the analysis had metrics to decide on; otherwise the
	// controller keeps the replicas as they are.
	decided bool
	desired int32
	reason  string
}

func (o outcome) String() string {
	if !o.decided {
		return "-"
	}
	return strconv.Itoa(int(o.desired))
}

// effective is the replica count the controller would set: the desired one,
// or the current one when it does not decide.
func (o outcome) effective(current int32) int32 {
	if !o.decided {
		return current
	}
	return o.desired
}

// modelGroup is the VariantAutoscalings of one model in one namespace, which
// the controller analyses together.
type modelGroup struct {
	namespace, modelID string
	vas                []*v1alpha1.VariantAutoscaling // sorted by name
}

func groupByModel(vas []v1alpha1.VariantAutoscaling) []modelGroup {
	byKey := map[[2]string]*modelGroup{}
	for i := range vas {
		va := &vas[i]
		k := [2]string{va.Namespace, va.Spec.ModelID}
		if byKey[k] == nil {
			byKey[k] = &modelGroup{namespace: va.Namespace, modelID: va.Spec.ModelID}
		}
		byKey[k].vas = append(byKey[k].vas, va)
	}
	var out []modelGroup
	for _, k := range slices.SortedFunc(maps.Keys(byKey), func(a, b [2]string) int {
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]))
	}) {
		g := byKey[k]
		slices.SortFunc(g.vas, func(a, b *v1alpha1.VariantAutoscaling) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, *g)
	}
	return out
}

// analyseModels analyses every model twice, with the live and the candidate
// configuration, and returns one row per VariantAutoscaling. metrics nil
// means the metrics are reconstructed from status.lastAnalysis.
func analyseModels(ctx context.Context, vas []v1alpha1.VariantAutoscaling, metrics metricsource.Source, live, cand *capacity.Snapshot) ([]whatIfRow, error) {
	var rows []whatIfRow
	for _, g := range groupByModel(vas) {
		liveCfg, _ := live.Resolve(g.modelID, g.namespace)
		candCfg, _ := cand.Resolve(g.modelID, g.namespace)
		var replicas []capacity.ReplicaMetrics
		var missing string
		if metrics != nil {
			byPod, err := metrics.ModelMetrics(ctx, g.namespace, g.modelID)
			if err != nil {
				return nil, fmt.Errorf("reading the metrics of model %q in namespace %s: %w", g.modelID, g.namespace, err)
			}
			for _, pod := range slices.Sorted(maps.Keys(byPod)) {
				replicas = append(replicas, byPod[pod])
			}
			if len(replicas) == 0 {
				missing = fmt.Sprintf("no metrics: Prometheus has no series of model %q in namespace %s", g.modelID, g.namespace)
			}
		} else {
			replicas, missing = fromStatus(g, liveCfg)
		}
		variants := buildVariants(g, replicas)
		now := analyse(liveCfg, variants, missing)
		withCand := analyse(candCfg, variants, missing)
		changes := thresholdChanges(liveCfg, candCfg)
		for _, va := range g.vas {
			r := whatIfRow{va: va.Namespace + "/" + va.Name, current: ptr.Deref(va.Status.CurrentReplicas, 0),
				now: now.outcomes[va.Name], candidate: withCand.outcomes[va.Name], thresholds: changes}
			r.noteNow, r.noteWithIt = now.note, withCand.note
			if r.noteNow != "" && r.noteWithIt != "" && r.noteNow != r.noteWithIt {
				r.noteNow, r.noteWithIt = "now: "+r.noteNow, "with the candidate: "+r.noteWithIt
			}
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b whatIfRow) int { return strings.Compare(a.va, b.va) })
	return rows, nil
}

// modelOutcome is one analysis of a model: an outcome per variant name, and
// a note when there was nothing to decide on.
type modelOutcome struct {
	outcomes map[string]outcome
	note     string
}

// analyse runs the controller's analysis of a model with cfg. missing, when
// set, says why there are no metrics at all.
func analyse(cfg capacity.CapacityScalingConfig, variants []capacity.Variant, missing string) modelOutcome {
	out := modelOutcome{outcomes: map[string]outcome{}, note: missing}
	if missing != "" {
		return out
	}
	md := capacity.AnalyzeModel(cfg, variants)
	if !md.Analysis.HasDecision() {
		// As the controller, which then keeps every variant's replicas.
		out.note = "no scaling decision: " + md.Analysis.Reason
		return out
	}
	for _, d := range md.Decisions {
		out.outcomes[d.Variant] = outcome{decided: true, desired: d.Desired, reason: d.Reason}
	}
	return out
}

// buildVariants builds the analysis input of a model as the controller does
// (internal/controller/plan.go), with status.currentReplicas as the replicas
// of each scale target. The analysis pools the replicas of every variant, so
// which variant a replica is given to matters only for the count of
// replicas without metrics: each variant takes as many as it has current
// replicas, in name order, and the last one takes any left over.
func buildVariants(g modelGroup, replicas []capacity.ReplicaMetrics) []capacity.Variant {
	variants := make([]capacity.Variant, len(g.vas))
	for i, va := range g.vas {
		variants[i] = capacity.Variant{Name: va.Name, Cost: va.Spec.EffectiveCost(), CurrentReplicas: ptr.Deref(va.Status.CurrentReplicas, 0),
			MinReplicas: va.Spec.EffectiveMinReplicas(), MaxReplicas: va.Spec.EffectiveMaxReplicas()}
		take := min(int(max(ptr.Deref(va.Status.CurrentReplicas, 0), 0)), len(replicas))
		if i == len(g.vas)-1 {
			take = len(replicas)
		}
		variants[i].Replicas, replicas = replicas[:take], replicas[take:]
	}
	return variants
}

// fromStatus reconstructs the replica metrics of a model from the newest
// status.lastAnalysis of its variants, which records only aggregates: the
// number of replicas, how many were saturated and the average spare
// capacities of the others, against the thresholds of status.appliedConfig
// (the live ones when it is absent or unreadable). The non-saturated
// replicas are given the average load (threshold minus average spare
// capacity), which leaves the averages and so the analysis as recorded; the
// saturated ones are put at both thresholds, the least load that saturates
// a replica. When no spare capacity is recorded, the replicas that were not
// saturated had no metrics. The second result says why there are no metrics.
func fromStatus(g modelGroup, fallback capacity.CapacityScalingConfig) ([]capacity.ReplicaMetrics, string) {
	var src *v1alpha1.VariantAutoscaling
	for _, va := range g.vas {
		if a := va.Status.LastAnalysis; !a.IsZero() && (src == nil || a.Time.After(src.Status.LastAnalysis.Time.Time)) {
			src = va
		}
	}
	if src == nil {
		return nil, "no metrics: no variant of the model has a status.lastAnalysis yet"
	}
	a := src.Status.LastAnalysis
	cfg := fallback
	if applied, ok := appliedThresholds(src.Status.AppliedConfig); ok {
		cfg = applied
	}
	spareKv, errKv := strconv.ParseFloat(a.AvgSpareKvCapacity, 64)
	spareQueue, errQueue := strconv.ParseFloat(a.AvgSpareQueueCapacity, 64)
	withSpare := errKv == nil && errQueue == nil
	if a.SaturatedReplicas == 0 && !withSpare {
		return nil, "no metrics: status.lastAnalysis records no saturated replica and no spare capacity"
	}
	saturated := int(max(a.SaturatedReplicas, 0))
	out := make([]capacity.ReplicaMetrics, 0, max(a.Replicas, 0))
	for i := range int(max(a.Replicas, 0)) {
		m := capacity.ReplicaMetrics{Pod: fmt.Sprintf("replica-%d", i)}
		switch {
		case i < saturated:
			m.KvCacheUsage, m.QueueLength = cfg.KvCacheThreshold, float64(cfg.QueueLengthThreshold)
		case withSpare:
			m.KvCacheUsage = math.Max(cfg.KvCacheThreshold-spareKv, 0)
			m.QueueLength = math.Max(float64(cfg.QueueLengthThreshold)-spareQueue, 0)
		default:
			out = append(out, m) // no metrics
			continue
		}
		m.HasKvCacheUsage, m.HasQueueLength = true, true
		out = append(out, m)
	}
	return out, ""
}

// appliedThresholds reads the thresholds of status.appliedConfig.
func appliedThresholds(a v1alpha1.AppliedCapacityConfig) (capacity.CapacityScalingConfig, bool) {
	if a.IsZero() {
		return capacity.CapacityScalingConfig{}, false
	}
	kv, err1 := strconv.ParseFloat(a.KvCacheThreshold, 64)
	spare, err2 := strconv.ParseFloat(a.KvSpareTrigger, 64)
	if err1 != nil || err2 != nil {
		return capacity.CapacityScalingConfig{}, false
	}
	return capacity.CapacityScalingConfig{KvCacheThreshold: kv, QueueLengthThreshold: int(a.QueueLengthThreshold),
		KvSpareTrigger: spare, QueueSpareTrigger: int(a.QueueSpareTrigger)}, true
}
