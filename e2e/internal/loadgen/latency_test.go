package loadgen

import (
	"math"
	"testing"
	"time"
)

func TestLatencyQuantiles(t *testing.T) {
	cases := map[string]struct {
		samples []time.Duration
		q       float64
		want    time.Duration
	}{
		"none":                   {q: 0.5, want: 0},
		"one":                    {samples: []time.Duration{3 * time.Second}, q: 0.99, want: 3 * time.Second},
		"median of 1..100 ms":    {samples: spread(100), q: 0.5, want: 50 * time.Millisecond},
		"p95 of 1..100 ms":       {samples: spread(100), q: 0.95, want: 95 * time.Millisecond},
		"p99 of 1..100 ms":       {samples: spread(100), q: 0.99, want: 99 * time.Millisecond},
		"below the first bucket": {samples: []time.Duration{time.Microsecond}, q: 0.5, want: latencyMin},
		"above the last bucket":  {samples: []time.Duration{100 * time.Hour}, q: 0.5, want: latencyMax},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var l latencies
			for _, s := range tc.samples {
				l.add(s)
			}
			got := l.quantile(tc.q)
			// Buckets are 1% wide; their middle is within half a percent.
			if math.Abs(float64(got-tc.want)) > 0.006*float64(tc.want) {
				t.Errorf("quantile(%g) = %v, want %v ± 0.6%%", tc.q, got, tc.want)
			}
		})
	}
}

func spread(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * time.Millisecond
	}
	return out
}
