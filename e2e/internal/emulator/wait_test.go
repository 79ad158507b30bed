package emulator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wva-project/wva/e2e/internal/poll"
)

// waitForTimers waits until n timers are armed on clk, so that a Step after
// it fires them: a timer armed after the Step would be set from the new time.
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

type waited struct {
	i   int
	res timeline
	err error
}

// TestWaitReturnsWhenFinished checks that Wait's own timers complete the
// requests as the clock passes their finish times, with nothing else
// looking at the engine.
func TestWaitReturnsWhenFinished(t *testing.T) {
	e, clk := newEngine(t, Config{KVCacheTokens: 10000, MaxNumSeqs: 1, PrefillTokensPerSecond: 100, DecodeTokensPerSecond: 10})
	tickets := submit(t, e, short, longer, wordy)
	done := make(chan waited, len(tickets))
	for i, tk := range tickets {
		go func() {
			r, err := tk.Wait(t.Context())
			done <- waited{i: i, res: timeline{r.Arrived.Sub(t0), r.Admitted.Sub(t0), r.FirstToken.Sub(t0), r.Finished.Sub(t0), false}, err: err}
		}()
	}
	want := []timeline{
		{Arrived: 0, Admitted: 0, FirstToken: 1 * s, Finished: 2 * s},
		{Arrived: 0, Admitted: 2 * s, FirstToken: 4 * s, Finished: 5 * s},
		{Arrived: 0, Admitted: 5 * s, FirstToken: 6 * s, Finished: 8 * s},
	}
	// Each waiter has one timer: the running request's to its finish, the
	// waiting ones' to the finish that may admit them.
	for i, step := range []time.Duration{2 * s, 3 * s, 3 * s} {
		waitForTimers(t, clk, len(tickets)-i)
		clk.Step(step)
		got := <-done
		if got.err != nil || got.i != i {
			t.Fatalf("after step to %v: request %d returned (err %v), want request %d", clk.Now().Sub(t0), got.i, got.err, i)
		}
		if diff := cmp.Diff(want[i], got.res); diff != "" {
			t.Errorf("request %d (-want +got):\n%s", i, diff)
		}
	}
}

// TestWaitCancelledContext checks that a request whose context ends leaves
// the engine: a running one frees its capacity for the next in line, a
// waiting one leaves the queue.
func TestWaitCancelledContext(t *testing.T) {
	cases := map[string]struct {
		cancel int // index of the request whose context ends
		want   gauges
	}{
		"running": {cancel: 0, want: gauges{Running: 1, Waiting: 1, KVUsed: 210, KVUsage: 0.021}},
		"waiting": {cancel: 1, want: gauges{Running: 1, Waiting: 1, KVUsed: 110, KVUsage: 0.011}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, clk := newEngine(t, Config{KVCacheTokens: 10000, MaxNumSeqs: 1, PrefillTokensPerSecond: 100, DecodeTokensPerSecond: 10})
			tickets := submit(t, e, short, longer, wordy)
			clk.Step(500 * time.Millisecond)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := tickets[tc.cancel].Wait(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("Wait: error %v, want %v", err, context.Canceled)
			}
			if diff := cmp.Diff(tc.want, gaugesOf(e.Snapshot())); diff != "" {
				t.Errorf("gauges (-want +got):\n%s", diff)
			}
			if _, err := tickets[tc.cancel].Wait(t.Context()); !errors.Is(err, ErrCanceled) {
				t.Errorf("Wait again: error %v, want %v", err, ErrCanceled)
			}
			if tickets[tc.cancel].Cancel() {
				t.Error("Cancel of a cancelled request: true, want false")
			}
		})
	}
}

func TestCancelFinishedIsNoop(t *testing.T) {
	e, clk := newEngine(t, Config{KVCacheTokens: 10000, MaxNumSeqs: 1, PrefillTokensPerSecond: 100, DecodeTokensPerSecond: 10})
	tk := submit(t, e, short)[0]
	clk.Step(2 * s)
	if tk.Cancel() {
		t.Error("Cancel of a finished request: true, want false")
	}
	if _, ok := tk.Result(); !ok {
		t.Error("Result of a finished request: not finished")
	}
	select {
	case <-tk.Done():
	default:
		t.Error("Done of a finished request: not closed")
	}
}

// TestDrain offers a burst above capacity, then stops, and checks that the
// engine empties and that the counters and histograms account for every
// request, queue time included.
func TestDrain(t *testing.T) {
	e, clk := newEngine(t, Config{KVCacheTokens: 1000, MaxNumSeqs: 4, PrefillTokensPerSecond: 100, DecodeTokensPerSecond: 10})
	var tickets []*Ticket
	for range 20 {
		tickets = append(tickets, submit(t, e, short)...)
		clk.Step(100 * time.Millisecond)
	}
	if got := e.Snapshot(); got.Waiting == 0 {
		t.Errorf("after the burst: %+v, want a queue", gaugesOf(got))
	}
	clk.Step(time.Minute)
	var latency, firstToken, queue float64
	for i, tk := range tickets {
		r, ok := tk.Result()
		if !ok {
			t.Fatalf("request %d not finished", i)
		}
		latency += r.Latency().Seconds()
		firstToken += r.TimeToFirstToken().Seconds()
		queue += r.QueueTime().Seconds()
	}
	got := e.Snapshot()
	want := Snapshot{
		Time:             t0.Add(2*s + time.Minute),
		KVCacheTokens:    1000,
		Succeeded:        20,
		PromptTokens:     20 * 100,
		GenerationTokens: 20 * 10,
		Latency:          Histogram{Count: 20, Sum: latency},
		TimeToFirstToken: Histogram{Count: 20, Sum: firstToken},
		QueueTime:        Histogram{Count: 20, Sum: queue},
	}
	ignoreBuckets := cmpopts.IgnoreFields(Histogram{}, "Bounds", "Counts")
	if diff := cmp.Diff(want, got, ignoreBuckets, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("drained snapshot (-want +got):\n%s", diff)
	}
	if queue == 0 {
		t.Error("no request queued: the burst did not exceed capacity")
	}
}

// TestEngineConcurrentSafe runs many submitters and waiters, some of them
// giving up, on a real clock; -race checks the locking, and the end state
// checks the accounting.
func TestEngineConcurrentSafe(t *testing.T) {
	e, err := New(Config{KVCacheTokens: 2000, MaxNumSeqs: 8, PrefillTokensPerSecond: 1e7, DecodeTokensPerSecond: 1e6}, clock.RealClock{})
	if err != nil {
		t.Fatal(err)
	}
	const workers, perWorker = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				tk, err := e.Submit(Request{PromptTokens: 100 + w, OutputTokens: 50 + i})
				if err != nil {
					t.Error(err)
					return
				}
				ctx, cancel := context.WithCancel(t.Context())
				if i%5 == 0 {
					cancel() // gives up at once: waiting or running
				}
				_, _ = tk.Wait(ctx)
				cancel()
				_ = e.Snapshot()
			}
		})
	}
	wg.Wait()
	got := e.Snapshot()
	if diff := cmp.Diff(gauges{}, gaugesOf(got)); diff != "" {
		t.Errorf("after the load (-want +got):\n%s", diff)
	}
	if n := got.Succeeded + got.Aborted; n != workers*perWorker {
		t.Errorf("succeeded %d + aborted %d = %d, want %d", got.Succeeded, got.Aborted, n, workers*perWorker)
	}
}
