package capacity

import (
	"fmt"
	"strings"
	"time"

	// The zone database is embedded (about 450 KB of binary size) so that
	// a window's timeZone resolves the same way whatever the image holds.
	_ "time/tzdata"
)

// MaxWindows bounds the windows of one entry, so that resolving a model at
// a given time is constant-time (ResolveAt looks at every window of the
// entry that applies).
const MaxWindows = 16

// minutesPerDay is the length of a day on the wall clock; a window's End
// may be minutesPerDay ("24:00").
const minutesPerDay = 24 * 60

// Window is one decoded window of an entry's schedules: from Start to End
// (minutes after local midnight, the window being [Start, End)) on each of
// Days, in TimeZone. An End at or before Start passes midnight: the window
// then ends on the day after the one it starts on, and Days names the day
// it starts. The pointer fields record presence, as in Entry: while the
// window is active, the thresholds it sets replace the entry's.
type Window struct {
	Name string
	// Days are the weekdays the window starts on, Monday first, each once.
	Days []time.Weekday
	// Start is in [0, 1440); End is in [0, 1440], 1440 being "24:00".
	Start, End int
	// TimeZone is the IANA name of the zone Start and End are read in.
	TimeZone string

	KvCacheThreshold     *float64
	QueueLengthThreshold *int
	KvSpareTrigger       *float64
	QueueSpareTrigger    *int
}

// thresholds returns the window's thresholds as an Entry, for Merge.
func (w Window) thresholds() Entry {
	return Entry{KvCacheThreshold: w.KvCacheThreshold, QueueLengthThreshold: w.QueueLengthThreshold,
		KvSpareTrigger: w.KvSpareTrigger, QueueSpareTrigger: w.QueueSpareTrigger}
}

// WindowError is one problem with one window of an entry. Error prefixes
// the problem with the window's name, for example
//
//	window "business-hours": kvCacheThreshold must be between 0 and 1, got 1.50
//
// and the entry is named, as for every reason, by the EntryError's Key.
// Unwrap returns Err, so the sentinels and FieldErrors inside match.
type WindowError struct {
	// Window is the window's name; when the window has no valid name, Index
	// (from 0) says which item of schedules it is.
	Window string
	Index  int
	// Inherited: the window is the default entry's, applied to an override
	// that declares no schedules of its own.
	Inherited bool
	Err       error
}

func (e WindowError) Error() string {
	label := fmt.Sprintf("schedules[%d]", e.Index)
	if e.Window != "" {
		label = "window " + quoteInput(e.Window)
	}
	if e.Inherited {
		label += fmt.Sprintf(" (inherited from the %q entry)", DefaultKey)
	}
	return label + ": " + e.Err.Error()
}

func (e WindowError) Unwrap() error { return e.Err }

// weekdays is a set of weekdays, bit i for time.Weekday(i).
type weekdays uint8

func (d weekdays) has(w time.Weekday) bool { return d&(1<<w) != 0 }

// dayNames are the names a window's days use, in time.Weekday order.
var dayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

