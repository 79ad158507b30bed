package capacity

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Direction is the outcome of a scaling decision for one variant.
type Direction string

const (
	DirectionUp   Direction = "ScaleUp"
	DirectionDown Direction = "ScaleDown"
	DirectionNone Direction = "NoChange"
)

// Variant is one VariantAutoscaling of a model: a way to serve it (hardware,
// parallelism) with its own cost and replica bounds.
type Variant struct {
	Name string
	// Cost is the relative cost of one replica; scale-up picks the cheapest
	// variant, scale-down the most expensive.
	Cost float64
	// CurrentReplicas is the replica count of the scale target. Replicas it
	// counts that neither Replicas lists nor InFlight counts are treated as
	// replicas with missing metrics.
	CurrentReplicas int32
	// MinReplicas and MaxReplicas bound the desired replicas; MaxReplicas is
	// math.MaxInt32 when unbounded. A negative MinReplicas counts as 0, a
	// MaxReplicas below MinReplicas as MinReplicas.
	MinReplicas int32
	MaxReplicas int32
	// Replicas are the metrics of the variant's pods that serve load. A pod
	// that should report but does not is listed with its Has flags false.
	Replicas []ReplicaMetrics
	// InFlight is the number of the variant's replicas that are capacity in
	// flight: added but not serving their share of the load yet (a pod still
	// starting, or one that became ready so recently that its metrics do not
	// reflect the load yet). They are not in Replicas. While any variant of
	// the model has one, scale-up is held (the capacity already added has not
	// shown its effect) and scale-down is not safe.
	InFlight int32
}

// Decision is the desired replica count of one variant and why.
type Decision struct {
	Variant   string
	Current   int32
	Desired   int32
	Direction Direction
	// Reason explains the decision in words a user reads in kubectl describe.
	Reason string
}

// ModelDecision is the outcome of AnalyzeModel.
type ModelDecision struct {
	// Analysis is pooled over every replica of every variant of the model.
	Analysis Analysis
	// Decisions has one entry per variant, sorted by variant name.
	Decisions []Decision
	// ScaleUpHeld reports that the analysis signalled scale-up but no replica
	// was added because replicas of the model are in flight.
	ScaleUpHeld bool
}

// AnalyzeModel decides the replicas of every variant of one model (the
// VariantAutoscalings of one namespace with the same model ID). It pools the
// replicas of all variants, analyzes them with cfg (see Analyze), then:
//
//   - Every variant is first clamped to [MinReplicas, MaxReplicas]; a clamp is
//     a decision with its own reason.
//   - Scale-up signal: +1 replica on the cheapest variant below its
//     MaxReplicas (ties broken by name), unless a clamp already raises a
//     variant to its MinReplicas in this round (that adds capacity already)
//     or a replica of any variant is in flight (Variant.InFlight: the
//     capacity added last has not shown its effect yet).
//   - Scale-down safe (and no scale-up signal): -1 replica on the most
//     expensive variant above its MinReplicas (ties broken by name), unless a
//     clamp changes any variant in this round (scale-down was judged for
//     removing one replica only).
//
// A model scaled to zero has no replicas and so no metrics: it stays at zero
// unless its MinReplicas is above zero. AnalyzeModel is a pure function.
func AnalyzeModel(cfg CapacityScalingConfig, variants []Variant) ModelDecision {
	t := tally{cfg: cfg}
	for _, v := range variants {
		for _, r := range v.Replicas {
			t.add(r)
		}
		inFlight := max(int(v.InFlight), 0)
		t.addInFlight(inFlight)
		if unlisted := int(v.CurrentReplicas) - len(v.Replicas) - inFlight; unlisted > 0 {
			t.addMissing(unlisted)
		}
	}
	md := ModelDecision{Analysis: t.finish()}
	if len(variants) == 0 {
		return md
	}

	sorted := slices.Clone(variants)
	slices.SortStableFunc(sorted, func(a, b Variant) int { return strings.Compare(a.Name, b.Name) })
	md.Decisions = make([]Decision, len(sorted))
	clamps := make([]string, len(sorted))
	raised, changed := "", ""
	for i, v := range sorted {
		lo, hi := bounds(v)
		cur := max(v.CurrentReplicas, 0)
		desired := min(max(cur, lo), hi)
		switch {
		case desired > cur:
			clamps[i] = fmt.Sprintf("currentReplicas %d is below minReplicas %d; scaling to minReplicas", cur, lo)
			raised, changed = cmp.Or(raised, v.Name), cmp.Or(changed, v.Name)
		case desired < cur:
			clamps[i] = fmt.Sprintf("currentReplicas %d is above maxReplicas %d; scaling to maxReplicas", cur, hi)
			changed = cmp.Or(changed, v.Name)
		}
		md.Decisions[i] = Decision{Variant: v.Name, Current: cur, Desired: desired}
	}

	step := applyStep(md.Analysis, sorted, md.Decisions, raised, changed)
	md.ScaleUpHeld = md.Analysis.ScaleUp && raised == "" && md.Analysis.InFlight > 0
	for i := range md.Decisions {
		d := &md.Decisions[i]
		d.Reason = step
		if clamps[i] != "" {
			d.Reason = clamps[i] + "; " + step
		}
		switch {
		case d.Desired > d.Current:
			d.Direction = DirectionUp
		case d.Desired < d.Current:
			d.Direction = DirectionDown
		default:
			d.Direction = DirectionNone
		}
	}
	return md
}

