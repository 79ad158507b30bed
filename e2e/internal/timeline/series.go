package timeline

import (
	"math"
	"slices"
	"time"
)

// Series is a recorded timeline.
type Series struct {
	// Start is when recording started; elapsed times count from it.
	Start time.Time
	// Variants name the model's variants, in the order of each sample's
	// Variants.
	Variants []string
	Samples  []Sample
	// Events are the values of the variants' spec.replicas as the watch saw
	// them, in order: the first of each variant is its value when recording
	// started, each later one a change.
	Events []Event
	// Failed counts the samples with a part that could not be read (the
	// part is NaN); LastError is the latest such failure.
	Failed    int
	LastError string
}

// Sample is the state of the model at one time. A value that could not be
// read, or that has no meaning yet (no series in Prometheus), is NaN.
type Sample struct {
	At time.Time
	// OfferedRPS is the rate the load profile prescribes (see SetOffered).
	OfferedRPS float64
	// LoadgenRPS is loadgen_offered_rps as Prometheus last scraped it.
	LoadgenRPS float64
	// Running and Waiting are vllm:num_requests_running and
	// vllm:num_requests_waiting summed over the model's replicas; KVMean is
	// vllm:kv_cache_usage_perc averaged over them.
	Running, Waiting, KVMean float64
	Variants                 []VariantSample
}

// VariantSample is the state of one variant; NaN when unknown.
type VariantSample struct {
	// Current is the Deployment's spec.replicas, Ready its ready replicas.
	Current, Ready float64
	// Desired is the VariantAutoscaling's status.desiredReplicas.
	Desired float64
}

// Event is a value of one variant's spec.replicas seen by the watch.
type Event struct {
	At       time.Time
	Variant  string
	Replicas int32
}

// Step is a change of one variant's replicas.
type Step struct {
	At       time.Time
	Variant  string
	From, To int32
	// Total is the model's replicas (every variant's) after the step.
	Total int32
}

// Up reports whether the step added replicas.
func (s Step) Up() bool { return s.To > s.From }

// Steps returns the changes of the variants' replicas, in order, with the
// model's total after each. The first event of a variant is its starting
// value, not a step.
func (s Series) Steps() []Step {
	current := map[string]int32{}
	var total int32
	var out []Step
	for _, e := range s.Events {
		from, seen := current[e.Variant]
		current[e.Variant] = e.Replicas
		total += e.Replicas - from
		if !seen || from == e.Replicas {
			continue
		}
		out = append(out, Step{At: e.At, Variant: e.Variant, From: from, To: e.Replicas, Total: total})
	}
	return out
}

// Initial returns each variant's replicas when recording started (its first
// event), by variant.
func (s Series) Initial() map[string]int32 {
	out := map[string]int32{}
	for _, e := range s.Events {
		if _, ok := out[e.Variant]; !ok {
			out[e.Variant] = e.Replicas
		}
	}
	return out
}

// Phase is a run of steps of the model's total in one direction.
type Phase struct {
	Up         bool
	Start, End time.Time // of the first and the last step
	From, To   int32     // the model's total before and after
	Steps      int
}

// Phases groups the steps into runs in one direction of the model's total.
// A load cycle without flapping has two: up, then down.
func (s Series) Phases() []Phase {
	initial := int32(0)
	for _, v := range s.Initial() {
		initial += v
	}
	var out []Phase
	prev := initial
	for _, st := range s.Steps() {
		if st.Total == prev {
			continue // one variant up, another down in the same instant
		}
		up := st.Total > prev
		if n := len(out); n == 0 || out[n-1].Up != up {
			out = append(out, Phase{Up: up, Start: st.At, From: prev})
		}
		p := &out[len(out)-1]
		p.End, p.To = st.At, st.Total
		p.Steps++
		prev = st.Total
	}
	return out
}

// Flaps is the number of changes of direction beyond the one of a clean
// cycle (up, then down): 0 for phases up-down, up or down alone.
func Flaps(phases []Phase) int { return max(0, len(phases)-2) }

// Peak is the highest total of the model's replicas.
func (s Series) Peak() int32 {
	var peak int32
	for _, v := range s.Initial() {
		peak += v
	}
	for _, st := range s.Steps() {
		peak = max(peak, st.Total)
	}
	return peak
}

// Range returns the lowest and highest replicas variant had.
func (s Series) Range(variant string) (lo, hi int32, ok bool) {
	for _, e := range s.Events {
		if e.Variant != variant {
			continue
		}
		if !ok {
			lo, hi, ok = e.Replicas, e.Replicas, true
		}
		lo, hi = min(lo, e.Replicas), max(hi, e.Replicas)
	}
	return lo, hi, ok
}

// SetOffered fills every sample's OfferedRPS with rate(t), e.g. the load
// profile's rate at t; rate returns NaN where it is not known.
func (s *Series) SetOffered(rate func(time.Time) float64) {
	for i := range s.Samples {
		s.Samples[i].OfferedRPS = rate(s.Samples[i].At)
	}
}

// Between returns the samples taken in [from, to].
func (s Series) Between(from, to time.Time) []Sample {
	lo, _ := slices.BinarySearchFunc(s.Samples, from, func(x Sample, t time.Time) int { return x.At.Compare(t) })
	hi, _ := slices.BinarySearchFunc(s.Samples, to, func(x Sample, t time.Time) int {
		if x.At.After(t) {
			return 1
		}
		return -1
	})
	return s.Samples[lo:hi]
}

// Elapsed is t in seconds since the start of the series.
func (s Series) Elapsed(t time.Time) float64 { return t.Sub(s.Start).Seconds() }

// nan is math.NaN, short for the recorder and the tests.
var nan = math.NaN()
