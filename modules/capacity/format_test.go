package capacity_test

import (
	"math"
	"testing"

	"github.com/wva-project/wva/modules/capacity"
)

func TestFormatDecimal(t *testing.T) {
	for v, want := range map[float64]string{
		0.8: "0.80", 0.805: "0.805", 1: "1.00", 0: "0.00", math.Copysign(0, -1): "0.00",
		0.0000001: "0.0000001", 12.5: "12.50", math.NaN(): "NaN", math.Inf(1): "+Inf",
	} {
		if got := capacity.FormatDecimal(v); got != want {
			t.Errorf("FormatDecimal(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestReplicaMetricsComplete: Complete is the rule Analysis counts
// WithMetrics by.
func TestReplicaMetricsComplete(t *testing.T) {
	both := capacity.ReplicaMetrics{KvCacheUsage: 0.5, HasKvCacheUsage: true, QueueLength: 1, HasQueueLength: true}
	cases := map[string]struct {
		edit func(*capacity.ReplicaMetrics)
		want bool
	}{
		"both metrics":       {edit: func(*capacity.ReplicaMetrics) {}, want: true},
		"zero values count":  {edit: func(m *capacity.ReplicaMetrics) { m.KvCacheUsage, m.QueueLength = 0, 0 }, want: true},
		"no queue length":    {edit: func(m *capacity.ReplicaMetrics) { m.HasQueueLength = false }},
		"no KV cache usage":  {edit: func(m *capacity.ReplicaMetrics) { m.HasKvCacheUsage = false }},
		"NaN KV cache usage": {edit: func(m *capacity.ReplicaMetrics) { m.KvCacheUsage = math.NaN() }},
		"negative queue":     {edit: func(m *capacity.ReplicaMetrics) { m.QueueLength = -1 }},
		"infinite queue":     {edit: func(m *capacity.ReplicaMetrics) { m.QueueLength = math.Inf(1) }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := both
			tc.edit(&m)
			if got := m.Complete(); got != tc.want {
				t.Errorf("Complete() = %t, want %t", got, tc.want)
			}
			withMetrics := capacity.Analyze(capacity.DefaultCapacityScalingConfig(), []capacity.ReplicaMetrics{m}).WithMetrics
			if got := withMetrics == 1; got != tc.want {
				t.Errorf("Analyze counts it WithMetrics = %t, Complete says %t", got, tc.want)
			}
		})
	}
}