// applyStep adds or removes the one replica the analysis asks for, on the
// variant it picks, and returns the reason shared by every decision.
// raised and changed name the first variant a clamp raised or changed.
func applyStep(a Analysis, sorted []Variant, decisions []Decision, raised, changed string) string {
	switch {
	case a.ScaleUp && raised != "":
		return a.Reason + fmt.Sprintf("; not adding a replica this round: variant %s is being raised to its minReplicas", raised)
	case a.ScaleUp && a.InFlight > 0:
		verb := "are"
		if a.InFlight == 1 {
			verb = "is"
		}
		return a.Reason + fmt.Sprintf("; scale-up held: %s of the model %s still starting (capacity in flight)",
			plural(a.InFlight, "replica", "replicas"), verb)
	case a.ScaleUp:
		i := pick(sorted, decisions, func(v Variant, d Decision) bool { _, hi := bounds(v); return d.Desired < hi }, false)
		if i < 0 {
			return a.Reason + "; cannot scale up: every variant is at its maxReplicas"
		}
		decisions[i].Desired++
		return a.Reason + "; scaling up cheapest variant " + sorted[i].Name
	case a.ScaleDownSafe && changed != "":
		return a.Reason + fmt.Sprintf("; scale-down deferred while variant %s is brought within its replica bounds", changed)
	case a.ScaleDownSafe:
		i := pick(sorted, decisions, func(v Variant, d Decision) bool { lo, _ := bounds(v); return d.Desired > lo }, true)
		if i < 0 {
			return a.Reason + "; cannot scale down: every variant is at its minReplicas"
		}
		decisions[i].Desired--
		return a.Reason + "; scaling down most expensive variant " + sorted[i].Name
	}
	return a.Reason
}

func bounds(v Variant) (lo, hi int32) {
	lo = max(v.MinReplicas, 0)
	return lo, max(v.MaxReplicas, lo)
}

// pick returns the index of the eligible variant with the lowest cost (or
// the highest, if expensive), ties broken by name; -1 if none is eligible.
// variants is sorted by name, so the first of equal costs wins.
func pick(variants []Variant, decisions []Decision, eligible func(Variant, Decision) bool, expensive bool) int {
	best := -1
	for i, v := range variants {
		if !eligible(v, decisions[i]) {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		c := cmp.Compare(v.Cost, variants[best].Cost)
		if (expensive && c > 0) || (!expensive && c < 0) {
			best = i
		}
	}
	return best
}
