package emulator

import "slices"

// Bucket upper bounds in seconds, as vLLM v1 declares them for its
// histograms (vllm/v1/metrics/loggers.py), so dashboards and quantile
// queries written for vLLM read the emulator's histograms the same way.
var (
	// latencyBuckets: vllm:e2e_request_latency_seconds and
	// vllm:request_queue_time_seconds.
	latencyBuckets = []float64{
		0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0,
		30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0,
	}
	// firstTokenBuckets: vllm:time_to_first_token_seconds.
	firstTokenBuckets = []float64{
		0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5,
		0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
	}
)

// Histogram counts observations in buckets, the Prometheus way.
type Histogram struct {
	// Bounds are the buckets' upper bounds (inclusive), ascending.
	Bounds []float64
	// Counts[i] is the number of observations in bucket i, those above
	// Bounds[i-1] and at most Bounds[i]; the last element, one past the
	// bounds, counts those above every bound (the +Inf bucket).
	Counts []uint64
	// Count is the number of observations and Sum their total.
	Count uint64
	Sum   float64
}

func newHistogram(bounds []float64) Histogram {
	return Histogram{Bounds: bounds, Counts: make([]uint64, len(bounds)+1)}
}

func (h *Histogram) observe(v float64) {
	i, _ := slices.BinarySearch(h.Bounds, v) // first bound >= v
	h.Counts[i]++
	h.Count++
	h.Sum += v
}

// Cumulative returns the number of observations at most each bound, the
// form of a Prometheus histogram's _bucket series (without +Inf, which is
// Count).
func (h Histogram) Cumulative() map[float64]uint64 {
	out := make(map[float64]uint64, len(h.Bounds))
	var n uint64
	for i, b := range h.Bounds {
		n += h.Counts[i]
		out[b] = n
	}
	return out
}

// clone returns a copy that shares no memory with h. Bounds are never
// written, so they are shared.
func (h Histogram) clone() Histogram {
	h.Counts = slices.Clone(h.Counts)
	return h
}
