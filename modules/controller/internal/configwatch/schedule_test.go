package configwatch

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/logging/logtest"
)

// scheduleData has a default with a nightly window (22:00-06:00 UTC, every
// day), an override with its own business-hours window (08:00-18:00 UTC,
// Mon-Fri), an override that inherits the default's window and one that
// opts out of it.
var scheduleData = map[string]string{
	"default": "kvCacheThreshold: 0.80\nschedules:\n" +
		"  - {name: night, days: [Mon-Sun], start: \"22:00\", end: \"06:00\", timeZone: UTC, kvCacheThreshold: 0.90}\n",
	"granite-prod": "model_id: ibm/granite-13b\nnamespace: production\nkvCacheThreshold: 0.75\nschedules:\n" +
		"  - {name: business-hours, days: [Mon-Fri], start: \"08:00\", end: \"18:00\", timeZone: UTC, kvCacheThreshold: 0.70}\n",
	"llama-lab":   "model_id: meta/llama-70b\nnamespace: lab\nqueueLengthThreshold: 20\n",
	"fixed-model": "model_id: fixed/model\nnamespace: lab\nqueueLengthThreshold: 9\nschedules: []\n",
}

// scheduleModels are the models the tests' subscribers know, as
// namespace/modelID.
var scheduleModels = [][2]string{
	{"lab", "fixed/model"},
	{"lab", "meta/llama-70b"},
	{"other", "some/model"},
	{"production", "ibm/granite-13b"},
}

// 2026-12-02 is a Wednesday.
func wed(h, m int) time.Time { return time.Date(2026, 12, 2, h, m, 0, 0, time.UTC) }

func parseSchedule(t *testing.T) *capacity.Snapshot {
	t.Helper()
	snap := capacity.Parse(scheduleData, "1")
	if errs := snap.Errors(); len(errs) > 0 {
		t.Fatalf("schedule test data has invalid entries: %v", errs)
	}
	return snap
}

func TestBoundarySwitch(t *testing.T) {
	snap := parseSchedule(t)
	cases := map[string]struct {
		at           time.Time
		wantSwitched []string
		wantWindows  []string
		wantEntries  []string
	}{
		"night starts: the default's models and the inheriting override": {
			at:           wed(22, 0),
			wantSwitched: []string{"lab/meta/llama-70b", "other/some/model"},
			wantWindows:  []string{"default#night", "override/llama-lab#night"},
			wantEntries:  []string{"default", "override/llama-lab"},
		},
		"night ends": {
			at:           wed(6, 0),
			wantSwitched: []string{"lab/meta/llama-70b", "other/some/model"},
			wantWindows:  []string{"default#night", "override/llama-lab#night"},
			wantEntries:  []string{"default", "override/llama-lab"},
		},
		"business hours start: the override with its own window only": {
			at:           wed(8, 0),
			wantSwitched: []string{"production/ibm/granite-13b"},
			wantWindows:  []string{"override/granite-prod#business-hours"},
			wantEntries:  []string{"override/granite-prod"},
		},
		"business hours end": {
			at:           wed(18, 0),
			wantSwitched: []string{"production/ibm/granite-13b"},
			wantWindows:  []string{"override/granite-prod#business-hours"},
			wantEntries:  []string{"override/granite-prod"},
		},
		"not a boundary": {
			at:          wed(12, 30),
			wantWindows: []string{},
			wantEntries: []string{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := NewBoundary(snap, tc.at)
			var switched []string
			for _, m := range scheduleModels {
				if b.Switch(m[1], m[0]) {
					switched = append(switched, m[0]+"/"+m[1])
				}
			}
			if diff := cmp.Diff(tc.wantSwitched, switched); diff != "" {
				t.Errorf("switched models: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantWindows, b.Windows()); diff != "" {
				t.Errorf("Windows: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEntries, b.Entries()); diff != "" {
				t.Errorf("Entries: -want +got:\n%s", diff)
			}
		})
	}
}

// TestBoundarySwitchBackToBack: a window that ends where its next
// occurrence starts keeps source and thresholds, but its end moves, which
// status shows: the boundary switches the model.
func TestBoundarySwitchBackToBack(t *testing.T) {
	snap := capacity.Parse(map[string]string{"default": "schedules:\n" +
		"  - {name: all-day, days: [Mon-Sun], start: \"00:00\", end: \"24:00\", timeZone: UTC, kvCacheThreshold: 0.9}\n"}, "1")
	if !NewBoundary(snap, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)).Switch("m", "ns") {
		t.Error("Switch at midnight = false, want true: windowEnds moves by a day")
	}
}

// boundaryRecord is what a subscriber saw at one boundary.
type boundaryRecord struct {
	At       time.Time
	Switched []string
}

// schedulerFixture runs a Scheduler on a fake clock, with one subscriber
// that switches scheduleModels and records what it saw.
type schedulerFixture struct {
	s      *Scheduler
	r      *Reloader
	clock  *clocktesting.FakeClock
	rec    *logtest.Recorder
	mu     sync.Mutex
	seen   []boundaryRecord
	cancel context.CancelFunc
	done   chan error
}

func startScheduler(t *testing.T, snap *capacity.Snapshot, now time.Time) *schedulerFixture {
	t.Helper()
	log, rec := logtest.New()
	clk := clocktesting.NewFakeClock(now)
	store := capacity.NewStore(snap)
	r := &Reloader{Key: key, Store: store, Telemetry: newTelemetry(t), Clock: clk, Log: log}
	f := &schedulerFixture{
		s: &Scheduler{Store: store, Reloader: r, Clock: clk, Log: log}, r: r, clock: clk, rec: rec,
		done: make(chan error, 1),
	}
	f.s.Subscribe(func(_ context.Context, b *Boundary) int {
		var switched []string
		for _, m := range scheduleModels {
			if b.Switch(m[1], m[0]) {
				switched = append(switched, m[0]+"/"+m[1])
			}
		}
		f.mu.Lock()
		f.seen = append(f.seen, boundaryRecord{At: b.At, Switched: switched})
		f.mu.Unlock()
		return len(switched)
	})
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() { f.done <- f.s.Start(ctx) }()
	t.Cleanup(func() { f.stop(t) })
	return f
}

// stop cancels the scheduler and waits for Start to return; the timer must
// be stopped then. Idempotent.
func (f *schedulerFixture) stop(t *testing.T) {
	t.Helper()
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.cancel = nil
	select {
	case err := <-f.done:
		if err != nil {
			t.Errorf("Start returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return within 5s of the cancellation")
	}
	if n := f.clock.Waiters(); n != 0 {
		t.Errorf("fake clock has %d waiters after the scheduler stopped, want 0 (timer not stopped)", n)
	}
}

func (f *schedulerFixture) records() []boundaryRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]boundaryRecord(nil), f.seen...)
}

