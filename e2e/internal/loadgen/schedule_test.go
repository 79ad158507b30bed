package loadgen

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func mustProfile(t *testing.T, text string) Profile {
	t.Helper()
	p, err := ParseProfile(text)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScheduleRateAt(t *testing.T) {
	example := "ramp:0-12:60s,hold:12:120s,hold:0:30s" // 210s a play
	cases := map[string]struct {
		profile string
		repeat  int
		at      []time.Duration
		want    []float64
	}{
		"one play": {
			profile: example, repeat: 1,
			at:   []time.Duration{-time.Second, 0, 30 * time.Second, 60 * time.Second, 179 * time.Second, 180 * time.Second, 209 * time.Second, 210 * time.Second, time.Hour},
			want: []float64{0, 0, 6, 12, 12, 0, 0, 0, 0},
		},
		"repeated twice": {
			profile: example, repeat: 2,
			at:   []time.Duration{210 * time.Second, 240 * time.Second, 300 * time.Second, 419 * time.Second, 420 * time.Second},
			want: []float64{0, 6, 12, 0, 0},
		},
		"forever": {
			profile: "hold:5:10s,ramp:10-0:10s", repeat: 0,
			at:   []time.Duration{0, 15 * time.Second, 20 * time.Second, 1000*time.Hour + 15*time.Second},
			want: []float64{5, 5, 5, 5},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := Schedule{Profile: mustProfile(t, tc.profile), Repeat: tc.repeat}
			var got []float64
			for _, at := range tc.at {
				got = append(got, s.RateAt(at))
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("rates at %v (-want +got):\n%s", tc.at, diff)
			}
		})
	}
}

func TestScheduleDuration(t *testing.T) {
	p := mustProfile(t, "hold:1:1m,hold:0:30s")
	cases := map[string]struct {
		repeat     int
		want       time.Duration
		wantFinite bool
	}{
		"once":    {repeat: 1, want: 90 * time.Second, wantFinite: true},
		"3 times": {repeat: 3, want: 270 * time.Second, wantFinite: true},
		"forever": {repeat: 0, want: 0, wantFinite: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, finite := Schedule{Profile: p, Repeat: tc.repeat}.Duration()
			if got != tc.want || finite != tc.wantFinite {
				t.Errorf("Duration() = %v, %t; want %v, %t", got, finite, tc.want, tc.wantFinite)
			}
		})
	}
}

// take returns up to n arrivals of s.
func take(s Schedule, n int) []time.Duration {
	var out []time.Duration
	a := s.Arrivals()
	for range n {
		d, ok := a.Next()
		if !ok {
			break
		}
		out = append(out, d)
	}
	return out
}

func ms(v ...float64) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, m := range v {
		out[i] = time.Duration(math.Round(m * float64(time.Millisecond)))
	}
	return out
}

func TestArrivals(t *testing.T) {
	cases := map[string]struct {
		profile string
		repeat  int
		want    []time.Duration
	}{
		"hold spaces requests evenly, half an interval in": {
			profile: "hold:4:1s", repeat: 1,
			want: ms(125, 375, 625, 875),
		},
		"idle segments send nothing and shift the rest": {
			profile: "hold:2:1s,hold:0:10s,hold:2:1s", repeat: 1,
			want: ms(250, 750, 11250, 11750),
		},
		"ramp from 0: the n-th at sqrt((n-1/2)/2.5) s": {
			profile: "ramp:0-5:1s", repeat: 1, // L(t) = 2.5t², 2.5 expected: 2 requests, rounded
			want: ms(1000*math.Sqrt(0.5/2.5), 1000*math.Sqrt(1.5/2.5)),
		},
		"repeat plays the profile again": {
			profile: "hold:2:1s,hold:0:1s", repeat: 3,
			want: ms(250, 750, 2250, 2750, 4250, 4750),
		},
		"load carries over segment boundaries": {
			profile: "hold:1:1500ms,hold:1:1500ms", repeat: 1, // one request per second throughout
			want: ms(500, 1500, 2500),
		},
		"no load, no requests, even forever": {
			profile: "hold:0:1s", repeat: 0,
			want: nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := take(Schedule{Profile: mustProfile(t, tc.profile), Repeat: tc.repeat}, 100)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("arrivals (-want +got):\n%s", diff)
			}
		})
	}
}

// TestArrivalsFollowTheRate checks the example profile end to end: the
// expected count per segment, increasing times, all inside the schedule.
func TestArrivalsFollowTheRate(t *testing.T) {
	s := Schedule{Profile: mustProfile(t, "ramp:0-12:60s,hold:12:120s,hold:0:30s"), Repeat: 2}
	got := take(s, 1e6)
	if len(got) != 2*(360+1440) {
		t.Fatalf("%d arrivals, want %d", len(got), 2*(360+1440))
	}
	perWindow := map[string]int{}
	for i, d := range got {
		if i > 0 && d <= got[i-1] {
			t.Fatalf("arrival %d at %v, not after %v", i, d, got[i-1])
		}
		switch play := d % (210 * time.Second); {
		case play < 60*time.Second:
			perWindow["ramp"]++
		case play < 180*time.Second:
			perWindow["hold"]++
		default:
			perWindow["idle"]++
		}
	}
	if diff := cmp.Diff(map[string]int{"ramp": 720, "hold": 2880}, perWindow); diff != "" {
		t.Errorf("arrivals per segment (-want +got):\n%s", diff)
	}
	forever := take(Schedule{Profile: s.Profile, Repeat: 0}, 1801)
	if want := 210*time.Second + got[0]; forever[1800] != want {
		t.Errorf("forever: arrival 1801 at %v, want %v (the first of the second play)", forever[1800], want)
	}
}
