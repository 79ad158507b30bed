package timeline

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSteps(t *testing.T) {
	want := []Step{
		{At: at(1.5), Variant: "a", From: 1, To: 2, Total: 2},
		{At: at(2.5), Variant: "b", From: 0, To: 1, Total: 3},
		{At: at(4.5), Variant: "b", From: 1, To: 0, Total: 2},
		{At: at(5.5), Variant: "a", From: 2, To: 1, Total: 1},
	}
	if diff := cmp.Diff(want, cycle().Steps()); diff != "" {
		t.Errorf("Steps: -want +got:\n%s", diff)
	}
}

func TestPhases(t *testing.T) {
	cases := map[string]struct {
		replicas  []int32 // of one variant, the first its starting value
		want      []Phase
		wantFlaps int
	}{
		"up and down": {
			replicas: []int32{1, 2, 3, 2, 1},
			want: []Phase{
				{Up: true, Start: at(1), End: at(2), From: 1, To: 3, Steps: 2},
				{Up: false, Start: at(3), End: at(4), From: 3, To: 1, Steps: 2},
			},
		},
		"flapping": {
			replicas: []int32{1, 2, 1, 2, 1},
			want: []Phase{
				{Up: true, Start: at(1), End: at(1), From: 1, To: 2, Steps: 1},
				{Up: false, Start: at(2), End: at(2), From: 2, To: 1, Steps: 1},
				{Up: true, Start: at(3), End: at(3), From: 1, To: 2, Steps: 1},
				{Up: false, Start: at(4), End: at(4), From: 2, To: 1, Steps: 1},
			},
			wantFlaps: 2,
		},
		"no change": {replicas: []int32{1}},
		"up only":   {replicas: []int32{1, 3}, want: []Phase{{Up: true, Start: at(1), End: at(1), From: 1, To: 3, Steps: 1}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := Series{Start: t0, Variants: []string{"a"}}
			for i, r := range tc.replicas {
				s.Events = append(s.Events, Event{At: at(float64(i)), Variant: "a", Replicas: r})
			}
			got := s.Phases()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Phases: -want +got:\n%s", diff)
			}
			if f := Flaps(got); f != tc.wantFlaps {
				t.Errorf("Flaps = %d, want %d", f, tc.wantFlaps)
			}
		})
	}
}

func TestPhasesAcrossVariants(t *testing.T) {
	got := cycle().Phases()
	want := []Phase{
		{Up: true, Start: at(1.5), End: at(2.5), From: 1, To: 3, Steps: 2},
		{Up: false, Start: at(4.5), End: at(5.5), From: 3, To: 1, Steps: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Phases: -want +got:\n%s", diff)
	}
}

func TestPeakAndRange(t *testing.T) {
	s := cycle()
	if got := s.Peak(); got != 3 {
		t.Errorf("Peak = %d, want 3", got)
	}
	for variant, want := range map[string][2]int32{"a": {1, 2}, "b": {0, 1}} {
		lo, hi, ok := s.Range(variant)
		if !ok || lo != want[0] || hi != want[1] {
			t.Errorf("Range(%s) = %d, %d, %v; want %d, %d, true", variant, lo, hi, ok, want[0], want[1])
		}
	}
	if _, _, ok := s.Range("c"); ok {
		t.Error("Range of an unknown variant: ok")
	}
	if got := s.Initial(); !cmp.Equal(got, map[string]int32{"a": 1, "b": 0}) {
		t.Errorf("Initial = %v", got)
	}
}

func TestBetweenAndSetOffered(t *testing.T) {
	s := cycle()
	got := s.Between(at(1), at(3))
	if len(got) != 3 || !got[0].At.Equal(at(1)) || !got[2].At.Equal(at(3)) {
		t.Errorf("Between(1 s, 3 s): %d samples from %v, want the 3 at 1, 2 and 3 s", len(got), got)
	}
	if n := len(s.Between(at(10), at(20))); n != 0 {
		t.Errorf("Between after the end: %d samples", n)
	}
	s.SetOffered(func(t time.Time) float64 { return s.Elapsed(t) * 2 })
	if got := s.Samples[3].OfferedRPS; got != 6 {
		t.Errorf("OfferedRPS at 3 s = %g, want 6", got)
	}
}
