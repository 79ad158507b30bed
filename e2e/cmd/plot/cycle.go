package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/wva-project/wva/e2e/internal/timeline"
)

// cycle is one load cycle read off a timeline: the load rising from idle,
// the model scaling up, the load falling back to idle and the variants
// returning to where they started.
type cycle struct {
	// Rise is the first sample with load after an idle one.
	Rise time.Time
	// FirstScaleUp is the first sample at or after Rise at which the
	// variants' desired replicas add up to more than at the idle sample
	// before Rise (zero: none before the next cycle or the end).
	FirstScaleUp time.Time
	// Start are the variants' current replicas at the idle sample before
	// Rise (NaN: unknown); Peak the most each had before the next cycle or
	// the end.
	Start, Peak []float64
	// Fall is the first idle sample after Rise (zero: still loaded at the
	// end).
	Fall time.Time
	// BackToStart is the first sample at or after Fall at which every
	// variant is back at its Start replicas (zero: not before the next
	// cycle or the end).
	BackToStart time.Time
}

// cycles finds the load cycles of s, the load being LoadgenRPS. A cycle
// starts at a sample with load above 0 that follows one with load 0
// (samples without a value never start or end one).
func cycles(s timeline.Series) []cycle {
	var rises []int
	for i := 1; i < len(s.Samples); i++ {
		if s.Samples[i-1].LoadgenRPS == 0 && s.Samples[i].LoadgenRPS > 0 {
			rises = append(rises, i)
		}
	}
	var out []cycle
	for n, r := range rises {
		end := len(s.Samples)
		if n+1 < len(rises) {
			end = rises[n+1]
		}
		idle := s.Samples[r-1]
		c := cycle{Rise: s.Samples[r].At, Start: currents(idle), Peak: currents(idle)}
		baseline := totalDesired(idle)
		for _, smp := range s.Samples[r:end] {
			if c.FirstScaleUp.IsZero() && totalDesired(smp) > baseline {
				c.FirstScaleUp = smp.At
			}
			for i, v := range smp.Variants {
				if math.IsNaN(c.Peak[i]) || v.Current > c.Peak[i] {
					c.Peak[i] = v.Current
				}
			}
			if c.Fall.IsZero() && smp.LoadgenRPS == 0 {
				c.Fall = smp.At
			}
			if !c.Fall.IsZero() && c.BackToStart.IsZero() && sameReplicas(c.Start, currents(smp)) {
				c.BackToStart = smp.At
			}
		}
		out = append(out, c)
	}
	return out
}

func currents(smp timeline.Sample) []float64 {
	out := make([]float64, len(smp.Variants))
	for i, v := range smp.Variants {
		out[i] = v.Current
	}
	return out
}

// totalDesired adds up the variants' desired replicas; NaN if one is
// unknown (so that no comparison holds).
func totalDesired(smp timeline.Sample) float64 {
	var sum float64
	for _, v := range smp.Variants {
		sum += v.Desired
	}
	return sum
}

// sameReplicas reports whether every variant is known in both and equal.
func sameReplicas(want, got []float64) bool {
	if len(want) == 0 || len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i] != got[i] { // false for NaN
			return false
		}
	}
	return true
}

// describe is the cycle as text: UTC clock times, and seconds since the
// start of the series (the PNG's time axis).
func (c cycle) describe(s timeline.Series) string {
	var b strings.Builder
	when := func(t time.Time) string {
		return fmt.Sprintf("%s (%.0f s)", t.UTC().Format("15:04:05"), s.Elapsed(t))
	}
	fmt.Fprintf(&b, "load rose from idle at %s\n", when(c.Rise))
	if c.FirstScaleUp.IsZero() {
		b.WriteString("  no scale-up\n")
	} else {
		fmt.Fprintf(&b, "  first scale-up (desired replicas up) %s later, at %s\n", c.FirstScaleUp.Sub(c.Rise), when(c.FirstScaleUp))
	}
	fmt.Fprintf(&b, "  replicas at the start %s, at the peak %s\n", replicas(s.Variants, c.Start), replicas(s.Variants, c.Peak))
	switch {
	case c.Fall.IsZero():
		b.WriteString("  load still on at the end of the window\n")
	case c.BackToStart.IsZero():
		fmt.Fprintf(&b, "  load fell to idle at %s; not back at the starting replicas before the next cycle or the end of the window\n", when(c.Fall))
	default:
		fmt.Fprintf(&b, "  load fell to idle at %s; back at the starting replicas %s later, at %s\n",
			when(c.Fall), c.BackToStart.Sub(c.Fall), when(c.BackToStart))
	}
	return b.String()
}

// replicas prints variant counts as "granite-a100 1, granite-l4 3 (4 in all)".
func replicas(variants []string, counts []float64) string {
	if len(variants) == 0 {
		return "unknown"
	}
	parts := make([]string, len(variants))
	var sum float64
	for i, v := range variants {
		parts[i] = fmt.Sprintf("%s %g", v, counts[i])
		sum += counts[i]
	}
	return fmt.Sprintf("%s (%g in all)", strings.Join(parts, ", "), sum)
}
