package controller

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Stabilizer delays scale-down: a variant is scaled down only after scaling
// down has been found safe, without interruption, for the whole window.
// Scale-up is never delayed. The state is per VariantAutoscaling, kept in
// memory (a restarted controller simply waits one window again).
type Stabilizer struct {
	window time.Duration

	mu    sync.Mutex
	since map[types.NamespacedName]time.Time // first time scale-down was found safe
}

// NewStabilizer returns a Stabilizer with the given window; 0 disables it.
func NewStabilizer(window time.Duration) *Stabilizer {
	return &Stabilizer{window: window, since: map[types.NamespacedName]time.Time{}}
}

// ScaleDown records that scaling key down is safe at now. It returns whether
// the window has elapsed and, when it has not, how long remains.
func (s *Stabilizer) ScaleDown(key types.NamespacedName, now time.Time) (allowed bool, remaining time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	since, ok := s.since[key]
	if !ok {
		since = now
		s.since[key] = now
	}
	remaining = s.window - now.Sub(since)
	if remaining <= 0 {
		delete(s.since, key) // the next scale-down waits a full window again
		return true, 0
	}
	return false, remaining
}

// Reset forgets a pending scale-down of key: scaling down stopped being safe
// (or the variant scaled another way).
func (s *Stabilizer) Reset(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.since, key)
}

// Pending reports whether a scale-down of key is waiting for its window.
func (s *Stabilizer) Pending(key types.NamespacedName) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.since[key]
	return ok
}
