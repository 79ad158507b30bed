package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Config is what a Runner sends and how.
type Config struct {
	// URL receives every request, a POST of Body as application/json.
	URL  string
	Body []byte
	// MaxOutstanding caps the requests in flight; an arrival due while the
	// cap is reached is skipped (counted, not sent), so the load generator
	// stays bounded when the server stalls.
	MaxOutstanding int
	// Timeout bounds each request.
	Timeout time.Duration
	// ProgressInterval is the period of Run's progress reports.
	ProgressInterval time.Duration
}

// Validate returns every problem of c, naming the field.
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("URL: must not be empty"))
	}
	if c.MaxOutstanding < 1 {
		errs = append(errs, fmt.Errorf("MaxOutstanding=%d: must be at least 1", c.MaxOutstanding))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("Timeout=%s: must be positive", c.Timeout)) //nolint:staticcheck // names the Config field, as its neighbours do
	}
	if c.ProgressInterval <= 0 {
		errs = append(errs, fmt.Errorf("ProgressInterval=%s: must be positive", c.ProgressInterval))
	}
	return errors.Join(errs...)
}

// Runner plays a schedule against a URL. Progress is safe to call from any
// goroutine, e.g. a metrics handler, while Run runs.
type Runner struct {
	cfg      Config
	schedule Schedule
	client   *http.Client
	clock    clock.WithTicker

	mu        sync.Mutex
	started   bool
	start     time.Time
	counts    Counts
	inFlight  int
	latency   latencies // of succeeded requests
	lastError string
}

// New returns a runner of cfg and schedule that sends with client and
// times with clk.
func New(cfg Config, schedule Schedule, client *http.Client, clk clock.WithTicker) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("load generator config: %w", err)
	}
	if len(schedule.Profile) == 0 || schedule.Repeat < 0 {
		return nil, fmt.Errorf("load generator schedule: %d segments, repeat %d: want segments and repeat >= 0",
			len(schedule.Profile), schedule.Repeat)
	}
	return &Runner{cfg: cfg, schedule: schedule, client: client, clock: clk}, nil
}

// Run plays the schedule: it sends each request at its time, calls
// progress (if not nil) every ProgressInterval from Run's goroutine, and
// returns when the schedule has ended and every request has been answered,
// or when ctx is done (requests in flight are then cancelled). Call it once.
func (r *Runner) Run(ctx context.Context, progress func(Progress)) Summary {
	r.mu.Lock()
	r.started, r.start = true, r.clock.Now()
	start := r.start
	r.mu.Unlock()

	arrivals := r.schedule.Arrivals()
	next, more := arrivals.Next()
	end, finite := r.schedule.Duration()
	// until is the wait for the next arrival or the end, whichever is first.
	until := func(elapsed time.Duration) (time.Duration, bool) {
		switch {
		case more && (!finite || next < end):
			return next - elapsed, true
		case finite:
			return end - elapsed, true
		}
		return 0, false // forever, without load: only ctx ends it
	}
	d, _ := until(0)
	timer := r.clock.NewTimer(d)
	defer timer.Stop()
	ticker := r.clock.NewTicker(r.cfg.ProgressInterval)
	defer ticker.Stop()

	var wg sync.WaitGroup
	interrupted := false
	var elapsed time.Duration
loop:
	for {
		select {
		case <-ctx.Done():
			interrupted = true
			elapsed = r.clock.Since(start)
			if finite {
				elapsed = min(elapsed, end)
			}
			break loop
		case <-ticker.C():
			if progress != nil {
				progress(r.Progress())
			}
		case <-timer.C():
		}
		// Whatever woke us, send what is due: a late wake-up catches up,
		// keeping the schedule open-loop.
		elapsed = r.clock.Since(start)
		for more && next <= elapsed && (!finite || next < end) {
			r.send(ctx, &wg)
			next, more = arrivals.Next()
		}
		if finite && elapsed >= end {
			elapsed = end
			break
		}
		if d, ok := until(elapsed); ok {
			timer.Reset(d)
		}
	}
	wg.Wait()
	return r.summary(elapsed, r.clock.Since(start), interrupted)
}

// send counts an arrival and sends it, unless MaxOutstanding requests are in
// flight.
func (r *Runner) send(ctx context.Context, wg *sync.WaitGroup) {
	r.mu.Lock()
	r.counts.Scheduled++
	if r.inFlight >= r.cfg.MaxOutstanding {
		r.counts.Skipped++
		r.lastError = fmt.Sprintf("skipped: %d requests outstanding", r.inFlight)
		r.mu.Unlock()
		return
	}
	r.counts.Sent++
	r.inFlight++
	r.mu.Unlock()
	wg.Go(func() { r.do(ctx) })
}

// do sends one request and records its outcome.
func (r *Runner) do(ctx context.Context) {
	sent := r.clock.Now()
	err := r.post(ctx)
	latency := r.clock.Since(sent)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight--
	switch {
	case err == nil:
		r.counts.Succeeded++
		r.latency.add(latency)
	case ctx.Err() != nil:
		r.counts.Canceled++
	default:
		r.counts.Failed++
		r.lastError = err.Error()
	}
}

// post sends the body and reads the whole answer; a status other than 2xx
// is an error.
func (r *Runner) post(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.URL, bytes.NewReader(r.cfg.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("POST %s: reading the answer: %w", r.cfg.URL, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", r.cfg.URL, resp.Status)
	}
	return nil
}
