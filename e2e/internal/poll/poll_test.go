package poll

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

var errBoom = errors.New("boom")

func TestUntilAndHold(t *testing.T) {
	cases := map[string]struct {
		hold     bool
		timeout  time.Duration
		interval time.Duration
		// oks[i] is the condition's answer on check i+1; the last one repeats.
		oks []bool
		// errOn / cancelOn: check (1-based) that returns errBoom / cancels ctx.
		errOn, cancelOn int
		want            Result
		wantErr         error
	}{
		"until: true at once": {
			timeout: time.Second, interval: 100 * time.Millisecond,
			oks:  []bool{true},
			want: Result{Attempts: 1, Seen: "check 1"},
		},
		"until: true on the third check": {
			timeout: time.Second, interval: 100 * time.Millisecond,
			oks:  []bool{false, false, true},
			want: Result{Elapsed: 200 * time.Millisecond, Attempts: 3, Seen: "check 3"},
		},
		"until: last check at the deadline": {
			timeout: time.Second, interval: 300 * time.Millisecond,
			oks:  []bool{false, false, false, false, true},
			want: Result{Elapsed: time.Second, Attempts: 5, Seen: "check 5"},
		},
		"until: timeout reports the last state seen": {
			timeout: time.Second, interval: 300 * time.Millisecond,
			oks:     []bool{false},
			want:    Result{Elapsed: time.Second, Attempts: 5, Seen: "check 5"},
			wantErr: ErrTimeout,
		},
		"until: a condition error stops the poll": {
			timeout: time.Second, interval: 100 * time.Millisecond,
			oks: []bool{false}, errOn: 2,
			want:    Result{Elapsed: 100 * time.Millisecond, Attempts: 2, Seen: "check 2"},
			wantErr: errBoom,
		},
		"until: a cancelled context stops the poll": {
			timeout: time.Second, interval: 100 * time.Millisecond,
			oks: []bool{false}, cancelOn: 2,
			want:    Result{Elapsed: 100 * time.Millisecond, Attempts: 2, Seen: "check 2"},
			wantErr: context.Canceled,
		},
		"hold: holds for the whole window": {
			hold: true, timeout: time.Second, interval: 250 * time.Millisecond,
			oks:  []bool{true},
			want: Result{Elapsed: time.Second, Attempts: 5, Seen: "check 5"},
		},
		"hold: breaks on the third check": {
			hold: true, timeout: time.Second, interval: 250 * time.Millisecond,
			oks:     []bool{true, true, false},
			want:    Result{Elapsed: 500 * time.Millisecond, Attempts: 3, Seen: "check 3"},
			wantErr: ErrBroken,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(time.Unix(1_700_000_000, 0))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			checks := 0
			cond := func(context.Context) (bool, string, error) {
				checks++
				seen := fmt.Sprintf("check %d", checks)
				if checks == tc.cancelOn {
					cancel()
				}
				if checks == tc.errOn {
					return false, seen, errBoom
				}
				return tc.oks[min(checks, len(tc.oks))-1], seen, nil
			}
			poll := Until
			if tc.hold {
				poll = Hold
			}
			got, err := runOnFakeClock(clk, func() (Result, error) {
				return poll(ctx, clk, tc.timeout, tc.interval, cond)
			})
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("error: got %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result: -want +got:\n%s", diff)
			}
			var pollErr *Error
			if err != nil && (!errors.As(err, &pollErr) || pollErr.Result != got || pollErr.Timeout != tc.timeout) {
				t.Errorf("error %#v does not carry the result %+v and timeout %s", err, got, tc.timeout)
			}
		})
	}
}

func TestErrorMessageNamesWhatWasSeen(t *testing.T) {
	err := &Error{
		Result:  Result{Elapsed: 5 * time.Second, Attempts: 26, Seen: "3/200 updated"},
		Timeout: 5 * time.Second,
		Err:     ErrTimeout,
	}
	want := "condition not met before the deadline: gave up after 5s (timeout 5s, 26 checks); last seen: 3/200 updated"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("message: -want +got:\n%s", diff)
	}
}

func TestRejectsNonPositiveInterval(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	_, err := Until(t.Context(), clk, time.Second, 0, func(context.Context) (bool, string, error) {
		t.Fatal("condition evaluated despite an invalid interval")
		return false, "", nil
	})
	if err == nil {
		t.Fatal("Until accepted a zero interval")
	}
}

// runOnFakeClock runs poll in a goroutine and advances clk in steps of 50ms
// (a divisor of every duration in the cases) while the poll waits on a
// timer, until the poll returns. The clock only moves while a timer is
// pending, so the poll's own readings of it are exact.
func runOnFakeClock(clk *clocktesting.FakeClock, poll func() (Result, error)) (Result, error) {
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := poll()
		done <- outcome{res, err}
	}()
	for {
		select {
		case o := <-done:
			return o.res, o.err
		default:
		}
		if clk.HasWaiters() {
			clk.Step(50 * time.Millisecond)
		}
		runtime.Gosched()
	}
}

func TestAll(t *testing.T) {
	answer := func(ok bool, seen string, err error) Condition {
		return func(context.Context) (bool, string, error) { return ok, seen, err }
	}
	cases := map[string]struct {
		conds    []Condition
		wantOK   bool
		wantSeen string
		wantErr  error
	}{
		"none holds trivially": {wantOK: true},
		"every one holds": {
			conds:  []Condition{answer(true, "a ready", nil), answer(true, "b ready", nil)},
			wantOK: true, wantSeen: "a ready; b ready",
		},
		"one that does not hold is still described with the others": {
			conds:    []Condition{answer(false, "a pending", nil), answer(true, "b ready", nil)},
			wantSeen: "a pending; b ready",
		},
		"an error stops at that condition": {
			conds:    []Condition{answer(true, "a ready", nil), answer(false, "b broken", errBoom), answer(true, "c ready", nil)},
			wantSeen: "a ready; b broken", wantErr: errBoom,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ok, seen, err := All(tc.conds...)(t.Context())
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("error: got %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff([]any{tc.wantOK, tc.wantSeen}, []any{ok, seen}); diff != "" {
				t.Errorf("(ok, seen): -want +got:\n%s", diff)
			}
		})
	}
}
