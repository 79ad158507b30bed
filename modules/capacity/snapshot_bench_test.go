package capacity

import (
	"fmt"
	"testing"
	"time"
)

func BenchmarkResolve(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		s := Parse(syntheticData(n), "1")
		hit := fmt.Sprintf("org/model-%d", n/2)
		b.Run(fmt.Sprintf("overrides=%d/hit", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Resolve(hit, "ns")
			}
		})
		b.Run(fmt.Sprintf("overrides=%d/miss", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Resolve("org/unknown", "ns")
			}
		})
	}
}

func BenchmarkExplain(b *testing.B) {
	s := Parse(syntheticData(1000), "1")
	b.Run("overrides=1000/hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Explain("org/model-500", "ns")
		}
	})
}

func BenchmarkStoreLoadResolve(b *testing.B) {
	store := NewStore(Parse(syntheticData(1000), "1"))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			store.Load().Resolve("org/model-500", "ns")
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		data := syntheticData(n)
		b.Run(fmt.Sprintf("entries=%d", n+1), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Parse(data, "1")
			}
		})
	}
}

// BenchmarkResolveAt resolves at an instant with schedules applied: an
// override with MaxWindows windows (the worst case of the O(1) bound), one
// with two, and a model without an override. It must not allocate.
func BenchmarkResolveAt(b *testing.B) {
	data := syntheticData(1000)
	data["many-windows"] = "model_id: org/many\nnamespace: ns\nschedules:\n" + manyWindows(MaxWindows)
	data["two-windows"] = "model_id: org/two\nnamespace: ns\nschedules:\n" + manyWindows(2)
	s := Parse(data, "1")
	if errs := s.Errors(); len(errs) != 0 {
		b.Fatalf("Errors() = %v", errs)
	}
	now := time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC) // a Wednesday
	for _, m := range []struct{ name, model string }{{"windows=16", "org/many"}, {"windows=2", "org/two"}, {"windows=0", "org/model-500"}} {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.ResolveAt(m.model, "ns", now)
			}
		})
	}
}

// manyWindows returns n one-hour windows, on every weekday from 00:00 on,
// in Europe/Berlin.
func manyWindows(n int) string {
	var out string
	for i := range n {
		out += fmt.Sprintf("- name: w%d\n  days: Mon-Sun\n  start: \"%02d:00\"\n  end: \"%02d:00\"\n  timeZone: Europe/Berlin\n  kvCacheThreshold: 0.7\n", i, i, i+1)
	}
	return out
}