// waitArmed waits until the scheduler's timer waits for want (the zero time:
// none armed).
func (f *schedulerFixture) waitArmed(t *testing.T, want time.Time) {
	t.Helper()
	poll(t, "armed boundary", func() (string, bool) {
		got, _ := f.s.Armed()
		return got.String(), got.Equal(want)
	}, want.String())
}

// poll calls check until it reports true, for at most 5 s of real time.
func poll(t *testing.T, what string, check func() (string, bool), want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, ok := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: want %s, last seen %s", what, want, got)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSchedulerFiresAtBoundaries(t *testing.T) {
	type step struct {
		to        time.Time // the fake clock is set to this
		wantSeen  []boundaryRecord
		wantArmed time.Time
	}
	nightSwitch := []string{"lab/meta/llama-70b", "other/some/model"}
	graniteSwitch := []string{"production/ibm/granite-13b"}
	cases := map[string]struct {
		start     time.Time
		wantArmed time.Time
		steps     []step
	}{
		"one boundary at a time": {
			start:     wed(17, 0),
			wantArmed: wed(18, 0),
			steps: []step{
				{to: wed(17, 59), wantArmed: wed(18, 0)},
				{to: wed(18, 0), wantSeen: []boundaryRecord{{wed(18, 0), graniteSwitch}}, wantArmed: wed(22, 0)},
				{to: wed(22, 0), wantSeen: []boundaryRecord{{wed(18, 0), graniteSwitch}, {wed(22, 0), nightSwitch}},
					wantArmed: wed(30, 0)},
			},
		},
		"a late timer handles every boundary passed, in order": {
			start:     wed(17, 0),
			wantArmed: wed(18, 0),
			steps: []step{{
				to: wed(24+7, 0),
				wantSeen: []boundaryRecord{
					{wed(18, 0), graniteSwitch}, {wed(22, 0), nightSwitch}, {wed(24+6, 0), nightSwitch},
				},
				wantArmed: wed(24+8, 0),
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := startScheduler(t, parseSchedule(t), tc.start)
			f.waitArmed(t, tc.wantArmed)
			for _, s := range tc.steps {
				f.clock.SetTime(s.to)
				f.waitArmed(t, s.wantArmed)
				if diff := cmp.Diff(s.wantSeen, f.records()); diff != "" {
					t.Fatalf("after setting the clock to %s, boundaries seen: -want +got:\n%s", s.to, diff)
				}
			}
		})
	}
}

func TestSchedulerLogsOneLinePerBoundary(t *testing.T) {
	f := startScheduler(t, parseSchedule(t), wed(21, 0))
	f.waitArmed(t, wed(22, 0))
	f.clock.SetTime(wed(22, 0))
	f.waitArmed(t, wed(30, 0))
	lines := f.rec.Messages(MsgBoundary)
	want := []logtest.Line{{Level: "info", Message: MsgBoundary, Fields: map[string]any{
		"boundary": "2026-12-02T22:00:00Z",
		"windows":  []any{"default#night", "override/llama-lab#night"},
		"entries":  []any{"default", "override/llama-lab"},
		"count":    int64(2),
	}}}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("boundary log lines: -want +got:\n%s", diff)
	}
}

func TestSchedulerRearmsOnConfigChange(t *testing.T) {
	f := startScheduler(t, capacity.Builtin(), wed(21, 0))
	if _, ok := f.s.Armed(); ok {
		t.Fatal("armed with the built-in configuration, which has no windows")
	}
	// The reload notifies the scheduler, which arms for the new windows.
	f.r.OnChange(configMap("2", scheduleData))
	f.waitArmed(t, wed(22, 0))
	// A configuration without windows disarms it.
	f.r.OnChange(configMap("3", map[string]string{"default": "kvCacheThreshold: 0.85\n"}))
	f.waitArmed(t, time.Time{})
	poll(t, "fake clock waiters", func() (string, bool) {
		n := f.clock.Waiters()
		return time.Duration(n).String(), n == 0
	}, "0")
	f.clock.SetTime(wed(23, 0))
	if got := f.records(); len(got) != 0 {
		t.Errorf("boundaries seen after the windows were removed: %v", got)
	}
}
