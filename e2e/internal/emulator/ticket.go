package emulator

import (
	"container/list"
	"context"
	"errors"
	"time"
)

// ErrCanceled is returned by Wait for a ticket that Cancel aborted.
var ErrCanceled = errors.New("request canceled")

type state int

const (
	stateWaiting state = iota
	stateRunning
	stateSucceeded
	stateAborted
)

// Ticket is one submitted request. Its fields are guarded by the engine's
// mutex.
type Ticket struct {
	e   *Engine
	req Request

	state                                 state
	arrived, admitted, firstToken, finish time.Time
	seq                                   uint64        // admission order
	index                                 int           // in Engine.running while running
	elem                                  *list.Element // in Engine.waiting while waiting
	admittedCh                            chan struct{} // closed on admission
	doneCh                                chan struct{} // closed on finish or abort
}

// Result is the timeline of a finished request.
type Result struct {
	Request Request
	// Arrived is when it was submitted, Admitted when it left the queue,
	// FirstToken when its prefill ended and Finished when its last token was
	// generated.
	Arrived, Admitted, FirstToken, Finished time.Time
}

// QueueTime is the time spent waiting for admission.
func (r Result) QueueTime() time.Duration { return r.Admitted.Sub(r.Arrived) }

// TimeToFirstToken is arrival to the end of prefill, queue time included.
func (r Result) TimeToFirstToken() time.Duration { return r.FirstToken.Sub(r.Arrived) }

// Latency is arrival to finish, queue time included.
func (r Result) Latency() time.Duration { return r.Finished.Sub(r.Arrived) }

// Done returns a channel that is closed when the request has finished or
// been cancelled. Finishes are processed lazily, by the engine's next call
// or by Wait's timer, so Done alone does not make time pass.
func (t *Ticket) Done() <-chan struct{} { return t.doneCh }

// Result returns the request's timeline, and false if it has not finished
// (yet, or ever, because it was cancelled).
func (t *Ticket) Result() (Result, bool) {
	t.e.mu.Lock()
	defer t.e.mu.Unlock()
	t.e.advanceLocked()
	return t.resultLocked(), t.state == stateSucceeded
}

func (t *Ticket) resultLocked() Result {
	if t.state != stateSucceeded {
		return Result{Request: t.req, Arrived: t.arrived}
	}
	return Result{Request: t.req, Arrived: t.arrived, Admitted: t.admitted, FirstToken: t.firstToken, Finished: t.finish}
}

// Cancel aborts the request if it has not finished: a waiting request leaves
// the queue, a running one frees its batch slot and KV cache, and waiting
// requests that now fit are admitted. It reports whether it aborted it.
func (t *Ticket) Cancel() bool {
	t.e.mu.Lock()
	defer t.e.mu.Unlock()
	t.e.advanceLocked()
	return t.e.cancelLocked(t)
}

// Wait blocks until the request finishes and returns its timeline. If ctx
// is done first, Wait cancels the request and returns ctx's error; if
// Cancel aborted it, Wait returns ErrCanceled.
//
// While the request waits or runs, Wait sleeps on a clock timer until the
// engine's next finish (its own, or the one that may admit it), then
// processes what is due, so on a real clock requests complete on time
// without a background goroutine. On a fake clock the timer fires when the
// test steps past it.
func (t *Ticket) Wait(ctx context.Context) (Result, error) {
	e := t.e
	for {
		e.mu.Lock()
		e.advanceLocked()
		st, res := t.state, t.resultLocked()
		var wake time.Duration
		var admitted <-chan struct{} // nil, never ready, unless waiting
		switch st {
		case stateRunning:
			wake = t.finish.Sub(e.now)
		case stateWaiting:
			// Something runs: an idle engine admits its queue's head at once.
			wake = e.running[0].finish.Sub(e.now)
			admitted = t.admittedCh
		}
		e.mu.Unlock()

		switch st {
		case stateSucceeded:
			return res, nil
		case stateAborted:
			return Result{}, ErrCanceled
		}
		timer := e.clock.NewTimer(wake)
		select {
		case <-timer.C():
		case <-admitted:
		case <-t.doneCh:
		case <-ctx.Done():
			timer.Stop()
			return t.abandon(ctx)
		}
		timer.Stop()
	}
}

// abandon cancels t for Wait, unless it finished in the meantime.
func (t *Ticket) abandon(ctx context.Context) (Result, error) {
	t.e.mu.Lock()
	defer t.e.mu.Unlock()
	t.e.advanceLocked()
	if t.state == stateSucceeded {
		return t.resultLocked(), nil
	}
	t.e.cancelLocked(t)
	return Result{}, ctx.Err()
}
