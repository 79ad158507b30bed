package capacity

import (
	"fmt"
	"strings"
	"testing"
)

// manyFields is one entry of n lines "<prefix>NNNNN: 1": 40,000 of them make
// an entry of about 750 KB, which a ConfigMap (1 MiB) can hold.
func manyFields(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%05d: 1\n", prefix, i)
	}
	return b.String()
}

// BenchmarkParseManyUnknownFields measures an entry made of unknown fields
// only, which must cost about what the same number of known fields costs:
// the "did you mean" suggestions are computed for the few fields reported.
func BenchmarkParseManyUnknownFields(b *testing.B) {
	text := manyFields("someField", 40000)
	data := map[string]string{"k": text}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if s := Parse(data, "1"); len(s.Errors()) != 1 {
			b.Fatalf("Parse reported %d errors, want 1", len(s.Errors()))
		}
	}
}
