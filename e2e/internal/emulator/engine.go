package emulator

import (
	"container/heap"
	"container/list"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Engine is one emulated vLLM engine. Its methods are safe for concurrent
// use.
type Engine struct {
	cfg   Config
	clock clock.Clock

	mu sync.Mutex
	// now is the time up to which events are processed; it never goes back,
	// even if the clock does.
	now     time.Time
	used    int       // KV-cache tokens held by running requests
	running runQueue  // by finish time
	waiting list.List // of *Ticket, FIFO
	seq     uint64    // admission order, to break ties between equal finishes
	stats   stats
}

// stats are the cumulative counters and histograms of an engine.
type stats struct {
	succeeded, aborted             uint64
	promptTokens, generationTokens uint64
	latency, firstToken, queueTime Histogram
}

// New returns an idle engine of cfg on clk.
func New(cfg Config, clk clock.Clock) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("emulator config: %w", err)
	}
	e := &Engine{cfg: cfg, clock: clk, now: clk.Now()}
	e.stats.latency = newHistogram(latencyBuckets)
	e.stats.queueTime = newHistogram(latencyBuckets)
	e.stats.firstToken = newHistogram(firstTokenBuckets)
	return e, nil
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// Submit enqueues r at the clock's current time and admits it at once if it
// fits. The returned ticket tracks the request; call Wait or Cancel on it, or
// it occupies the engine until it finishes on its own.
func (e *Engine) Submit(r Request) (*Ticket, error) {
	if err := e.cfg.check(r); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advanceLocked()
	t := &Ticket{
		e:          e,
		req:        r,
		state:      stateWaiting,
		arrived:    e.now,
		admittedCh: make(chan struct{}),
		doneCh:     make(chan struct{}),
	}
	t.elem = e.waiting.PushBack(t)
	e.admitLocked(e.now)
	return t, nil
}

// Snapshot is the state of an engine at one time, copied: it shares no
// memory with the engine.
type Snapshot struct {
	// Time is the simulated time of the snapshot.
	Time time.Time
	// Running and Waiting are the requests admitted and queued.
	Running, Waiting int
	// KVCacheUsedTokens of KVCacheTokens are held by running requests.
	KVCacheUsedTokens, KVCacheTokens int
	// Succeeded counts the requests that finished (all by length); Aborted
	// those cancelled before they finished.
	Succeeded, Aborted uint64
	// PromptTokens and GenerationTokens are the tokens of succeeded requests.
	PromptTokens, GenerationTokens uint64
	// Latency is arrival to finish, TimeToFirstToken arrival to the end of
	// prefill, QueueTime arrival to admission, in seconds, of succeeded
	// requests.
	Latency, TimeToFirstToken, QueueTime Histogram
}

// KVCacheUsage is the fraction of the KV cache in use, in [0, 1].
func (s Snapshot) KVCacheUsage() float64 {
	return float64(s.KVCacheUsedTokens) / float64(s.KVCacheTokens)
}

// Snapshot processes what is due at the clock's current time and returns the
// engine's state.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advanceLocked()
	return Snapshot{
		Time:              e.now,
		Running:           e.running.Len(),
		Waiting:           e.waiting.Len(),
		KVCacheUsedTokens: e.used,
		KVCacheTokens:     e.cfg.KVCacheTokens,
		Succeeded:         e.stats.succeeded,
		Aborted:           e.stats.aborted,
		PromptTokens:      e.stats.promptTokens,
		GenerationTokens:  e.stats.generationTokens,
		Latency:           e.stats.latency.clone(),
		TimeToFirstToken:  e.stats.firstToken.clone(),
		QueueTime:         e.stats.queueTime.clone(),
	}
}

// advanceLocked processes, in time order, every finish due by the clock's
// current time, admitting waiting requests at the time each one freed its
// capacity.
func (e *Engine) advanceLocked() {
	if now := e.clock.Now(); now.After(e.now) {
		e.now = now
	}
	for e.running.Len() > 0 && !e.running[0].finish.After(e.now) {
		t := heap.Pop(&e.running).(*Ticket)
		e.used -= t.req.Tokens()
		t.state = stateSucceeded
		e.stats.succeeded++
		e.stats.promptTokens += uint64(t.req.PromptTokens)
		e.stats.generationTokens += uint64(t.req.OutputTokens)
		e.stats.latency.observe(t.finish.Sub(t.arrived).Seconds())
		e.stats.firstToken.observe(t.firstToken.Sub(t.arrived).Seconds())
		e.stats.queueTime.observe(t.admitted.Sub(t.arrived).Seconds())
		close(t.doneCh)
		e.admitLocked(t.finish)
	}
}

// admitLocked moves requests from the head of the queue to the running batch
// at time at, while there is a free slot and KV cache for the head.
func (e *Engine) admitLocked(at time.Time) {
	for front := e.waiting.Front(); front != nil; front = e.waiting.Front() {
		t := front.Value.(*Ticket)
		if e.running.Len() >= e.cfg.MaxNumSeqs || e.used+t.req.Tokens() > e.cfg.KVCacheTokens {
			return
		}
		e.waiting.Remove(front)
		t.elem = nil
		t.state = stateRunning
		t.admitted = at
		t.firstToken = at.Add(e.cfg.prefill(t.req))
		t.finish = t.firstToken.Add(e.cfg.decode(t.req))
		t.seq = e.seq
		e.seq++
		e.used += t.req.Tokens()
		heap.Push(&e.running, t)
		close(t.admittedCh)
	}
}

// cancelLocked aborts t if it has not finished, freeing its place in the
// queue or its capacity, and reports whether it did.
func (e *Engine) cancelLocked(t *Ticket) bool {
	switch t.state {
	case stateWaiting:
		e.waiting.Remove(t.elem)
		t.elem = nil
	case stateRunning:
		heap.Remove(&e.running, t.index)
		e.used -= t.req.Tokens()
	default:
		return false
	}
	t.state = stateAborted
	e.stats.aborted++
	close(t.doneCh)
	// A cancelled head, or freed capacity, may let the next ones in.
	e.admitLocked(e.now)
	return true
}

// runQueue is a min-heap of running tickets by finish time, then admission.
type runQueue []*Ticket

func (q runQueue) Len() int { return len(q) }
func (q runQueue) Less(i, j int) bool {
	if !q[i].finish.Equal(q[j].finish) {
		return q[i].finish.Before(q[j].finish)
	}
	return q[i].seq < q[j].seq
}
func (q runQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *runQueue) Push(x any) {
	t := x.(*Ticket)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *runQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	t.index = -1
	return t
}
