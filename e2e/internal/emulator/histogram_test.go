package emulator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHistogram(t *testing.T) {
	cases := map[string]struct {
		observe        []float64
		wantCounts     []uint64
		wantCumulative map[float64]uint64
	}{
		"empty": {
			wantCounts:     []uint64{0, 0, 0},
			wantCumulative: map[float64]uint64{1: 0, 2: 0},
		},
		"bounds are inclusive": {
			observe:        []float64{0, 1, 2},
			wantCounts:     []uint64{2, 1, 0},
			wantCumulative: map[float64]uint64{1: 2, 2: 3},
		},
		"above every bound": {
			observe:        []float64{1.5, 3, 300},
			wantCounts:     []uint64{0, 1, 2},
			wantCumulative: map[float64]uint64{1: 0, 2: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHistogram([]float64{1, 2})
			var sum float64
			for _, v := range tc.observe {
				h.observe(v)
				sum += v
			}
			if diff := cmp.Diff(tc.wantCounts, h.Counts); diff != "" {
				t.Errorf("Counts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCumulative, h.Cumulative()); diff != "" {
				t.Errorf("Cumulative (-want +got):\n%s", diff)
			}
			if h.Count != uint64(len(tc.observe)) || h.Sum != sum {
				t.Errorf("Count %d, Sum %g; want %d, %g", h.Count, h.Sum, len(tc.observe), sum)
			}
		})
	}
}

func TestHistogramCloneIsIndependent(t *testing.T) {
	h := newHistogram([]float64{1})
	c := h.clone()
	h.observe(0.5)
	if c.Counts[0] != 0 || c.Count != 0 {
		t.Errorf("clone changed with the original: %+v", c)
	}
}

func TestVLLMBucketsAscend(t *testing.T) {
	for name, b := range map[string][]float64{"latency": latencyBuckets, "first token": firstTokenBuckets} {
		for i := 1; i < len(b); i++ {
			if b[i] <= b[i-1] {
				t.Errorf("%s buckets: %g after %g", name, b[i], b[i-1])
			}
		}
	}
}
