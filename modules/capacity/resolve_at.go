package capacity

import (
	"fmt"
	"strings"
	"time"
)

// scheduled is one window of an entry, resolved: when it is active and the
// configuration, source and provenance that apply meanwhile, all computed
// by Parse so that ResolveAt allocates nothing.
type scheduled struct {
	name   string
	timing *timing
	resolved
}

// WindowSource returns the Source of a window of an entry:
// "override/granite-prod#business-hours", "default#night".
func WindowSource(entry Source, window string) Source { return entry + "#" + Source(window) }

// Window returns the name of the window a source names, "" if it names
// none. Neither a window's name nor the key of a Kubernetes ConfigMap
// entry can hold '#', so the name is what follows the last '#'. (Parse
// accepts any key; for a key with '#', use Resolution.Window instead.)
func (s Source) Window() string {
	i := strings.LastIndexByte(string(s), '#')
	if i < 0 {
		return ""
	}
	return string(s[i+1:])
}

// Entry returns the source without its window: the entry whose values,
// outside every window, the source's configuration is based on.
func (s Source) Entry() Source {
	if i := strings.LastIndexByte(string(s), '#'); i >= 0 {
		return s[:i]
	}
	return s
}

// Resolution is the configuration of one model in one namespace at one
// instant (ResolveAt).
type Resolution struct {
	// Config is the effective configuration at that instant.
	Config CapacityScalingConfig
	// Source is the entry it comes from, with "#<window>" when a window of
	// the entry is active: "override/granite-prod#business-hours".
	Source Source
	// Fields says which entry, or which entry's window, set each threshold.
	Fields Provenance
	// Window is the name of the active window, "" when none is.
	Window string
	// WindowEnd is when the active window ends (this occurrence of it); the
	// zero time when no window is active.
	WindowEnd time.Time
}

// ResolveAt is Resolve at the instant now, with schedules applied: while a
// window of the entry (its own, or for an override without schedules of its
// own the default entry's) is active, its thresholds replace the entry's
// values; outside every window the entry's values apply, as Resolve returns
// them. Windows of one entry never overlap (Parse rejects an entry whose
// windows do); if DST ever makes two active at once, the first declared
// wins. ResolveAt looks at most at MaxWindows windows and allocates
// nothing. A nil snapshot resolves to the built-in defaults.
func (s *Snapshot) ResolveAt(modelID, namespace string, now time.Time) Resolution {
	r := s.lookup(modelID, namespace)
	for i := range r.windows {
		w := &r.windows[i]
		if end, ok := w.timing.activeAt(now); ok {
			return Resolution{Config: w.config, Source: w.source, Fields: w.fields, Window: w.name, WindowEnd: end}
		}
	}
	return Resolution{Config: r.config, Source: r.source, Fields: r.fields}
}

// NextTransition returns the first instant after now at which a window of
// any applied entry starts or ends, so that a caller can resolve again
// then; false if no entry has schedules. The answer is exact across DST
// changes (it uses the same rule as ResolveAt) and at most a week after
// now, two if DST skips a window's only occurrence of the week.
func (s *Snapshot) NextTransition(now time.Time) (time.Time, bool) {
	if s == nil {
		return time.Time{}, false
	}
	return nextOf(now, len(s.timings), func(i int) *timing { return s.timings[i] })
}

// NextTransitionFor is NextTransition for the windows that apply to one
// model in one namespace: the first instant after now at which its
// resolution may change; false if no window applies to it.
func (s *Snapshot) NextTransitionFor(modelID, namespace string, now time.Time) (time.Time, bool) {
	r := s.lookup(modelID, namespace)
	return nextOf(now, len(r.windows), func(i int) *timing { return r.windows[i].timing })
}

func nextOf(now time.Time, n int, at func(int) *timing) (time.Time, bool) {
	var best time.Time
	found := false
	for i := range n {
		if t, ok := at(i).next(now); ok && (!found || t.Before(best)) {
			best, found = t, true
		}
	}
	return best, found
}

// addTimings records the schedules of an applied entry for NextTransition,
// each distinct schedule once.
func (s *Snapshot) addTimings(windows []scheduled, seen map[timing]bool) {
	for _, w := range windows {
		if !seen[*w.timing] {
			seen[*w.timing] = true
			s.timings = append(s.timings, w.timing)
		}
	}
}

// ownWindows resolves the windows an entry declares onto the entry's own
// resolution r: each window's thresholds replace r's while it is active,
// and the result is validated. Windows that overlap are reported.
func ownWindows(r resolved, ws []Window, z zones) ([]scheduled, []error) {
	if len(ws) == 0 {
		return nil, nil
	}
	own := violations(r.config)
	var rep reported
	out := make([]scheduled, len(ws))
	for i, w := range ws {
		loc, _ := z.load(w.TimeZone) // DecodeEntry checked it
		if loc == nil {
			loc = time.UTC
		}
		t := &timing{start: w.Start, end: w.End, loc: loc}
		for _, d := range w.Days {
			t.days |= 1 << d
		}
		cfg := r.config.Merge(w.thresholds())
		windowErrors(&rep, WindowError{Window: w.Name, Index: i}, cfg.Validate(), own)
		src := WindowSource(r.source, w.Name)
		out[i] = scheduled{name: w.Name, timing: t,
			resolved: resolved{config: cfg, source: src, fields: r.fields.apply(w.thresholds(), src)}}
	}
	checkOverlaps(&rep, out, ws)
	if err := rep.join(); err != nil {
		return nil, []error{err}
	}
	return out, nil
}