func parseDay(s string) (time.Weekday, bool) {
	for i, n := range dayNames {
		if s == n {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseDays reads one item of days: a day (Mon) or a range (Mon-Fri; a
// range may wrap around the week, Fri-Mon).
func parseDays(s string) (weekdays, bool) {
	from, to, isRange := strings.Cut(s, "-")
	a, ok := parseDay(from)
	if !ok {
		return 0, false
	}
	if !isRange {
		return 1 << a, true
	}
	b, ok := parseDay(to)
	if !ok || a == b {
		return 0, false
	}
	var d weekdays
	for w := a; ; w = (w + 1) % 7 {
		d |= 1 << w
		if w == b {
			return d, true
		}
	}
}

// parseClock reads HH:MM (00:00 to 23:59, and 24:00 when end is true) as
// minutes after midnight.
func parseClock(s string, end bool) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	digit := func(c byte) (int, bool) { return int(c - '0'), c >= '0' && c <= '9' }
	h1, ok1 := digit(s[0])
	h2, ok2 := digit(s[1])
	m1, ok3 := digit(s[3])
	m2, ok4 := digit(s[4])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, false
	}
	h, m := h1*10+h2, m1*10+m2
	switch {
	case m > 59, h > 24, h == 24 && (!end || m != 0):
		return 0, false
	}
	return h*60 + m, true
}

func formatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// timing is the compiled schedule of one window: when it is active.
type timing struct {
	days       weekdays
	start, end int // minutes after midnight; end <= start passes midnight
	loc        *time.Location
}

// wraps reports whether the window ends on the day after it starts.
func (t *timing) wraps() bool { return t.end <= t.start }

// localInstant returns the instant at which the wall clock of loc reads
// minute m (0..1440) of the day y-mo-d (d may overflow; it is normalized).
// It follows the package's DST rule:
//   - a wall time that does not exist (it falls in the hour the clock skips
//     when it springs forward) maps to the instant of the jump: in
//     Europe/Berlin on 2026-03-29, 02:30 maps to 03:00 CEST;
//   - a wall time that happens twice (the hour repeated when the clock falls
//     back) maps to its first occurrence: in Europe/Berlin on 2026-10-25,
//     02:30 maps to 02:30 CEST, not 02:30 CET.
//
// So the mapping from wall time to instant never goes backwards, and two
// windows that do not overlap on the wall clock never overlap in time.
// Go's time.Date picks differently in different zones, so it is corrected
// here. localInstant allocates nothing.
func localInstant(y int, mo time.Month, d, m int, loc *time.Location) time.Time {
	t := time.Date(y, mo, d, 0, m, 0, 0, loc)
	_, off := t.Zone()
	want := time.Date(y, mo, d, 0, m, 0, 0, time.UTC).Unix()
	got := t.Unix() + int64(off)
	start, end := t.ZoneBounds()
	switch {
	case got > want:
		// Skipped wall time, normalized forward: the jump is where t's zone
		// period starts.
		return start
	case got < want:
		// Skipped wall time, normalized backward: the jump is where t's
		// zone period ends.
		return end
	}
	if start.IsZero() {
		return t
	}
	_, prevOff := start.Add(-time.Second).Zone()
	if prevOff > off {
		// The clock fell back at start: the same wall time happened earlier,
		// in the previous zone period, if it lies before start.
		if alt := t.Add(-time.Duration(prevOff-off) * time.Second); alt.Before(start) {
			return alt
		}
	}
	return t
}

// occurrence returns the instants at which the window's occurrence starting
// on local day y-mo-d begins and ends. An occurrence that DST leaves empty
// (both times in the skipped hour) has start == end and never happens.
func (t *timing) occurrence(y int, mo time.Month, d int) (start, end time.Time) {
	endDay := d
	if t.wraps() {
		endDay++
	}
	return localInstant(y, mo, d, t.start, t.loc), localInstant(y, mo, endDay, t.end, t.loc)
}

// foldSlack bounds, in minutes, how far the wall clock ever goes back when
// it falls back (an hour in most zones, two at most in the zone database).
const foldSlack = 4 * 60

// activeAt reports whether the window is active at now and, if so, when
// this occurrence ends. Only the occurrences starting on now's local day
// and the day before can contain now (a window lasts at most a day). It
// allocates nothing.
//
// An occurrence is first compared with now on the wall clock, which needs
// no zone lookup and is exact where it decides: a wall reading at or after
// the end means the end has passed (the mapping from wall time to instant
// never goes backwards, and now is at or after the first instant showing
// its own reading), and a reading more than foldSlack before the start
// means the start is still ahead. Only an occurrence near now is mapped to
// instants.
func (t *timing) activeAt(now time.Time) (time.Time, bool) {
	// The wall clock from one zone lookup: days since 1970-01-01 (a
	// Thursday) and the minute of the day.
	_, off := now.In(t.loc).Zone()
	secs := now.Unix() + int64(off)
	days := secs / 86400
	if secs%86400 < 0 {
		days--
	}
	wall := int((secs - days*86400) / 60)
	wd := time.Weekday((days%7 + 7 + 4) % 7)
	var y, d int
	var mo time.Month
	dated := false
	for back := 0; back <= 1; back++ {
		if !t.days.has(time.Weekday((int(wd) - back + 7) % 7)) {
			continue
		}
		from, to := t.start-back*minutesPerDay, t.end-back*minutesPerDay
		if t.wraps() {
			to += minutesPerDay
		}
		if wall >= to || wall < from-foldSlack {
			continue
		}
		if !dated {
			y, mo, d = time.Unix(days*86400, 0).UTC().Date()
			dated = true
		}
		if now.Before(localInstant(y, mo, d-back, t.start, t.loc)) {
			continue
		}
		endDay := d - back
		if t.wraps() {
			endDay++
		}
		if e := localInstant(y, mo, endDay, t.end, t.loc); now.Before(e) {
			return e, true
		}
	}
	return time.Time{}, false
}

// next returns the first start or end of an occurrence of the window after
// now, looking at the occurrences that start from the day before now's
// local day to two weeks after it, which always holds one: a window starts
// at least once a week, and DST can make at most one occurrence in a row
// empty.
func (t *timing) next(now time.Time) (time.Time, bool) {
	local := now.In(t.loc)
	y, mo, d := local.Date()
	wd := local.Weekday()
	for k := -1; k <= 14; k++ {
		if !t.days.has(time.Weekday((int(wd) + k + 7) % 7)) {
			continue
		}
		s, e := t.occurrence(y, mo, d+k)
		switch {
		case !s.Before(e): // empty: DST skipped it
		case s.After(now):
			return s, true
		case e.After(now):
			return e, true
		}
	}
	return time.Time{}, false
}
