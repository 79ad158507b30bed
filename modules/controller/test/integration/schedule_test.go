//go:build integration

package integration

import (
	"fmt"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wva-project/wva/modules/controller/internal/configwatch"
)

// scheduleDeadline bounds how long a boundary takes to reach the statuses of
// the test's VariantAutoscalings. The manager switches every
// VariantAutoscaling in the API server, the earlier tests' too (some 300
// when the whole suite runs), with two status writes each at the client's
// rate limit, so the bound is that of a startup rather than reloadDeadline.
const scheduleDeadline = 30 * time.Second

// TestScheduleBoundaryReachesEveryStatus runs the manager on a fake clock
// with a default entry whose window starts a minute after the clock's now:
// stepping the clock past the window's start, then past its end, must
// switch every VariantAutoscaling's status.appliedConfig to the window and
// back, through the boundary timer alone (the reconcile interval is an
// hour, and the ConfigMap does not change).
func TestScheduleBoundaryReachesEveryStatus(t *testing.T) {
	const count = 6
	// A Wednesday, 10:00 UTC; the window "surge" runs 10:01-10:03 every day.
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	windowStart, windowEnd := now.Add(time.Minute), now.Add(3*time.Minute)
	clk := clocktesting.NewFakeClock(now)
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "schedule")
	cm := capacityConfigMap(cfgNS, map[string]string{
		"default": "kvCacheThreshold: 0.75\nqueueLengthThreshold: 10\nkvSpareTrigger: 0.15\nqueueSpareTrigger: 5\n" +
			"schedules:\n" +
			"  - name: surge\n    days: [Mon-Sun]\n    start: \"10:01\"\n    end: \"10:03\"\n    timeZone: UTC\n" +
			"    kvCacheThreshold: 0.60\n    queueLengthThreshold: 4\n",
	})
	create(t, cm)
	for i := range count {
		create(t, variantAutoscaling(ns, fmt.Sprintf("variant-%d", i), fmt.Sprintf("model-%d", i%3)))
	}
	m := startManagerWithClock(t, managerOptions(cfgNS), nil, clk)
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range m.logs.Lines() {
				if l.Level != "debug" {
					t.Logf("log: %s %s %v", l.Level, l.Message, l.Fields)
				}
			}
			t.Logf("fake clock %s, waiters %d, VAs %d", clk.Now(), clk.Waiters(), countVAs(t))
		}
	})

	outside := appliedWant{source: "default", kv: "0.75", queue: 10}
	inside := appliedWant{source: "default#surge", window: "surge", windowEnds: windowEnd.Format(time.RFC3339), kv: "0.60", queue: 4}
	waitAll(t, ns, count, outside, "before the window")

	steps := []struct {
		name     string
		to       time.Time
		want     appliedWant
		boundary time.Time
	}{
		{"past the window's start", windowStart.Add(30 * time.Second), inside, windowStart},
		{"past the window's end", windowEnd.Add(30 * time.Second), outside, windowEnd},
	}
	for _, s := range steps {
		// The scheduler's timer is the only waiter on the clock (admission,
		// whose certificate check uses it too, is off).
		eventually(t, reloadDeadline, "boundary timer armed", func() string {
			if !clk.HasWaiters() {
				return "no timer waits on the fake clock"
			}
			return ""
		})
		clk.SetTime(s.to)
		waitAll(t, ns, count, s.want, s.name)
		eventually(t, scheduleDeadline, "boundary log line "+s.name, hasLine(m.logs, "info", configwatch.MsgBoundary, map[string]any{
			"boundary": s.boundary.Format(time.RFC3339),
			"windows":  []any{"default#surge"},
			"entries":  []any{"default"},
			"count":    int64(countVAs(t)),
		}))
	}
	if n := len(m.logs.Messages(configwatch.MsgBoundary)); n != len(steps) {
		t.Errorf("%d %q lines, want one per boundary (%d)", n, configwatch.MsgBoundary, len(steps))
	}
	// The ConfigMap never changed: the boundaries alone did this.
	if n := len(m.logs.Messages(configwatch.MsgTriggerAll)); n != 0 {
		t.Errorf("%d %q lines, want 0", n, configwatch.MsgTriggerAll)
	}
}

// appliedWant is what a test expects in status.appliedConfig.
type appliedWant struct {
	source, window, kv string
	windowEnds         string // RFC 3339, "" when unset
	queue              int32
}

// waitAll waits, within scheduleDeadline, until the VariantAutoscalings
// variant-0.. of namespace all show want.
func waitAll(t *testing.T, namespace string, count int, want appliedWant, what string) {
	t.Helper()
	start := time.Now()
	for i := range count {
		name := fmt.Sprintf("variant-%d", i)
		eventually(t, scheduleDeadline-time.Since(start), what+": "+name, func() string {
			a := getVA(t, namespace, name).Status.AppliedConfig
			if a.IsZero() {
				return "no appliedConfig"
			}
			got := appliedWant{source: a.Source, window: a.Window, kv: a.KvCacheThreshold, queue: a.QueueLengthThreshold}
			if a.WindowEnds != nil {
				got.windowEnds = a.WindowEnds.UTC().Format(time.RFC3339)
			}
			if got != want {
				return fmt.Sprintf("%+v, want %+v", got, want)
			}
			return ""
		})
	}
}
