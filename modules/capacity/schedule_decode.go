package capacity

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The YAML names of the fields of a window.
const (
	fieldSchedules  = "schedules"
	fieldWindowName = "name"
	fieldDays       = "days"
	fieldStart      = "start"
	fieldEnd        = "end"
	fieldTimeZone   = "timeZone"
)

// windowFieldNames lists the fields a window may set, in the order the
// "valid fields" hint gives them.
var windowFieldNames = []string{fieldWindowName, fieldDays, fieldStart, fieldEnd, fieldTimeZone,
	fieldKvCacheThreshold, fieldQueueLengthThreshold, fieldKvSpareTrigger, fieldQueueSpareTrigger}

var validWindowFieldsHint = " (valid fields of a window: " + strings.Join(windowFieldNames, ", ") + ")"

var normalizedWindowFields = normalizeAll(windowFieldNames)

// rawWindow holds the scalars of one window as written (see rawyaml.go).
type rawWindow struct {
	Name                 rawScalar `yaml:"name"`
	Start                rawScalar `yaml:"start"`
	End                  rawScalar `yaml:"end"`
	TimeZone             rawScalar `yaml:"timeZone"`
	KvCacheThreshold     rawScalar `yaml:"kvCacheThreshold"`
	QueueLengthThreshold rawScalar `yaml:"queueLengthThreshold"`
	KvSpareTrigger       rawScalar `yaml:"kvSpareTrigger"`
	QueueSpareTrigger    rawScalar `yaml:"queueSpareTrigger"`
}

func (w *rawWindow) get(name string) rawScalar {
	switch name {
	case fieldWindowName:
		return w.Name
	case fieldStart:
		return w.Start
	case fieldEnd:
		return w.End
	case fieldTimeZone:
		return w.TimeZone
	case fieldKvCacheThreshold:
		return w.KvCacheThreshold
	case fieldQueueLengthThreshold:
		return w.QueueLengthThreshold
	case fieldKvSpareTrigger:
		return w.KvSpareTrigger
	case fieldQueueSpareTrigger:
		return w.QueueSpareTrigger
	}
	return rawScalar{}
}

// zones caches the time zones one Parse loads, so each is read once.
type zones map[string]*time.Location

func (z zones) load(name string) (*time.Location, bool) {
	if loc, ok := z[name]; ok {
		return loc, loc != nil
	}
	var loc *time.Location
	// "Local" would depend on the machine, "" would mean UTC without saying so.
	if name != "" && name != "Local" && len(name) <= 255 {
		if l, err := time.LoadLocation(name); err == nil {
			loc = l
		}
	}
	z[name] = loc
	return loc, loc != nil
}

// decodeSchedules decodes the value of the schedules field. Every problem is
// a FieldError, or a WindowError naming the window.
func decodeSchedules(v any, raw []rawWindow, z zones, r *reported) []Window {
	items, ok := v.([]any)
	if !ok {
		r.add(fieldErrorf(fieldSchedules, ErrWrongType,
			"schedules must be a list of windows (each with name, days, start, end and timeZone), got %s", describe(v)))
		return nil
	}
	if len(items) > MaxWindows {
		r.add(fieldErrorf(fieldSchedules, ErrOutOfRange, "schedules has %d windows, at most %d are allowed", len(items), MaxWindows))
		return nil
	}
	out := make([]Window, 0, len(items))
	names := make(map[string]bool, len(items))
	bad := false
	for i, item := range items {
		var rw rawWindow
		if i < len(raw) {
			rw = raw[i]
		}
		w, ok := decodeWindow(i, item, rw, z, r)
		if !ok {
			bad = true
			continue
		}
		if names[w.Name] {
			r.add(WindowError{Window: w.Name, Index: i, Err: fieldErrorf(fieldWindowName, ErrInvalidValue,
				"name is used by another window of this entry: each window needs its own name")})
			bad = true
			continue
		}
		names[w.Name] = true
		out = append(out, w)
	}
	if bad {
		return nil
	}
	return out
}

