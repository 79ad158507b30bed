package capacity

import (
	"fmt"
	"testing"
)

func syntheticReplicas(n int) []ReplicaMetrics {
	out := make([]ReplicaMetrics, n)
	for i := range out {
		out[i] = rm(fmt.Sprintf("pod-%d", i), float64(i%7)/10, float64(i%3))
	}
	return out
}

func BenchmarkAnalyze(b *testing.B) {
	cfg := DefaultCapacityScalingConfig()
	for _, n := range []int{8, 64, 512} {
		replicas := syntheticReplicas(n)
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Analyze(cfg, replicas)
			}
		})
	}
}

func BenchmarkAnalyzeModel(b *testing.B) {
	cfg := DefaultCapacityScalingConfig()
	for _, n := range []int{2, 8} {
		variants := make([]Variant, n)
		for i := range variants {
			variants[i] = Variant{Name: fmt.Sprintf("v%d", i), Cost: float64(10 * (i + 1)), CurrentReplicas: 8,
				MinReplicas: 1, MaxReplicas: 100, Replicas: syntheticReplicas(8)}
		}
		b.Run(fmt.Sprintf("variants=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				AnalyzeModel(cfg, variants)
			}
		})
	}
}
