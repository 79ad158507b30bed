package configwatch

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/wva-project/wva/modules/capacity"
)

// maxCatchUp bounds the boundaries one firing of the timer handles when it
// fires late (a suspended process, a test stepping its clock by days). The
// reconcilers resolve at their own clock's now, so what a skipped boundary
// would have enqueued is enqueued by the last one handled anyway.
const maxCatchUp = 64

// Boundary is one instant at which a scheduled window of the configuration
// starts or ends. A subscriber calls Switch for each model it knows, to
// enqueue those the boundary changes; Boundary records which windows and
// entries switched, for the log line. It is used by one goroutine at a time.
type Boundary struct {
	// At is the instant: the resolution from At on differs from the one
	// just before it.
	At time.Time
	// Snapshot is the configuration the boundary belongs to.
	Snapshot *capacity.Snapshot

	windows map[capacity.Source]bool
	entries map[capacity.Source]bool
}

// NewBoundary returns the boundary at instant at of snap.
func NewBoundary(snap *capacity.Snapshot, at time.Time) *Boundary {
	return &Boundary{At: at, Snapshot: snap, windows: map[capacity.Source]bool{}, entries: map[capacity.Source]bool{}}
}

// Switch reports whether the boundary changes what a model in a namespace
// resolves to (its thresholds, source, window or the window's end), and
// records the windows and entries involved.
func (b *Boundary) Switch(modelID, namespace string) bool {
	before := b.Snapshot.ResolveAt(modelID, namespace, b.At.Add(-time.Nanosecond))
	after := b.Snapshot.ResolveAt(modelID, namespace, b.At)
	if before.Config == after.Config && before.Source == after.Source && before.WindowEnd.Equal(after.WindowEnd) {
		return false
	}
	for _, r := range [...]capacity.Resolution{before, after} {
		if r.Window != "" {
			b.windows[r.Source] = true
		}
		b.entries[r.Source.Entry()] = true
	}
	return true
}

// Windows returns the sources of the windows that started or ended for
// the models Switch reported, sorted: "default#night",
// "override/granite-prod#business-hours".
func (b *Boundary) Windows() []string { return sortedSources(b.windows) }

// Entries returns the entries of those models, sorted: "default",
// "override/granite-prod".
func (b *Boundary) Entries() []string { return sortedSources(b.entries) }

func sortedSources(set map[capacity.Source]bool) []string {
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, string(s))
	}
	slices.Sort(out)
	return out
}

// BoundarySubscriber is called at every boundary; it enqueues the work the
// boundary causes (the objects for which b.Switch reports a change) and
// returns how many VariantAutoscalings that work covers.
type BoundarySubscriber func(ctx context.Context, b *Boundary) int

// Scheduler requeues, at each instant a scheduled window starts or ends, the
// VariantAutoscalings whose configuration the instant switches, instead of
// leaving them on the old thresholds until their next reconcile. It arms one
// timer of its clock at the Store's NextTransition, re-arms it after every
// configuration change (it subscribes to the Reloader) and after every
// boundary, and logs MsgBoundary once per boundary.
//
// It runs on the leader only: its subscribers are the controllers' sources,
// which start there; a replica that becomes leader resolves every object at
// its own now when its controllers start.
type Scheduler struct {
	Store *capacity.Store
	// Reloader, when set, tells the scheduler of every configuration change.
	Reloader *Reloader
	Clock    clock.Clock
	Log      logr.Logger

	mu          sync.Mutex
	subscribers []BoundarySubscriber
	armed       time.Time // the boundary the timer waits for; zero when none
}

var (
	_ manager.Runnable               = (*Scheduler)(nil)
	_ manager.LeaderElectionRunnable = (*Scheduler)(nil)
)

// NeedLeaderElection implements manager.LeaderElectionRunnable.
func (s *Scheduler) NeedLeaderElection() bool { return true }

// Subscribe adds b to the functions called at every boundary.
func (s *Scheduler) Subscribe(b BoundarySubscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscribers = append(s.subscribers, b)
}

// BoundarySource returns a controller source that, once its controller
// starts, subscribes enqueue with the controller's queue: every boundary then
// adds the requests enqueue chooses.
func BoundarySource[T comparable](s *Scheduler, enqueue func(ctx context.Context, b *Boundary, q workqueue.TypedRateLimitingInterface[T]) int) source.TypedSource[T] {
	return source.TypedFunc[T](func(_ context.Context, q workqueue.TypedRateLimitingInterface[T]) error {
		s.Subscribe(func(ctx context.Context, b *Boundary) int { return enqueue(ctx, b, q) })
		return nil
	})
}

// Start implements manager.Runnable: it runs the timer until ctx is done,
// and stops it then.
func (s *Scheduler) Start(ctx context.Context) error {
	changed := make(chan struct{}, 1)
	if s.Reloader != nil {
		// The reload enqueues every object itself; the scheduler only
		// re-arms, so it counts no VariantAutoscaling.
		s.Reloader.Subscribe(func(context.Context) int {
			select {
			case changed <- struct{}{}:
			default:
			}
			return 0
		})
	}
	defer s.setArmed(time.Time{})
	for {
		snap := s.Store.Load()
		now := s.Clock.Now()
		at, ok := snap.NextTransition(now)
		var timer clock.Timer
		var fire <-chan time.Time
		if ok {
			timer = s.Clock.NewTimer(at.Sub(now))
			fire = timer.C()
		}
		s.setArmed(at)
		select {
		case <-ctx.Done():
		case <-changed:
		case <-fire:
			// A change that raced with the timer re-arms first: the
			// reload has enqueued everything with the new configuration.
			if s.Store.Load() == snap {
				s.cross(ctx, snap, at)
			}
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// cross handles the boundary at and, if the timer fired late, the later
// boundaries that have passed meanwhile, up to maxCatchUp.
func (s *Scheduler) cross(ctx context.Context, snap *capacity.Snapshot, at time.Time) {
	now := s.Clock.Now()
	for range maxCatchUp {
		s.notify(ctx, NewBoundary(snap, at))
		next, ok := snap.NextTransition(at)
		if !ok || next.After(now) {
			return
		}
		at = next
	}
}

// notify calls the subscribers with b and logs the boundary's line: the
// windows and entries that switched and how many VariantAutoscalings.
func (s *Scheduler) notify(ctx context.Context, b *Boundary) {
	s.mu.Lock()
	subscribers := s.subscribers
	s.mu.Unlock()
	count := 0
	for _, sub := range subscribers {
		count = max(count, sub(ctx, b))
	}
	s.Log.Info(MsgBoundary, "boundary", b.At.UTC().Format(time.RFC3339), "windows", b.Windows(),
		"entries", b.Entries(), "count", count)
}

func (s *Scheduler) setArmed(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = at
}

// Armed returns the boundary the timer waits for, false when none is armed
// (no window in the configuration, or the scheduler is not running).
func (s *Scheduler) Armed() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.armed, !s.armed.IsZero()
}