// decodeWindow decodes one item of schedules; ok is false if it has problems
// (added to r).
func decodeWindow(i int, item any, raw rawWindow, z zones, r *reported) (w Window, ok bool) {
	fields, isMap := item.(map[string]any)
	if !isMap {
		r.add(WindowError{Index: i, Err: fieldErrorf("", ErrWrongType,
			"a window must be a YAML mapping of fields (name, days, start, end, timeZone and thresholds), got %s", describe(item))})
		return Window{}, false
	}
	// The name first, so that every other problem can name the window.
	if v, present := fields[fieldWindowName]; present {
		if name, err := decodeName(fieldWindowName, v, raw.Name); err == nil && isWindowName(name) {
			w.Name = name
		}
	}
	n := 0
	fail := func(err error) {
		n++
		r.add(WindowError{Window: w.Name, Index: i, Err: err})
	}
	for _, k := range []string{fieldWindowName, fieldDays, fieldStart, fieldEnd, fieldTimeZone} {
		if _, present := fields[k]; !present {
			fail(fieldErrorf(k, ErrMissingField, "%s is required", k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		v, rv := fields[k], raw.get(k)
		if !slices.Contains(windowFieldNames, k) {
			fail(unknownWindowFieldError(k))
			continue
		}
		if tag := rv.unsupportedTag(); tag != "" {
			fail(tagError(k, tag))
			continue
		}
		var err error
		switch k {
		case fieldWindowName:
			if w.Name == "" {
				if _, err = decodeName(k, v, rv); err == nil {
					s, _ := v.(string)
					err = fieldErrorf(k, ErrInvalidValue, "name must be at most 63 lowercase letters, digits and '-', "+
						"starting and ending with a letter or digit (it is shown in sources such as override/<key>#<name>), got %s", quoteInput(s))
				}
			}
		case fieldDays:
			w.Days, err = decodeDays(v)
		case fieldStart:
			w.Start, err = decodeClock(k, v, false)
		case fieldEnd:
			w.End, err = decodeClock(k, v, true)
		case fieldTimeZone:
			w.TimeZone, err = decodeTimeZone(v, rv, z)
		default:
			err = thresholdsOf(&w.KvCacheThreshold, &w.QueueLengthThreshold, &w.KvSpareTrigger, &w.QueueSpareTrigger).
				decode(k, v, rv)
		}
		if err != nil {
			fail(err)
		}
	}
	if n == 0 && w.Start == w.End {
		fail(fieldErrorf(fieldEnd, ErrInvalidValue,
			"start and end are both %s: a window must not be empty (a whole day runs from 00:00 to 24:00)", formatClock(w.Start)))
	}
	return w, n == 0
}

// isWindowName: a window's name is a DNS-1123 label, so that it can be
// shown after '#' in a source.
func isWindowName(s string) bool { return isDNS1123Label(s) }

const daysHint = "Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri"

// decodeDays reads days: a day or range, or a list of them.
func decodeDays(v any) ([]time.Weekday, error) {
	items, isList := v.([]any)
	if !isList {
		items = []any{v}
	}
	if len(items) == 0 {
		return nil, fieldErrorf(fieldDays, ErrInvalidValue, "days must name at least one day (%s)", daysHint)
	}
	var set weekdays
	for _, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, fieldErrorf(fieldDays, ErrWrongType, "days must be a day or a list of days (%s), got %s", daysHint, describe(item))
		}
		d, ok := parseDays(s)
		if !ok {
			return nil, fieldErrorf(fieldDays, ErrInvalidValue, "days must be %s, got %s", daysHint, quoteInput(s))
		}
		set |= d
	}
	out := make([]time.Weekday, 0, 7)
	for i := range 7 {
		if wd := time.Weekday((i + 1) % 7); set.has(wd) {
			out = append(out, wd)
		}
	}
	return out, nil
}

func decodeClock(field string, v any, end bool) (int, error) {
	rangeText := "00:00 to 23:59"
	if end {
		rangeText = "00:00 to 24:00"
	}
	s, ok := v.(string)
	if !ok {
		return 0, fieldErrorf(field, ErrWrongType, "%s must be a time of day written HH:MM (%s), got %s", field, rangeText, describe(v))
	}
	m, ok := parseClock(s, end)
	if !ok {
		return 0, fieldErrorf(field, ErrInvalidValue, "%s must be a time of day written HH:MM (%s), got %s", field, rangeText, quoteInput(s))
	}
	return m, nil
}

func decodeTimeZone(v any, raw rawScalar, z zones) (string, error) {
	s, err := decodeName(fieldTimeZone, v, raw)
	if err != nil {
		return "", err
	}
	if _, ok := z.load(s); !ok {
		return "", fieldErrorf(fieldTimeZone, ErrInvalidValue,
			"timeZone must be an IANA time zone name such as Europe/Berlin or UTC, got %s", quoteInput(s))
	}
	return s, nil
}

func unknownWindowFieldError(name string) error {
	msg := "unknown field " + quoteInput(name)
	if s := suggestFrom(name, windowFieldNames, normalizedWindowFields); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else {
		msg += validWindowFieldsHint
	}
	return FieldError{Field: name, Err: ErrUnknownField, Message: msg}
}
