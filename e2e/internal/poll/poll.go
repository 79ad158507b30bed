package poll

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/utils/clock"
)

// Condition is polled by Until and Hold. It returns whether the condition
// holds and a short description of what it saw (reported on timeout). A
// non-nil error stops the polling: a condition that wants to tolerate a
// transient error should fold it into seen and return a nil error.
type Condition func(ctx context.Context) (ok bool, seen string, err error)

var (
	// ErrTimeout is matched (errors.Is) by the error Until returns when the
	// deadline passes.
	ErrTimeout = errors.New("condition not met before the deadline")
	// ErrBroken is matched by the error Hold returns when the condition
	// stops holding within the window.
	ErrBroken = errors.New("condition stopped holding")
)

// Result describes a finished poll.
type Result struct {
	// Elapsed is the time from the start of the poll to the last check.
	Elapsed time.Duration
	// Attempts is the number of times the condition was evaluated.
	Attempts int
	// Seen is what the condition reported on its last evaluation.
	Seen string
}

// Error is returned when a poll fails: on timeout (Err is ErrTimeout), when a
// held condition breaks (Err is ErrBroken), on a cancelled context (Err is the context's error) or when the condition
// returned an error (Err is that error).
type Error struct {
	Result
	Timeout time.Duration
	Err     error
}

func (e *Error) Error() string {
	switch {
	case errors.Is(e.Err, ErrTimeout):
		return fmt.Sprintf("%v: gave up after %s (timeout %s, %d checks); last seen: %s",
			e.Err, e.Elapsed.Round(time.Millisecond), e.Timeout, e.Attempts, e.Seen)
	case errors.Is(e.Err, ErrBroken):
		return fmt.Sprintf("%v after %s (window %s, check %d); seen: %s",
			e.Err, e.Elapsed.Round(time.Millisecond), e.Timeout, e.Attempts, e.Seen)
	}
	return fmt.Sprintf("polling stopped after %s (%d checks): %v; last seen: %s",
		e.Elapsed.Round(time.Millisecond), e.Attempts, e.Err, e.Seen)
}

func (e *Error) Unwrap() error { return e.Err }

// Until evaluates cond immediately and then every interval until it returns
// true, returns an error, ctx ends or timeout has passed since the start. The
// condition is evaluated one last time at the deadline, so a condition that
// becomes true just in time is not reported as a timeout.
func Until(ctx context.Context, clk clock.Clock, timeout, interval time.Duration, cond Condition) (Result, error) {
	return run(ctx, clk, timeout, interval, cond, true)
}

// Hold evaluates cond immediately and then every interval for the whole
// window, and fails (with ErrBroken) the first time it returns false. It is
// for asserting that something does not happen within a bounded window.
func Hold(ctx context.Context, clk clock.Clock, window, interval time.Duration, cond Condition) (Result, error) {
	return run(ctx, clk, window, interval, cond, false)
}

// run is the loop of Until (untilTrue) and Hold (!untilTrue).
func run(ctx context.Context, clk clock.Clock, timeout, interval time.Duration, cond Condition, untilTrue bool) (Result, error) {
	if interval <= 0 {
		return Result{}, fmt.Errorf("poll interval must be positive, got %s", interval)
	}
	start := clk.Now()
	deadline := start.Add(timeout)
	var res Result
	for {
		ok, seen, err := cond(ctx)
		res.Attempts++
		res.Seen = seen
		res.Elapsed = clk.Since(start)
		switch {
		case err != nil:
			return res, &Error{Result: res, Timeout: timeout, Err: err}
		case untilTrue && ok:
			return res, nil
		case !untilTrue && !ok:
			return res, &Error{Result: res, Timeout: timeout, Err: ErrBroken}
		}
		remaining := deadline.Sub(clk.Now())
		if remaining <= 0 {
			if untilTrue {
				return res, &Error{Result: res, Timeout: timeout, Err: ErrTimeout}
			}
			return res, nil
		}
		timer := clk.NewTimer(min(interval, remaining))
		select {
		case <-ctx.Done():
			timer.Stop()
			return res, &Error{Result: res, Timeout: timeout, Err: ctx.Err()}
		case <-timer.C():
		}
	}
}

// All is a Condition that holds when every one of conds holds. It
// evaluates all of them on each check (so that seen describes each, joined
// with "; "), and stops at the first error, which it returns with what the
// conditions before it saw.
func All(conds ...Condition) Condition {
	return func(ctx context.Context) (bool, string, error) {
		ok := true
		seen := make([]string, 0, len(conds))
		for _, cond := range conds {
			held, s, err := cond(ctx)
			seen = append(seen, s)
			if err != nil {
				return false, strings.Join(seen, "; "), err
			}
			ok = ok && held
		}
		return ok, strings.Join(seen, "; "), nil
	}
}
