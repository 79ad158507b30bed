package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wva-project/wva/e2e/internal/poll"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeServer answers POSTs; every failEvery-th request it receives gets a
// 500. While hold is not nil, requests wait for it to be closed (or for
// their client to give up).
type fakeServer struct {
	failEvery int
	hold      chan struct{}

	mu     sync.Mutex
	n      int
	bodies map[string]int
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.n++
	n := f.n
	if f.bodies == nil {
		f.bodies = map[string]int{}
	}
	f.bodies[r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(body)]++
	f.mu.Unlock()
	if f.hold != nil {
		select {
		case <-f.hold:
		case <-r.Context().Done():
			return
		}
	}
	if f.failEvery > 0 && n%f.failEvery == 0 {
		http.Error(w, "overloaded", http.StatusInternalServerError)
		return
	}
	_, _ = io.WriteString(w, `{"choices": []}`)
}

// waitForTimers waits until n timers are armed on clk. The runner has a
// ticker (always armed on a fake clock) and a timer, re-armed after each
// wake-up once the due requests are sent: two waiters mean it is idle.
func waitForTimers(t *testing.T, clk *clocktesting.FakeClock, n int) {
	t.Helper()
	_, err := poll.Until(t.Context(), clock.RealClock{}, 5*time.Second, time.Millisecond,
		func(context.Context) (bool, string, error) {
			got := clk.Waiters()
			return got == n, fmt.Sprintf("%d timers armed, want %d", got, n), nil
		})
	if err != nil {
		t.Fatal(err)
	}
}

type harness struct {
	clk     *clocktesting.FakeClock
	runner  *Runner
	summary chan Summary
	reports chan Progress
	cancel  context.CancelFunc
}

// start runs profile (repeated repeat times) against srv on a fake clock.
func start(t *testing.T, srv http.Handler, profile string, repeat, maxOutstanding int) *harness {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	clk := clocktesting.NewFakeClock(t0)
	cfg := Config{URL: ts.URL + "/v1/completions", Body: []byte(`{"prompt":"hi"}`), MaxOutstanding: maxOutstanding,
		Timeout: 10 * time.Second, ProgressInterval: 100 * time.Millisecond}
	r, err := New(cfg, Schedule{Profile: mustProfile(t, profile), Repeat: repeat}, ts.Client(), clk)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	h := &harness{clk: clk, runner: r, summary: make(chan Summary, 1), reports: make(chan Progress, 1000), cancel: cancel}
	go func() { h.summary <- r.Run(ctx, func(p Progress) { h.reports <- p }) }()
	return h
}

// step moves the clock once the runner is idle, and waits until it is idle
// again, with the requests due by then sent.
func (h *harness) step(t *testing.T, d time.Duration) {
	t.Helper()
	waitForTimers(t, h.clk, 2)
	h.clk.Step(d)
	waitForTimers(t, h.clk, 2)
}

// ignoreVarying drops what depends on real time (latencies of requests to a
// real server) and the error text.
var ignoreVarying = cmpopts.IgnoreFields(Summary{}, "LatencySeconds", "LastError")

func TestRunAgainstServer(t *testing.T) {
	srv := &fakeServer{failEvery: 4}
	h := start(t, srv, "hold:10:1s", 1, 100)
	h.step(t, 500*time.Millisecond)
	p := h.runner.Progress()
	if diff := cmp.Diff(Counts{Scheduled: 5, Sent: 5}, Counts{Scheduled: p.Scheduled, Sent: p.Sent}); diff != "" {
		t.Errorf("half-way (-want +got):\n%s", diff)
	}
	if p.OfferedRPS != 10 || p.ElapsedSeconds != 0.5 {
		t.Errorf("half-way: offered %g rps at %gs, want 10 at 0.5s", p.OfferedRPS, p.ElapsedSeconds)
	}
	waitForTimers(t, h.clk, 2)
	h.clk.Step(500 * time.Millisecond)
	got := <-h.summary
	want := Summary{
		Kind: "summary", Profile: "hold:10:1s", Repeat: 1, DurationSeconds: 1, WallSeconds: 1,
		OfferedRPS: 10, AchievedRPS: 8,
		Counts:           Counts{Scheduled: 10, Sent: 10, Succeeded: 8, Failed: 2},
		ErrorRatePercent: 20,
	}
	if diff := cmp.Diff(want, got, ignoreVarying); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(got.LastError, "/v1/completions: 500 Internal Server Error") {
		t.Errorf("last error %q, want the 500", got.LastError)
	}
	wantBodies := map[string]int{`POST /v1/completions application/json {"prompt":"hi"}`: 10}
	if diff := cmp.Diff(wantBodies, srv.bodies); diff != "" {
		t.Errorf("requests received (-want +got):\n%s", diff)
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("summary does not marshal: %v", err)
	}
}

