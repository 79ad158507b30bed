package capacity

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Reasons of the analyses the AnalyzeModel cases produce (default config).
const (
	upReason  = "the only replica with metrics is saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5)"
	downBase  = "average spare KV capacity 0.70 and spare queue capacity 5.00 meet their triggers (kvSpareTrigger 0.10, queueSpareTrigger 3) and would still meet them with one replica fewer (spare KV capacity 0.60, spare queue capacity 5.00); scale-down is safe"
	noneBase  = "no replicas are running, so there are no metrics to analyze; no scaling decision"
	unbounded = int32(math.MaxInt32)
)

// saturated is one saturated replica: a scale-up signal.
func saturated() []ReplicaMetrics { return []ReplicaMetrics{rm("s", 0.95, 0)} }

// idle is n idle replicas: two or more make scale-down safe.
func idle(n int) []ReplicaMetrics {
	out := make([]ReplicaMetrics, n)
	for i := range out {
		out[i] = rm(fmt.Sprintf("i%d", i), 0.1, 0)
	}
	return out
}

func variant(name string, cost float64, current, lo, hi int32, replicas []ReplicaMetrics) Variant {
	return Variant{Name: name, Cost: cost, CurrentReplicas: current, MinReplicas: lo, MaxReplicas: hi, Replicas: replicas}
}

