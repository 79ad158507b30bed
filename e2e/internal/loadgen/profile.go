package loadgen

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Segment is one part of a profile: a rate that changes linearly from From
// to To requests per second over Duration (From == To holds it).
type Segment struct {
	From, To float64
	Duration time.Duration
}

// String is the segment in profile syntax.
func (s Segment) String() string {
	if s.From == s.To {
		return fmt.Sprintf("hold:%s:%s", formatRate(s.From), s.Duration)
	}
	return fmt.Sprintf("ramp:%s-%s:%s", formatRate(s.From), formatRate(s.To), s.Duration)
}

func formatRate(r float64) string { return strconv.FormatFloat(r, 'g', -1, 64) }

// rateAt is the rate at offset d into the segment.
func (s Segment) rateAt(d time.Duration) float64 {
	return s.From + (s.To-s.From)*d.Seconds()/s.Duration.Seconds()
}

// load is the expected number of requests over the whole segment.
func (s Segment) load() float64 { return (s.From + s.To) / 2 * s.Duration.Seconds() }

// offsetOf is the offset into the segment by which the expected number of
// requests reaches k, for k in [0, load()]: the solution of
// From·t + (To-From)·t²/(2·Duration) = k, in a form that is stable when the
// ramp is flat.
func (s Segment) offsetOf(k float64) time.Duration {
	if k <= 0 {
		return 0
	}
	d := s.Duration.Seconds()
	disc := math.Max(0, s.From*s.From+2*(s.To-s.From)*k/d)
	t := 2 * k / (s.From + math.Sqrt(disc))
	t = math.Min(math.Max(t, 0), d)
	return time.Duration(math.Round(t * float64(time.Second)))
}

// Profile is a sequence of segments, played in order.
type Profile []Segment

// ErrProfile is matched (errors.Is) by every error of ParseProfile.
var ErrProfile = errors.New("invalid profile")

// ParseProfile reads the profile syntax of the package documentation. Its
// errors name the bad segment by position and text.
func ParseProfile(text string) (Profile, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("%w: empty; want segments like hold:10:60s or ramp:0-10:60s, separated by commas", ErrProfile)
	}
	var p Profile
	for i, raw := range strings.Split(text, ",") {
		seg, err := parseSegment(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("%w: segment %d %q: %w", ErrProfile, i+1, raw, err)
		}
		p = append(p, seg)
	}
	return p, nil
}

func parseSegment(s string) (Segment, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return Segment{}, errors.New("want hold:RATE:DURATION or ramp:FROM-TO:DURATION")
	}
	kind, rates, dur := parts[0], parts[1], parts[2]
	var seg Segment
	var err error
	switch kind {
	case "hold":
		if seg.From, err = parseRate(rates); err != nil {
			return Segment{}, err
		}
		seg.To = seg.From
	case "ramp":
		from, to, ok := strings.Cut(rates, "-")
		if !ok {
			return Segment{}, fmt.Errorf("rates %q: want FROM-TO, like 0-10", rates)
		}
		if seg.From, err = parseRate(from); err != nil {
			return Segment{}, err
		}
		if seg.To, err = parseRate(to); err != nil {
			return Segment{}, err
		}
	default:
		return Segment{}, fmt.Errorf("kind %q: want hold or ramp", kind)
	}
	if seg.Duration, err = time.ParseDuration(dur); err != nil {
		return Segment{}, fmt.Errorf("duration %q: not a duration like 30s or 2m", dur)
	}
	if seg.Duration <= 0 {
		return Segment{}, fmt.Errorf("duration %q: must be positive", dur)
	}
	return seg, nil
}

func parseRate(s string) (float64, error) {
	r, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("rate %q: not a number of requests per second", s)
	}
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return 0, fmt.Errorf("rate %q: must be a finite number >= 0", s)
	}
	return r, nil
}

// String is the profile in profile syntax.
func (p Profile) String() string {
	parts := make([]string, len(p))
	for i, s := range p {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}

// Duration is the length of one play of the profile.
func (p Profile) Duration() time.Duration {
	var d time.Duration
	for _, s := range p {
		d += s.Duration
	}
	return d
}

// RateAt is the rate at offset d into the profile, 0 outside it. At a
// boundary the later segment's rate applies.
func (p Profile) RateAt(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	for _, s := range p {
		if d < s.Duration {
			return s.rateAt(d)
		}
		d -= s.Duration
	}
	return 0
}

// load is the expected number of requests of one play.
func (p Profile) load() float64 {
	var k float64
	for _, s := range p {
		k += s.load()
	}
	return k
}
