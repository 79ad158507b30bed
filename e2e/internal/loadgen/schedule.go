package loadgen

import "time"

// Schedule is a profile played Repeat times, or forever if Repeat is 0.
type Schedule struct {
	Profile Profile
	Repeat  int
}

// Duration is the length of the whole schedule, and false if it repeats
// forever.
func (s Schedule) Duration() (time.Duration, bool) {
	if s.Repeat == 0 {
		return 0, false
	}
	return time.Duration(s.Repeat) * s.Profile.Duration(), true
}

// RateAt is the offered rate, in requests per second, at elapsed time d
// since the start; 0 after the end.
func (s Schedule) RateAt(d time.Duration) float64 {
	period := s.Profile.Duration()
	if d < 0 || period <= 0 {
		return 0
	}
	if end, finite := s.Duration(); finite && d >= end {
		return 0
	}
	return s.Profile.RateAt(d % period)
}

// Arrivals returns the send times of the schedule's requests, in order.
func (s Schedule) Arrivals() *Arrivals {
	return &Arrivals{s: s, done: len(s.Profile) == 0 || s.Profile.load() == 0}
}

// Arrivals iterates over the send times of a schedule: see the package
// documentation for where they fall.
type Arrivals struct {
	s        Schedule
	n        int           // arrivals returned so far
	rep, seg int           // position: play and segment
	start    time.Duration // offset of the segment's start
	before   float64       // expected requests before the segment
	done     bool
}

// Next returns the offset from the schedule's start of the next request,
// and false when there are no more.
func (a *Arrivals) Next() (time.Duration, bool) {
	target := float64(a.n) + 0.5
	for !a.done {
		seg := a.s.Profile[a.seg]
		if k := seg.load(); target < a.before+k {
			a.n++
			return a.start + seg.offsetOf(target-a.before), true
		}
		a.before += seg.load()
		a.start += seg.Duration
		if a.seg++; a.seg == len(a.s.Profile) {
			a.seg = 0
			if a.rep++; a.s.Repeat > 0 && a.rep == a.s.Repeat {
				a.done = true
			}
		}
	}
	return 0, false
}