func TestAnalyzeModel(t *testing.T) {
	cases := map[string]struct {
		variants []Variant
		want     []Decision
	}{
		"no variants": {},
		"scaled to zero with min 0 stays at zero": {
			variants: []Variant{variant("a", 10, 0, 0, unbounded, nil)},
			want:     []Decision{{"a", 0, 0, DirectionNone, noneBase}},
		},
		"scaled to zero with min 1 is raised": {
			variants: []Variant{variant("a", 10, 0, 1, unbounded, nil)},
			want:     []Decision{{"a", 0, 1, DirectionUp, "currentReplicas 0 is below minReplicas 1; scaling to minReplicas; " + noneBase}},
		},
		"scale up the cheapest variant": {
			variants: []Variant{
				variant("llama-h100", 40, 1, 0, unbounded, saturated()),
				variant("llama-a100", 10, 0, 0, unbounded, nil),
			},
			want: []Decision{
				{"llama-a100", 0, 1, DirectionUp, upReason + "; scaling up cheapest variant llama-a100"},
				{"llama-h100", 1, 1, DirectionNone, upReason + "; scaling up cheapest variant llama-a100"},
			},
		},
		"scale up: ties broken by name": {
			variants: []Variant{variant("b", 10, 1, 1, unbounded, saturated()), variant("a", 10, 0, 0, unbounded, nil)},
			want: []Decision{
				{"a", 0, 1, DirectionUp, upReason + "; scaling up cheapest variant a"},
				{"b", 1, 1, DirectionNone, upReason + "; scaling up cheapest variant a"},
			},
		},
		"scale up skips a variant at its max": {
			variants: []Variant{variant("cheap", 1, 1, 0, 1, saturated()), variant("dear", 5, 0, 0, 3, nil)},
			want: []Decision{
				{"cheap", 1, 1, DirectionNone, upReason + "; scaling up cheapest variant dear"},
				{"dear", 0, 1, DirectionUp, upReason + "; scaling up cheapest variant dear"},
			},
		},
		"scale up with every variant at its max": {
			variants: []Variant{variant("a", 1, 1, 0, 1, saturated())},
			want:     []Decision{{"a", 1, 1, DirectionNone, upReason + "; cannot scale up: every variant is at its maxReplicas"}},
		},
		"scale down the most expensive variant": {
			variants: []Variant{variant("cheap", 10, 1, 0, unbounded, idle(1)), variant("dear", 40, 1, 0, unbounded, idle(1))},
			want: []Decision{
				{"cheap", 1, 1, DirectionNone, downBase + "; scaling down most expensive variant dear"},
				{"dear", 1, 0, DirectionDown, downBase + "; scaling down most expensive variant dear"},
			},
		},
		"scale down: ties broken by name": {
			variants: []Variant{variant("y", 40, 1, 0, unbounded, idle(1)), variant("x", 40, 1, 0, unbounded, idle(1))},
			want: []Decision{
				{"x", 1, 0, DirectionDown, downBase + "; scaling down most expensive variant x"},
				{"y", 1, 1, DirectionNone, downBase + "; scaling down most expensive variant x"},
			},
		},
		"scale down skips a variant at its min": {
			variants: []Variant{variant("cheap", 10, 1, 0, unbounded, idle(1)), variant("dear", 40, 1, 1, unbounded, idle(1))},
			want: []Decision{
				{"cheap", 1, 0, DirectionDown, downBase + "; scaling down most expensive variant cheap"},
				{"dear", 1, 1, DirectionNone, downBase + "; scaling down most expensive variant cheap"},
			},
		},
		"scale down with every variant at its min": {
			variants: []Variant{variant("a", 10, 2, 2, unbounded, idle(2))},
			want:     []Decision{{"a", 2, 2, DirectionNone, downBase + "; cannot scale down: every variant is at its minReplicas"}},
		},
		"above max is clamped and defers scale-down": {
			variants: []Variant{variant("a", 10, 2, 0, 1, idle(2)), variant("b", 40, 0, 0, unbounded, nil)},
			want: []Decision{
				{"a", 2, 1, DirectionDown, "currentReplicas 2 is above maxReplicas 1; scaling to maxReplicas; " + downBase + "; scale-down deferred while variant a is brought within its replica bounds"},
				{"b", 0, 0, DirectionNone, downBase + "; scale-down deferred while variant a is brought within its replica bounds"},
			},
		},
		"below min is clamped and replaces this round's scale-up": {
			variants: []Variant{variant("a", 10, 0, 1, unbounded, nil), variant("b", 40, 1, 0, unbounded, saturated())},
			want: []Decision{
				{"a", 0, 1, DirectionUp, "currentReplicas 0 is below minReplicas 1; scaling to minReplicas; " + upReason + "; not adding a replica this round: variant a is being raised to its minReplicas"},
				{"b", 1, 1, DirectionNone, upReason + "; not adding a replica this round: variant a is being raised to its minReplicas"},
			},
		},
		"above max is clamped and scale-up goes elsewhere": {
			variants: []Variant{variant("a", 40, 2, 0, 1, []ReplicaMetrics{rm("s1", 0.9, 0), rm("s2", 0.9, 0)}), variant("b", 10, 0, 0, unbounded, nil)},
			want: []Decision{
				{"a", 2, 1, DirectionDown, "currentReplicas 2 is above maxReplicas 1; scaling to maxReplicas; " +
					"all 2 replicas with metrics are saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5); scaling up cheapest variant b"},
				{"b", 0, 1, DirectionUp, "all 2 replicas with metrics are saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5); scaling up cheapest variant b"},
			},
		},
		"max below min counts as min": {
			variants: []Variant{variant("a", 10, 5, 3, 1, nil)},
			want: []Decision{{"a", 5, 3, DirectionDown, "currentReplicas 5 is above maxReplicas 3; scaling to maxReplicas; " +
				"metrics are missing: none of the 5 replicas reports both KV cache usage and queue length; no scaling decision"}},
		},
		"pods without metrics rows block scale-down": {
			variants: []Variant{variant("a", 10, 3, 0, unbounded, idle(2))},
			want: []Decision{{"a", 3, 3, DirectionNone, "average spare KV capacity 0.70 and spare queue capacity 5.00 meet their triggers " +
				"(kvSpareTrigger 0.10, queueSpareTrigger 3); not scaling down: 1 replica has no metrics"}},
		},
		"steady state": {
			variants: []Variant{variant("a", 10, 2, 1, 4, []ReplicaMetrics{rm("m1", 0.5, 1), rm("m2", 0.5, 1)})},
			want: []Decision{{"a", 2, 2, DirectionNone, "average spare KV capacity 0.30 and spare queue capacity 4.00 meet their triggers " +
				"(kvSpareTrigger 0.10, queueSpareTrigger 3); not scaling down: with one replica fewer the replicas would be saturated (average KV cache usage 1.00, queue length 2.00)"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := AnalyzeModel(DefaultCapacityScalingConfig(), tc.variants)
			if diff := cmp.Diff(tc.want, got.Decisions); diff != "" {
				t.Errorf("AnalyzeModel decisions: -want +got:\n%s", diff)
			}
			for _, d := range got.Decisions {
				for _, v := range tc.variants {
					if lo, hi := bounds(v); v.Name == d.Variant && (d.Desired < lo || d.Desired > hi) {
						t.Errorf("variant %s: desired %d outside [%d, %d]", v.Name, d.Desired, lo, hi)
					}
				}
			}
		})
	}
}

func TestAnalyzeModelPoolsReplicas(t *testing.T) {
	variants := []Variant{
		variant("a", 10, 2, 0, unbounded, []ReplicaMetrics{rm("a1", 0.9, 0), rm("a2", 0.2, 1)}),
		variant("b", 20, 1, 0, unbounded, []ReplicaMetrics{rm("b1", 0.4, 3)}),
	}
	got := AnalyzeModel(DefaultCapacityScalingConfig(), variants).Analysis
	var all []ReplicaMetrics
	for _, v := range variants {
		all = append(all, v.Replicas...)
	}
	if diff := cmp.Diff(Analyze(DefaultCapacityScalingConfig(), all), got, approx); diff != "" {
		t.Errorf("pooled analysis: -want +got:\n%s", diff)
	}
}

func TestAnalyzeModelDoesNotModifyInput(t *testing.T) {
	variants := []Variant{variant("b", 10, 1, 0, unbounded, saturated()), variant("a", 20, 1, 0, unbounded, nil)}
	before := []Variant{variants[0], variants[1]}
	AnalyzeModel(DefaultCapacityScalingConfig(), variants)
	if diff := cmp.Diff(before, variants); diff != "" {
		t.Errorf("AnalyzeModel modified its input: -before +after:\n%s", diff)
	}
}

func inFlight(v Variant, n int32) Variant {
	v.InFlight = n
	return v
}

// TestAnalyzeModelInFlight covers capacity in flight: replicas still starting
// hold further scale-up across every variant of the model and block
// scale-down, while replicas without metrics block scale-down only.
func TestAnalyzeModelInFlight(t *testing.T) {
	const heldUp = upReason + "; scale-up held: 1 replica of the model is still starting (capacity in flight)"
	cases := map[string]struct {
		variants   []Variant
		want       []Decision
		wantHeld   bool
		wantCounts [3]int // replicas, in flight, with metrics
	}{
		"a starting replica of the same variant holds scale-up": {
			variants:   []Variant{inFlight(variant("a", 10, 2, 1, unbounded, saturated()), 1)},
			want:       []Decision{{"a", 2, 2, DirectionNone, heldUp}},
			wantHeld:   true,
			wantCounts: [3]int{2, 1, 1},
		},
		"a starting replica of another variant holds scale-up of the cheapest": {
			variants: []Variant{
				variant("cheap", 10, 1, 1, unbounded, saturated()),
				inFlight(variant("dear", 40, 1, 0, unbounded, nil), 1),
			},
			want: []Decision{
				{"cheap", 1, 1, DirectionNone, heldUp},
				{"dear", 1, 1, DirectionNone, heldUp},
			},
			wantHeld:   true,
			wantCounts: [3]int{2, 1, 1},
		},
		"a replica without metrics does not hold scale-up": {
			variants: []Variant{variant("a", 10, 3, 1, unbounded, []ReplicaMetrics{
				rm("s1", 0.95, 0), rm("s2", 0.9, 0), {Pod: "pending"},
			})},
			want:       []Decision{{"a", 3, 4, DirectionUp, "all 2 replicas with metrics are saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5); 1 replica has no metrics; scaling up cheapest variant a"}},
			wantCounts: [3]int{3, 0, 2},
		},
		"short of spare capacity with a replica without metrics scales up": {
			variants:   []Variant{variant("a", 10, 2, 1, unbounded, []ReplicaMetrics{rm("busy", 0.75, 1), {Pod: "broken"}})},
			want:       []Decision{{"a", 2, 3, DirectionUp, "average spare KV capacity 0.05 is below kvSpareTrigger 0.10; scaling up cheapest variant a"}},
			wantCounts: [3]int{2, 0, 1},
		},
		"a replica in flight blocks scale-down": {
			variants: []Variant{inFlight(variant("a", 10, 3, 1, unbounded, idle(2)), 1)},
			want: []Decision{{"a", 3, 3, DirectionNone, "average spare KV capacity 0.70 and spare queue capacity 5.00 meet their triggers " +
				"(kvSpareTrigger 0.10, queueSpareTrigger 3); not scaling down: 1 replica is still starting"}},
			wantCounts: [3]int{3, 1, 2},
		},
		"only replicas in flight: no decision": {
			variants:   []Variant{inFlight(variant("a", 10, 2, 1, unbounded, nil), 2)},
			want:       []Decision{{"a", 2, 2, DirectionNone, "2 replicas are still starting, so there are no metrics to analyze yet; no scaling decision"}},
			wantCounts: [3]int{2, 2, 0},
		},
		"in flight and unlisted replicas are counted apart": {
			variants: []Variant{inFlight(variant("a", 10, 4, 1, unbounded, nil), 1)},
			want: []Decision{{"a", 4, 4, DirectionNone, "metrics are missing: none of the 3 replicas reports both KV cache usage and queue length; " +
				"no scaling decision (1 replica is still starting)"}},
			wantCounts: [3]int{4, 1, 0},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := AnalyzeModel(DefaultCapacityScalingConfig(), tc.variants)
			if diff := cmp.Diff(tc.want, got.Decisions); diff != "" {
				t.Errorf("decisions: -want +got:\n%s", diff)
			}
			if got.ScaleUpHeld != tc.wantHeld {
				t.Errorf("ScaleUpHeld = %t, want %t", got.ScaleUpHeld, tc.wantHeld)
			}
			a := got.Analysis
			if diff := cmp.Diff(tc.wantCounts, [3]int{a.Replicas, a.InFlight, a.WithMetrics}); diff != "" {
				t.Errorf("replicas, in flight, with metrics: -want +got:\n%s", diff)
			}
		})
	}
}
