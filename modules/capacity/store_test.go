package capacity

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
)

func TestStore(t *testing.T) {
	s := NewStore(nil)
	if got := s.Load(); got.Version() != "" || got.Entries() != 0 {
		t.Errorf("NewStore(nil).Load() = %v, want Builtin()", got)
	}
	first := Parse(map[string]string{DefaultKey: "kvCacheThreshold: 0.9"}, "1")
	if prev := s.Replace(first); prev.Version() != "" {
		t.Errorf("Replace returned %v, want the builtin snapshot", prev)
	}
	if got := s.Load(); got != first {
		t.Errorf("Load() = %v, want the snapshot just stored", got)
	}
	if prev := s.Replace(nil); prev != first {
		t.Errorf("Replace(nil) returned %v, want %v", prev, first)
	}
	if c, src := s.Load().Resolve("m", "ns"); src != SourceBuiltin || c != DefaultCapacityScalingConfig() {
		t.Errorf("after Replace(nil): Resolve = %+v, %q; want built-in defaults", c, src)
	}

	var zero Store
	if c, src := zero.Load().Resolve("m", "ns"); src != SourceBuiltin || c != DefaultCapacityScalingConfig() {
		t.Errorf("zero Store: Resolve = %+v, %q; want built-in defaults", c, src)
	}
}

// concurrencySnapshot builds version i of a ConfigMap in which every value is
// derived from i, so a reader can tell whether a snapshot is consistent.
func concurrencySnapshot(i int) *Snapshot {
	return Parse(map[string]string{
		DefaultKey: fmt.Sprintf("queueLengthThreshold: %d\nqueueSpareTrigger: %d", 100+i, i),
		"m":        fmt.Sprintf("model_id: m\nnamespace: ns\nqueueLengthThreshold: %d\nqueueSpareTrigger: %d", 1000+i, i),
	}, strconv.Itoa(i))
}

// TestStoreConcurrentSafe has readers resolve while a writer swaps
// snapshots in: every reader must see only whole snapshots that the writer
// stored, with values matching their version, in the order they were stored.
func TestStoreConcurrentSafe(t *testing.T) {
	const (
		versions = 300
		readers  = 4
		minReads = 1000
	)
	snapshots := make([]*Snapshot, versions)
	for i := range snapshots {
		snapshots[i] = concurrencySnapshot(i)
	}
	store := NewStore(snapshots[0])
	errs := make(chan error, readers+1)

	var wg sync.WaitGroup
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- readUntilLast(store, snapshots, minReads)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i < versions; i++ {
			if prev := store.Replace(snapshots[i]); prev != snapshots[i-1] {
				errs <- fmt.Errorf("writer: Replace(version %d) returned version %q, want %d", i, prev.Version(), i-1)
				return
			}
		}
		errs <- nil
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// readUntilLast loads and checks snapshots until it has done minReads reads
// and seen the last version. The writer stores each version once, in order,
// so the loop ends once the writer has.
func readUntilLast(store *Store, snapshots []*Snapshot, minReads int) error {
	last := -1
	for n := 0; n < minReads || last < len(snapshots)-1; n++ {
		snap := store.Load()
		v, err := strconv.Atoi(snap.Version())
		if err != nil || v < 0 || v >= len(snapshots) || snap != snapshots[v] {
			return fmt.Errorf("read %d: snapshot %q was never stored", n, snap.Version())
		}
		if v < last {
			return fmt.Errorf("read %d: version went back from %d to %d", n, last, v)
		}
		last = v
		def, src := snap.Resolve("other", "ns")
		over, overSrc := snap.Resolve("m", "ns")
		if src != SourceDefault || def.QueueLengthThreshold != 100+v || def.QueueSpareTrigger != v ||
			overSrc != OverrideSource("m") || over.QueueLengthThreshold != 1000+v || over.QueueSpareTrigger != v {
			return fmt.Errorf("read %d: version %d resolved to %+v (%s) and %+v (%s)", n, v, def, src, over, overSrc)
		}
	}
	return nil
}
