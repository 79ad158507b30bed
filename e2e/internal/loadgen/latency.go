package loadgen

import (
	"math"
	"time"
)

// Latency buckets grow by latencyGrowth from latencyMin to past
// latencyMax, so a quantile is known within half a percent with a fixed,
// small memory however long the run: a forever run must not keep every
// sample.
const (
	latencyMin    = 100 * time.Microsecond
	latencyMax    = time.Hour
	latencyGrowth = 1.01
)

var latencyBuckets = int(math.Ceil(math.Log(float64(latencyMax)/float64(latencyMin))/math.Log(latencyGrowth))) + 1

// latencies is a log-bucketed histogram of durations. Bucket i > 0 holds
// [latencyMin·g^(i-1), latencyMin·g^i); bucket 0 everything shorter than
// latencyMin and the last one everything longer than latencyMax.
type latencies struct {
	counts []uint64
	n      uint64
	sum    time.Duration
}

func (l *latencies) add(d time.Duration) {
	if l.counts == nil {
		l.counts = make([]uint64, latencyBuckets)
	}
	i := 0
	if d >= latencyMin {
		i = 1 + int(math.Log(float64(d)/float64(latencyMin))/math.Log(latencyGrowth))
	}
	l.counts[min(i, latencyBuckets-1)]++
	l.n++
	l.sum += d
}

// quantile is the nearest-rank q-quantile, q in (0, 1], as its bucket's
// geometric middle; 0 without samples.
func (l *latencies) quantile(q float64) time.Duration {
	if l.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(l.n)))
	var seen uint64
	for i, c := range l.counts {
		if seen += c; seen >= max(rank, 1) {
			if i == 0 {
				return latencyMin
			}
			lower := float64(latencyMin) * math.Pow(latencyGrowth, float64(i-1))
			return time.Duration(lower * math.Sqrt(latencyGrowth))
		}
	}
	return latencyMax
}

// Quantiles are latency percentiles in seconds.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

func (l *latencies) quantiles() Quantiles {
	return Quantiles{
		P50: l.quantile(0.50).Seconds(),
		P95: l.quantile(0.95).Seconds(),
		P99: l.quantile(0.99).Seconds(),
	}
}
