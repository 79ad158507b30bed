package timeline

import (
	"math"
	"time"
)

var t0 = time.Date(2026, 11, 26, 19, 10, 0, 0, time.UTC)

func at(seconds float64) time.Time {
	return t0.Add(time.Duration(seconds * float64(time.Second)))
}

// cycle is a two-variant series of a load cycle: 1 replica of "a", load,
// "a" to 2, "b" from 0 to 1, then back; Prometheus is unreachable at 3 s.
func cycle() Series {
	s := Series{Start: t0, Variants: []string{"a", "b"}}
	replicas := []struct{ a, b float64 }{{1, 0}, {1, 0}, {2, 0}, {2, 1}, {2, 1}, {2, 0}, {1, 0}}
	for i, r := range replicas {
		smp := Sample{
			At: at(float64(i)), OfferedRPS: float64(i), LoadgenRPS: float64(i),
			Running: float64(2 * i), Waiting: 0, KVMean: float64(i) / 10,
			Variants: []VariantSample{{Current: r.a, Ready: r.a, Desired: r.a}, {Current: r.b, Ready: r.b, Desired: r.b}},
		}
		if i == 3 {
			smp.Running, smp.Waiting, smp.KVMean, smp.LoadgenRPS = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		}
		s.Samples = append(s.Samples, smp)
	}
	s.Events = []Event{
		{At: t0, Variant: "a", Replicas: 1}, {At: t0, Variant: "b", Replicas: 0},
		{At: at(1.5), Variant: "a", Replicas: 2}, {At: at(2.5), Variant: "b", Replicas: 1},
		{At: at(4.5), Variant: "b", Replicas: 0}, {At: at(5.5), Variant: "a", Replicas: 1},
	}
	return s
}
