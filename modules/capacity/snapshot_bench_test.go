package capacity

import (
	"fmt"
	"testing"
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