// inheritedWindows resolves the default entry's windows for an override
// that declares no schedules: while a window of the default is active, the
// override inherits from the default as that window makes it, and still
// sets exactly the fields it names. Each result is validated.
func inheritedWindows(r resolved, e Entry, base []scheduled) ([]scheduled, []error) {
	if len(base) == 0 {
		return nil, nil
	}
	own := violations(r.config)
	var rep reported
	out := make([]scheduled, len(base))
	for i, dw := range base {
		cfg := dw.config.Merge(e)
		windowErrors(&rep, WindowError{Window: dw.name, Index: i, Inherited: true}, cfg.Validate(), own)
		out[i] = scheduled{name: dw.name, timing: dw.timing,
			resolved: resolved{config: cfg, source: WindowSource(r.source, dw.name), fields: dw.fields.apply(e, r.source)}}
	}
	if err := rep.join(); err != nil {
		return nil, []error{err}
	}
	return out, nil
}

// violations returns the messages of the problems Validate finds in c, so
// that a window that merely inherits one of them does not report it again.
func violations(c CapacityScalingConfig) map[string]bool {
	err := c.Validate()
	if err == nil {
		return nil
	}
	out := map[string]bool{}
	for _, msg := range reasons(err, nil) {
		out[msg] = true
	}
	return out
}

// windowErrors adds each problem of err as a WindowError like proto, except
// those the entry itself has (own).
func windowErrors(rep *reported, proto WindowError, err error, own map[string]bool) {
	if err == nil {
		return
	}
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		for _, inner := range multi.Unwrap() {
			windowErrors(rep, proto, inner, own)
		}
		return
	}
	if own[err.Error()] {
		return
	}
	proto.Err = err
	rep.add(proto)
}

const minutesPerWeek = 7 * minutesPerDay

// weekSegments returns the minutes of the week (from Sunday 00:00, on the
// wall clock) at which the window is active, as [from, to) segments.
func (t *timing) weekSegments() [][2]int {
	var out [][2]int
	for wd := range 7 {
		if !t.days.has(time.Weekday(wd)) {
			continue
		}
		from := wd*minutesPerDay + t.start
		to := wd*minutesPerDay + t.end
		if t.wraps() {
			to += minutesPerDay
		}
		if to > minutesPerWeek {
			out = append(out, [2]int{from, minutesPerWeek}, [2]int{0, to - minutesPerWeek})
			continue
		}
		out = append(out, [2]int{from, to})
	}
	return out
}

// overlapYear is the reference year on which windows in different time
// zones are checked for overlaps.
const overlapYear = 2026

// checkOverlaps reports every pair of windows that can be active at the same
// time. Windows in the same zone are compared on the wall clock over the
// week, which is exact: by the DST rule (see localInstant), windows that do
// not overlap on the wall clock never overlap in time. Windows in different
// zones are compared instant by instant over every day of overlapYear,
// which covers each zone's DST changes of that year, but not a change of a
// zone's rules in another year.
func checkOverlaps(rep *reported, ws []scheduled, decoded []Window) {
	occurrences := make([][][2]time.Time, len(ws))
	segments := make([][][2]int, len(ws))
	for i := range ws {
		segments[i] = ws[i].timing.weekSegments()
	}
	for i := range ws {
		for j := i + 1; j < len(ws); j++ {
			a, b := ws[i].timing, ws[j].timing
			var why string
			if a.loc == b.loc {
				why = wallOverlap(segments[i], segments[j])
			} else {
				if occurrences[i] == nil {
					occurrences[i] = a.yearOccurrences()
				}
				if occurrences[j] == nil {
					occurrences[j] = b.yearOccurrences()
				}
				why = instantOverlap(occurrences[i], occurrences[j])
			}
			if why == "" {
				continue
			}
			msg := fmt.Sprintf("windows %s and %s overlap: both are active %s", quoteInput(ws[i].name), quoteInput(ws[j].name), why)
			if a.loc != b.loc {
				msg = fmt.Sprintf("windows %s (%s) and %s (%s) overlap: both are active %s", quoteInput(ws[i].name),
					decoded[i].TimeZone, quoteInput(ws[j].name), decoded[j].TimeZone, why)
			}
			rep.add(fieldErrorf(fieldSchedules, ErrWindowOverlap, "%s", msg))
		}
	}
}

// wallOverlap says when two windows of one zone, given by their
// weekSegments, are both active on the wall clock ("on Mon at 09:00"), ""
// if never.
func wallOverlap(a, b [][2]int) string {
	for _, x := range a {
		for _, y := range b {
			if from := max(x[0], y[0]); from < min(x[1], y[1]) {
				return fmt.Sprintf("on %s at %s", dayNames[from/minutesPerDay], formatClock(from%minutesPerDay))
			}
		}
	}
	return ""
}

// yearOccurrences returns the occurrences of the window that start in
// overlapYear, in order, skipping the empty ones.
func (t *timing) yearOccurrences() [][2]time.Time {
	var out [][2]time.Time
	first := time.Date(overlapYear, time.January, 1, 12, 0, 0, 0, time.UTC)
	for day := first; day.Year() <= overlapYear; day = day.AddDate(0, 0, 1) {
		if !t.days.has(day.Weekday()) {
			continue
		}
		y, mo, d := day.Date()
		if s, e := t.occurrence(y, mo, d); s.Before(e) {
			out = append(out, [2]time.Time{s, e})
		}
	}
	return out
}

// instantOverlap says when two sorted lists of occurrences first intersect
// ("at 2026-01-05 08:00 UTC"), "" if never.
func instantOverlap(a, b [][2]time.Time) string {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		from := a[i][0]
		if b[j][0].After(from) {
			from = b[j][0]
		}
		if from.Before(a[i][1]) && from.Before(b[j][1]) {
			return "at " + from.UTC().Format("2006-01-02 15:04 UTC")
		}
		if a[i][1].Before(b[j][1]) {
			i++
		} else {
			j++
		}
	}
	return ""
}
