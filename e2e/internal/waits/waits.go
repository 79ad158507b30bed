package waits

import (
	"context"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/poll"
)

// Poll intervals: fast where a deadline of a few seconds is asserted.
const (
	Fast = 100 * time.Millisecond
	// Rollout is for the controller's rollouts and replacements, whose
	// times are measured in seconds to a quarter of a second.
	Rollout = 250 * time.Millisecond
	Slow    = 500 * time.Millisecond
)

// For polls cond every interval until it holds and fails the test when
// timeout passes first, naming what it waited for and what it last saw. It
// returns the time it took.
func For(ctx context.Context, t *testing.T, what string, timeout, interval time.Duration, cond poll.Condition) time.Duration {
	t.Helper()
	res, err := poll.Until(ctx, clock.RealClock{}, timeout, interval, cond)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	t.Logf("%s: after %s (%d checks); seen: %s", what, res.Elapsed.Round(time.Millisecond), res.Attempts, res.Seen)
	return res.Elapsed
}

// Since is For with a deadline counted from start (an action taken
// earlier, e.g. the ConfigMap update), so that the steps of a feature share
// one budget. It returns the time from start until cond held.
func Since(ctx context.Context, t *testing.T, what string, start time.Time, deadline, interval time.Duration, cond poll.Condition) time.Duration {
	t.Helper()
	remaining := deadline - time.Since(start)
	if remaining < 0 {
		remaining = 0 // still check once
	}
	res, err := poll.Until(ctx, clock.RealClock{}, remaining, interval, cond)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("waiting for %s within %s: %v", what, deadline, err)
	}
	t.Logf("%s: after %s (deadline %s, %d checks); seen: %s", what, took.Round(time.Millisecond), deadline, res.Attempts, res.Seen)
	return took
}

// Hold checks cond every interval for window and fails the test the
// first time it does not hold.
func Hold(ctx context.Context, t *testing.T, what string, window, interval time.Duration, cond poll.Condition) {
	t.Helper()
	res, err := poll.Hold(ctx, clock.RealClock{}, window, interval, cond)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	t.Logf("%s: held for %s (%d checks); last seen: %s", what, window, res.Attempts, res.Seen)
}