// TestRunSkipsAtMaxOutstanding stalls the server: once MaxOutstanding
// requests are in flight, the arrivals due are skipped, not queued; the
// run ends when the stalled requests are answered, a second after the
// schedule, which halves the achieved rate.
func TestRunSkipsAtMaxOutstanding(t *testing.T) {
	srv := &fakeServer{hold: make(chan struct{})}
	h := start(t, srv, "hold:10:1s", 1, 2)
	h.step(t, 999*time.Millisecond)
	p := h.runner.Progress()
	if diff := cmp.Diff(Counts{Scheduled: 10, Sent: 2, Skipped: 8}, p.Counts); diff != "" {
		t.Errorf("stalled (-want +got):\n%s", diff)
	}
	if p.InFlight != 2 {
		t.Errorf("in flight: %d, want 2", p.InFlight)
	}
	h.clk.Step(time.Millisecond) // the end of the schedule
	h.clk.Step(time.Second)
	close(srv.hold)
	got := <-h.summary
	want := Summary{
		Kind: "summary", Profile: "hold:10:1s", Repeat: 1, DurationSeconds: 1, WallSeconds: 2,
		OfferedRPS: 10, AchievedRPS: 1,
		Counts:           Counts{Scheduled: 10, Sent: 2, Skipped: 8, Succeeded: 2},
		ErrorRatePercent: 80,
	}
	if diff := cmp.Diff(want, got, ignoreVarying); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if got.LastError != "skipped: 2 requests outstanding" {
		t.Errorf("last error %q, want the skip", got.LastError)
	}
}

// TestRunStop stops a forever run with requests in flight: they are
// cancelled, not counted as errors, and the summary says it was stopped.
func TestRunStop(t *testing.T) {
	srv := &fakeServer{hold: make(chan struct{})}
	defer close(srv.hold)
	h := start(t, srv, "hold:4:1s", 0, 100)
	h.step(t, 2500*time.Millisecond) // 4 per second: 10 by 2.5s
	h.cancel()
	got := <-h.summary
	want := Summary{
		Kind: "summary", Profile: "hold:4:1s", Repeat: 0, DurationSeconds: 2.5, WallSeconds: 2.5,
		OfferedRPS:  4,
		Counts:      Counts{Scheduled: 10, Sent: 10, Canceled: 10},
		Interrupted: true,
	}
	if diff := cmp.Diff(want, got, ignoreVarying); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

// TestRunProgress checks the periodic reports: one per ProgressInterval,
// with the rate of the schedule at that time.
func TestRunProgress(t *testing.T) {
	h := start(t, &fakeServer{}, "ramp:0-10:1s", 1, 100)
	var got []float64
	for range 3 {
		waitForTimers(t, h.clk, 2)
		h.clk.Step(100 * time.Millisecond)
		p := <-h.reports
		if p.Kind != "progress" {
			t.Errorf("report kind %q, want progress", p.Kind)
		}
		got = append(got, p.OfferedRPS)
	}
	if diff := cmp.Diff([]float64{1, 2, 3}, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("offered rps of the reports (-want +got):\n%s", diff)
	}
	waitForTimers(t, h.clk, 2)
	h.clk.Step(time.Second)
	if s := <-h.summary; s.Scheduled != 5 || s.Succeeded != 5 {
		t.Errorf("summary: %+v, want 5 requests scheduled and succeeded", s.Counts)
	}
}

func TestNewRejects(t *testing.T) {
	p := Profile{{From: 1, To: 1, Duration: time.Second}}
	cases := map[string]struct {
		cfg      Config
		schedule Schedule
		want     string
	}{
		"config": {
			cfg:      Config{MaxOutstanding: 0},
			schedule: Schedule{Profile: p, Repeat: 1},
			want:     "load generator config: URL: must not be empty\nMaxOutstanding=0: must be at least 1\nTimeout=0s: must be positive\nProgressInterval=0s: must be positive",
		},
		"negative repeat": {
			cfg:      Config{URL: "http://x", MaxOutstanding: 1, Timeout: time.Second, ProgressInterval: time.Second},
			schedule: Schedule{Profile: p, Repeat: -1},
			want:     "load generator schedule: 1 segments, repeat -1: want segments and repeat >= 0",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.cfg, tc.schedule, http.DefaultClient, clocktesting.NewFakeClock(t0))
			if err == nil || err.Error() != tc.want {
				t.Errorf("New: error %v, want %q", err, tc.want)
			}
		})
	}
}
