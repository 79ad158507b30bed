//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/poll"
	"github.com/wva-project/wva/e2e/zaplog"
)

// Poll intervals: fast where a deadline of a few seconds is asserted.
const (
	fastPoll = 100 * time.Millisecond
	slowPoll = 500 * time.Millisecond
)

// waitFor polls cond every interval until it holds and fails the test when
// timeout passes first, naming what it waited for and what it last saw. It
// returns the time it took.
func waitFor(ctx context.Context, t *testing.T, what string, timeout, interval time.Duration, cond poll.Condition) time.Duration {
	t.Helper()
	res, err := poll.Until(ctx, clock.RealClock{}, timeout, interval, cond)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	t.Logf("%s: after %s (%d checks); seen: %s", what, res.Elapsed.Round(time.Millisecond), res.Attempts, res.Seen)
	return res.Elapsed
}

// waitSince is waitFor with a deadline counted from start (an action taken
// earlier, e.g. the ConfigMap update), so that the steps of a feature share
// one budget. It returns the time from start until cond held.
func waitSince(ctx context.Context, t *testing.T, what string, start time.Time, deadline, interval time.Duration, cond poll.Condition) time.Duration {
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

// holdFor checks cond every interval for window and fails the test the
// first time it does not hold.
func holdFor(ctx context.Context, t *testing.T, what string, window, interval time.Duration, cond poll.Condition) {
	t.Helper()
	res, err := poll.Hold(ctx, clock.RealClock{}, window, interval, cond)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	t.Logf("%s: held for %s (%d checks); last seen: %s", what, window, res.Attempts, res.Seen)
}

// waitLogs polls the log of the current controller pod (the entries written
// at or after since) until every query has a match, and fails the test if
// that takes longer than deadline from since. A zero since reads the whole
// log, with the deadline counted from now. It returns the first match of
// each query, in the order of queries. On timeout it names the missing lines
// and shows lines with the same message, if any (e.g. logged at another
// level or with other keys).
func (s *Suite) waitLogs(ctx context.Context, t *testing.T, since time.Time, deadline time.Duration, queries ...zaplog.Query) []zaplog.Entry {
	t.Helper()
	found := make([]zaplog.Entry, len(queries))
	start := since
	if start.IsZero() {
		start = time.Now()
	}
	waitSince(ctx, t, "controller log lines", start, deadline, fastPoll, func(ctx context.Context) (bool, string, error) {
		pod, err := s.currentControllerPod(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		entries, err := s.controllerLog(ctx, pod.Name, since)
		if err != nil {
			return false, err.Error(), nil
		}
		var missing []string
		for i, q := range queries {
			e, ok := zaplog.First(entries, q)
			if !ok {
				missing = append(missing, describeMissing(q, entries))
				continue
			}
			found[i] = e
		}
		if len(missing) > 0 {
			return false, "missing: " + strings.Join(missing, "; "), nil
		}
		return true, fmt.Sprintf("all %d lines found", len(queries)), nil
	})
	for _, e := range found {
		t.Logf("log: %s", e)
	}
	return found
}

func describeMissing(q zaplog.Query, entries []zaplog.Entry) string {
	similar := zaplog.WithMsg(entries, q.Msg)
	if len(similar) == 0 {
		return q.String()
	}
	return q.String() + " (same message seen as: " + similar[len(similar)-1].String() + ")"
}
