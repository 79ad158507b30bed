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

// BenchmarkParseSchedules parses one override with MaxWindows windows every
// day of the week, all in one zone (the overlap check runs on the wall
// clock) or each in its own zone (instant by instant over a year).
func BenchmarkParseSchedules(b *testing.B) {
	zonesList := []string{"Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo",
		"Europe/London", "Asia/Kolkata", "Africa/Cairo", "America/Los_Angeles", "Pacific/Auckland", "Asia/Tehran",
		"America/Chicago", "Europe/Moscow", "Asia/Shanghai", "America/Santiago", "UTC"}
	for _, mixed := range []bool{false, true} {
		var text strings.Builder
		text.WriteString("model_id: m\nnamespace: ns\nschedules:\n")
		for i := range MaxWindows {
			zone := zonesList[0]
			if mixed {
				zone = zonesList[i]
			}
			// Window i at hour i every day: windows in one zone never
			// overlap; in mixed zones they may, which costs no more.
			fmt.Fprintf(&text, "- name: w%d\n  days: Mon-Sun\n  start: \"%02d:00\"\n  end: \"%02d:30\"\n  timeZone: %s\n", i, i, i, zone)
		}
		data := map[string]string{"o": text.String()}
		b.Run(fmt.Sprintf("zones=%d", map[bool]int{false: 1, true: MaxWindows}[mixed]), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Parse(data, "1")
			}
		})
	}
}
