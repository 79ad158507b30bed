package capacity

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// rm is a replica reporting both metrics.
func rm(pod string, kv, queue float64) ReplicaMetrics {
	return ReplicaMetrics{Pod: pod, KvCacheUsage: kv, HasKvCacheUsage: true, QueueLength: queue, HasQueueLength: true}
}

var approx = cmpopts.EquateApprox(0, 1e-9)

func TestAnalyze(t *testing.T) {
	def := DefaultCapacityScalingConfig() // 0.80 / 5 / 0.10 / 3
	const enough = "average spare KV capacity %s and spare queue capacity %s meet their triggers (kvSpareTrigger 0.10, queueSpareTrigger 3)"
	cases := map[string]struct {
		cfg      CapacityScalingConfig
		replicas []ReplicaMetrics
		want     Analysis
	}{
		"no replicas": {
			cfg:  def,
			want: Analysis{Reason: "no replicas are running, so there are no metrics to analyze; no scaling decision"},
		},
		"no metrics at all": {
			cfg:      def,
			replicas: []ReplicaMetrics{{Pod: "a"}, {Pod: "b", KvCacheUsage: 0.1, HasKvCacheUsage: true}},
			want: Analysis{Replicas: 2,
				Reason: "metrics are missing: none of the 2 replicas reports both KV cache usage and queue length; no scaling decision"},
		},
		"single idle replica": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.2, 0)},
			want: Analysis{Replicas: 1, WithMetrics: 1, NonSaturated: 1, AvgSpareKv: 0.6, AvgSpareQueue: 5,
				Reason: sprintf(enough, "0.60", "5.00") + "; not scaling down: a single replica cannot be removed"},
		},
		"single saturated replica": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.9, 0)},
			want: Analysis{Replicas: 1, WithMetrics: 1, Saturated: 1, ScaleUp: true,
				Reason: "the only replica with metrics is saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5)"},
		},
		"all saturated, by KV and by queue": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.9, 1), rm("b", 0.1, 6), {Pod: "c"}},
			want: Analysis{Replicas: 3, WithMetrics: 2, Saturated: 2, ScaleUp: true,
				Reason: "all 2 replicas with metrics are saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5); 1 replica has no metrics"},
		},
		"exactly at the KV threshold is saturated": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.80, 0), rm("b", 0.7999999999, 0)},
			want: Analysis{Replicas: 2, WithMetrics: 2, Saturated: 2, ScaleUp: true,
				Reason: "all 2 replicas with metrics are saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5)"},
		},
		"exactly at the queue threshold is saturated": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.1, 5)},
			want: Analysis{Replicas: 1, WithMetrics: 1, Saturated: 1, ScaleUp: true,
				Reason: "the only replica with metrics is saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5)"},
		},
		"a known saturated metric counts even if the other is missing": {
			cfg:      def,
			replicas: []ReplicaMetrics{{Pod: "a", KvCacheUsage: 0.95, HasKvCacheUsage: true}},
			want: Analysis{Replicas: 1, Saturated: 1, ScaleUp: true,
				Reason: "the only replica with metrics is saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5)"},
		},
		"0.80-0.70 is not below 0.10": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.70, 0), rm("b", 0.70, 0)},
			want: Analysis{Replicas: 2, WithMetrics: 2, NonSaturated: 2, AvgSpareKv: 0.1, AvgSpareQueue: 5,
				Reason: sprintf(enough, "0.10", "5.00") + "; not scaling down: with one replica fewer the replicas would be saturated (average KV cache usage 1.40, queue length 0.00)"},
		},
		"0.30-0.20 is not below 0.10": {
			cfg:      cfg(0.30, 5, 0.10, 3),
			replicas: []ReplicaMetrics{rm("a", 0.20, 0)},
			want: Analysis{Replicas: 1, WithMetrics: 1, NonSaturated: 1, AvgSpareKv: 0.1, AvgSpareQueue: 5,
				Reason: sprintf(enough, "0.10", "5.00") + "; not scaling down: a single replica cannot be removed"},
		},
		"spare KV just below the trigger": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.71, 0), rm("b", 0.71, 0)},
			want: Analysis{Replicas: 2, WithMetrics: 2, NonSaturated: 2, AvgSpareKv: 0.09, AvgSpareQueue: 5, ScaleUp: true,
				Reason: "average spare KV capacity 0.09 is below kvSpareTrigger 0.10"},
		},
		"a difference that two decimals hide is shown": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.7001, 0)},
			want: Analysis{Replicas: 1, WithMetrics: 1, NonSaturated: 1, AvgSpareKv: 0.0999, AvgSpareQueue: 5, ScaleUp: true,
				Reason: "average spare KV capacity 0.0999 is below kvSpareTrigger 0.1000"},
		},
		"both spares below their triggers": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.75, 2), rm("b", 0.1, 4)},
			want: Analysis{Replicas: 2, WithMetrics: 2, NonSaturated: 2, AvgSpareKv: 0.375, AvgSpareQueue: 2, ScaleUp: true,
				Reason: "average spare queue capacity 2.00 is below queueSpareTrigger 3"},
		},
		"one saturated replica with idle others": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.9, 0), rm("b", 0.1, 0), rm("c", 0.1, 0)},
			want: Analysis{Replicas: 3, WithMetrics: 3, Saturated: 1, NonSaturated: 2, AvgSpareKv: 0.7, AvgSpareQueue: 5,
				Reason: sprintf(enough, "0.70", "5.00") + "; not scaling down: 1 replica is saturated"},
		},
		"missing metrics are not idle and block scale-down": {
			cfg: def,
			replicas: []ReplicaMetrics{rm("a", 0.1, 0), rm("b", 0.1, 0),
				{Pod: "c", QueueLength: 1, HasQueueLength: true}, {Pod: "d", KvCacheUsage: math.NaN(), HasKvCacheUsage: true, QueueLength: 0, HasQueueLength: true}},
			want: Analysis{Replicas: 4, WithMetrics: 2, NonSaturated: 2, AvgSpareKv: 0.7, AvgSpareQueue: 5,
				Reason: sprintf(enough, "0.70", "5.00") + "; not scaling down: 2 replicas have no metrics"},
		},
		"scale-down safe": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.2, 0), rm("b", 0.2, 1), rm("c", 0.2, 0)},
			want: Analysis{Replicas: 3, WithMetrics: 3, NonSaturated: 3, AvgSpareKv: 0.6, AvgSpareQueue: 14.0 / 3, ScaleDownSafe: true,
				Reason: sprintf(enough, "0.60", "4.67") + " and would still meet them with one replica fewer (spare KV capacity 0.50, spare queue capacity 4.50); scale-down is safe"},
		},
		"scale-down safe exactly at the triggers afterwards": {
			// With one replica fewer: KV 0.70 (spare 0.80-0.70) and queue 2 (spare 3).
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.35, 1), rm("b", 0.35, 1)},
			want: Analysis{Replicas: 2, WithMetrics: 2, NonSaturated: 2, AvgSpareKv: 0.45, AvgSpareQueue: 4, ScaleDownSafe: true,
				Reason: sprintf(enough, "0.45", "4.00") + " and would still meet them with one replica fewer (spare KV capacity 0.10, spare queue capacity 3.00); scale-down is safe"},
		},
		"scale-down would leave too little spare KV": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.36, 0), rm("b", 0.36, 0)},
			want: Analysis{Replicas: 2, WithMetrics: 2, NonSaturated: 2, AvgSpareKv: 0.44, AvgSpareQueue: 5,
				Reason: sprintf(enough, "0.44", "5.00") + "; not scaling down: with one replica fewer the average spare KV capacity would be 0.08, below kvSpareTrigger 0.10"},
		},
		"scale-down would leave too little spare queue": {
			cfg:      def,
			replicas: []ReplicaMetrics{rm("a", 0.1, 1.5), rm("b", 0.1, 1.5), rm("c", 0.1, 1.5)},
			want: Analysis{Replicas: 3, WithMetrics: 3, NonSaturated: 3, AvgSpareKv: 0.7, AvgSpareQueue: 3.5,
				Reason: sprintf(enough, "0.70", "3.50") + "; not scaling down: with one replica fewer the average spare queue capacity would be 2.75, below queueSpareTrigger 3"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Analyze(tc.cfg, tc.replicas)
			if diff := cmp.Diff(tc.want, got, approx); diff != "" {
				t.Errorf("Analyze: -want +got:\n%s", diff)
			}
			if got.ScaleUp && got.ScaleDownSafe {
				t.Errorf("Analyze signals both scale-up and scale-down: %+v", got)
			}
		})
	}
}

func TestAnalyzeHasDecision(t *testing.T) {
	cases := map[string]struct {
		replicas []ReplicaMetrics
		want     bool
	}{
		"none":               {nil, false},
		"no metrics":         {[]ReplicaMetrics{{Pod: "a"}}, false},
		"metrics":            {[]ReplicaMetrics{rm("a", 0.1, 0)}, true},
		"saturated, partial": {[]ReplicaMetrics{{Pod: "a", QueueLength: 9, HasQueueLength: true}}, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Analyze(DefaultCapacityScalingConfig(), tc.replicas).HasDecision(); got != tc.want {
				t.Errorf("HasDecision() = %t, want %t", got, tc.want)
			}
		})
	}
}
