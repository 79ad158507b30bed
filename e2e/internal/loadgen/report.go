package loadgen

import "time"

// Counts are the fates of a run's requests.
type Counts struct {
	// Scheduled requests were due by the schedule so far; each was sent or
	// skipped.
	Scheduled uint64 `json:"scheduled"`
	Sent      uint64 `json:"sent"`
	// Skipped were due while MaxOutstanding requests were in flight.
	Skipped uint64 `json:"skipped"`
	// Succeeded got a 2xx answer; Failed an error or another status.
	Succeeded uint64 `json:"succeeded"`
	Failed    uint64 `json:"failed"`
	// Canceled were in flight when the run was stopped.
	Canceled uint64 `json:"canceled"`
}

// ErrorRatePercent is the share of requests that did not succeed, failed or
// skipped, of those due and not cancelled by a stop.
func (c Counts) ErrorRatePercent() float64 {
	n := c.Scheduled - c.Canceled
	if n == 0 {
		return 0
	}
	return 100 * float64(c.Failed+c.Skipped) / float64(n)
}

// Progress is the state of a run, reported periodically and served as
// metrics.
type Progress struct {
	Kind           string  `json:"kind"` // "progress"
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// OfferedRPS is the schedule's rate now.
	OfferedRPS float64 `json:"offered_rps"`
	Counts
	InFlight       int       `json:"in_flight"`
	LatencySeconds Quantiles `json:"latency_seconds"`
	// LatencySum is the total latency of the succeeded requests, for a
	// Prometheus summary.
	LatencySum time.Duration `json:"-"`
	LastError  string        `json:"last_error,omitempty"`
}

// Progress returns the run's state; zero before Run.
func (r *Runner) Progress() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := Progress{Kind: "progress", Counts: r.counts, InFlight: r.inFlight, LatencySeconds: r.latency.quantiles(),
		LatencySum: r.latency.sum, LastError: r.lastError}
	if r.started {
		elapsed := r.clock.Since(r.start)
		p.ElapsedSeconds = elapsed.Seconds()
		p.OfferedRPS = r.schedule.RateAt(elapsed)
	}
	return p
}

// Summary is the outcome of a run.
type Summary struct {
	Kind    string `json:"kind"` // "summary"
	Profile string `json:"profile"`
	// Repeat is the number of plays of the profile; 0 is forever.
	Repeat int `json:"repeat"`
	// DurationSeconds is the time from the start to the end of the schedule,
	// or to the stop; WallSeconds the time to the last answer, after the
	// requests in flight at the end drained.
	DurationSeconds float64 `json:"duration_seconds"`
	WallSeconds     float64 `json:"wall_seconds"`
	// OfferedRPS is Scheduled per second of DurationSeconds, AchievedRPS
	// Succeeded per second of WallSeconds: below OfferedRPS when the server
	// could not keep up.
	OfferedRPS  float64 `json:"offered_rps"`
	AchievedRPS float64 `json:"achieved_rps"`
	Counts
	ErrorRatePercent float64 `json:"error_rate_percent"`
	// LatencySeconds are quantiles of the succeeded requests' latencies.
	LatencySeconds Quantiles `json:"latency_seconds"`
	LastError      string    `json:"last_error,omitempty"`
	// Interrupted is true when the run was stopped before the schedule's end.
	Interrupted bool `json:"interrupted"`
}

func (r *Runner) summary(elapsed, wall time.Duration, interrupted bool) Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Summary{
		Kind:             "summary",
		Profile:          r.schedule.Profile.String(),
		Repeat:           r.schedule.Repeat,
		DurationSeconds:  elapsed.Seconds(),
		WallSeconds:      wall.Seconds(),
		Counts:           r.counts,
		ErrorRatePercent: r.counts.ErrorRatePercent(),
		LatencySeconds:   r.latency.quantiles(),
		LastError:        r.lastError,
		Interrupted:      interrupted,
	}
	if elapsed > 0 {
		s.OfferedRPS = float64(r.counts.Scheduled) / elapsed.Seconds()
	}
	if wall > 0 {
		s.AchievedRPS = float64(r.counts.Succeeded) / wall.Seconds()
	}
	return s
}
