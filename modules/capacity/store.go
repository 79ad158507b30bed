package capacity

import "sync/atomic"

// Store holds the current Snapshot. Readers call Load and never block; a
// reload parses a new snapshot and swaps it in whole with Replace, so a
// reader sees either the old or the new configuration, never a mix. The zero
// Store holds Builtin().
type Store struct {
	current atomic.Pointer[Snapshot]
}

// NewStore returns a Store holding initial, or Builtin() if initial is nil.
func NewStore(initial *Snapshot) *Store {
	if initial == nil {
		initial = Builtin()
	}
	s := &Store{}
	s.current.Store(initial)
	return s
}

// Load returns the current snapshot; it is never nil.
func (s *Store) Load() *Snapshot {
	if snap := s.current.Load(); snap != nil {
		return snap
	}
	return Builtin()
}

// Replace makes next the current snapshot (Builtin() if next is nil) and
// returns the snapshot it replaced, which is Builtin() for a new zero Store.
func (s *Store) Replace(next *Snapshot) (previous *Snapshot) {
	if next == nil {
		next = Builtin()
	}
	if prev := s.current.Swap(next); prev != nil {
		return prev
	}
	return Builtin()
}
