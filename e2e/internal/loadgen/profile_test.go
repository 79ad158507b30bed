package loadgen

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseProfile(t *testing.T) {
	cases := map[string]struct {
		text string
		want Profile
	}{
		"one hold": {
			text: "hold:10:60s",
			want: Profile{{From: 10, To: 10, Duration: time.Minute}},
		},
		"ramp, hold, idle": {
			text: "ramp:0-12:60s,hold:12:120s,hold:0:30s",
			want: Profile{
				{From: 0, To: 12, Duration: time.Minute},
				{From: 12, To: 12, Duration: 2 * time.Minute},
				{From: 0, To: 0, Duration: 30 * time.Second},
			},
		},
		"fractions, ramp down, compound duration, spaces": {
			text: " ramp:2.5-0.5:1m30s , hold:0.25:500ms",
			want: Profile{
				{From: 2.5, To: 0.5, Duration: 90 * time.Second},
				{From: 0.25, To: 0.25, Duration: 500 * time.Millisecond},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseProfile(tc.text)
			if err != nil {
				t.Fatalf("ParseProfile(%q): %v", tc.text, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseProfile(%q) (-want +got):\n%s", tc.text, diff)
			}
			// String is profile syntax: it parses back to the same profile.
			again, err := ParseProfile(got.String())
			if err != nil {
				t.Fatalf("ParseProfile(%q), of String: %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip through %q (-want +got):\n%s", got.String(), diff)
			}
		})
	}
}

// TestParseProfileErrors pins the messages: they are the user interface of
// the -profile flag.
func TestParseProfileErrors(t *testing.T) {
	cases := map[string]struct {
		text string
		want string
	}{
		"empty":             {text: " ", want: "invalid profile: empty; want segments like hold:10:60s or ramp:0-10:60s, separated by commas"},
		"unknown kind":      {text: "hold:1:1s,step:1:1s", want: `invalid profile: segment 2 "step:1:1s": kind "step": want hold or ramp`},
		"missing part":      {text: "hold:10", want: `invalid profile: segment 1 "hold:10": want hold:RATE:DURATION or ramp:FROM-TO:DURATION`},
		"extra part":        {text: "hold:10:1s:x", want: `invalid profile: segment 1 "hold:10:1s:x": want hold:RATE:DURATION or ramp:FROM-TO:DURATION`},
		"empty segment":     {text: "hold:1:1s,,hold:2:1s", want: `invalid profile: segment 2 "": want hold:RATE:DURATION or ramp:FROM-TO:DURATION`},
		"rate not a number": {text: "ramp:0-x:60s", want: `invalid profile: segment 1 "ramp:0-x:60s": rate "x": not a number of requests per second`},
		"negative rate":     {text: "hold:-1:60s", want: `invalid profile: segment 1 "hold:-1:60s": rate "-1": must be a finite number >= 0`},
		"infinite rate":     {text: "hold:Inf:60s", want: `invalid profile: segment 1 "hold:Inf:60s": rate "Inf": must be a finite number >= 0`},
		"ramp of one rate":  {text: "ramp:5:60s", want: `invalid profile: segment 1 "ramp:5:60s": rates "5": want FROM-TO, like 0-10`},
		"no unit":           {text: "hold:1:60", want: `invalid profile: segment 1 "hold:1:60": duration "60": not a duration like 30s or 2m`},
		"zero duration":     {text: "hold:1:0s", want: `invalid profile: segment 1 "hold:1:0s": duration "0s": must be positive`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseProfile(tc.text)
			if err == nil {
				t.Fatalf("ParseProfile(%q): no error, want %q", tc.text, tc.want)
			}
			if !errors.Is(err, ErrProfile) {
				t.Errorf("ParseProfile(%q): error %v is not ErrProfile", tc.text, err)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("ParseProfile(%q) error (-want +got):\n%s", tc.text, diff)
			}
		})
	}
}

func TestSegmentOffsetOf(t *testing.T) {
	// The offset by which k requests are expected, for every shape.
	cases := map[string]struct {
		seg  Segment
		k    float64
		want time.Duration
	}{
		"hold":            {seg: Segment{From: 10, To: 10, Duration: time.Second}, k: 5, want: 500 * time.Millisecond},
		"ramp up from 0":  {seg: Segment{From: 0, To: 10, Duration: 2 * time.Second}, k: 2.5, want: time.Second}, // 2.5·t²
		"ramp up":         {seg: Segment{From: 2, To: 6, Duration: 2 * time.Second}, k: 8, want: 2 * time.Second},
		"ramp down to 0":  {seg: Segment{From: 10, To: 0, Duration: 2 * time.Second}, k: 7.5, want: time.Second}, // 10t - 2.5t²
		"whole ramp down": {seg: Segment{From: 10, To: 0, Duration: 2 * time.Second}, k: 10, want: 2 * time.Second},
		"nothing yet":     {seg: Segment{From: 0, To: 4, Duration: time.Second}, k: 0, want: 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.seg.offsetOf(tc.k); got != tc.want {
				t.Errorf("%v.offsetOf(%g) = %v, want %v", tc.seg, tc.k, got, tc.want)
			}
		})
	}
}
