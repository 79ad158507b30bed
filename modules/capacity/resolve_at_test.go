package capacity

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestLocalInstantDST pins the DST rule: a wall time the clock skips maps to
// the instant of the jump; a wall time that happens twice maps to its first
// occurrence. Go's time.Date alone picks differently in the two zones.
func TestLocalInstantDST(t *testing.T) {
	berlin, newYork := mustLoad(t, "Europe/Berlin"), mustLoad(t, "America/New_York")
	cases := map[string]struct {
		loc     *time.Location
		day     time.Time // the local day, as a UTC date
		minute  int
		want    time.Time
		wantOff int // hours east of UTC of the instant in loc
	}{
		// 2026-03-29 02:00 CET -> 03:00 CEST (01:00 UTC).
		"Berlin spring-forward, before the gap":   {berlin, utc(2026, 3, 29, 0, 0), 1*60 + 59, utc(2026, 3, 29, 0, 59), 1},
		"Berlin spring-forward, 02:00 is skipped": {berlin, utc(2026, 3, 29, 0, 0), 2 * 60, utc(2026, 3, 29, 1, 0), 2},
		"Berlin spring-forward, 02:30 is skipped": {berlin, utc(2026, 3, 29, 0, 0), 2*60 + 30, utc(2026, 3, 29, 1, 0), 2},
		"Berlin spring-forward, 03:00 exists":     {berlin, utc(2026, 3, 29, 0, 0), 3 * 60, utc(2026, 3, 29, 1, 0), 2},
		"Berlin spring-forward, 03:30":            {berlin, utc(2026, 3, 29, 0, 0), 3*60 + 30, utc(2026, 3, 29, 1, 30), 2},
		// 2026-10-25 03:00 CEST -> 02:00 CET (01:00 UTC): 02:00-02:59 twice.
		"Berlin fall-back, 02:00 first occurrence": {berlin, utc(2026, 10, 25, 0, 0), 2 * 60, utc(2026, 10, 25, 0, 0), 2},
		"Berlin fall-back, 02:30 first occurrence": {berlin, utc(2026, 10, 25, 0, 0), 2*60 + 30, utc(2026, 10, 25, 0, 30), 2},
		"Berlin fall-back, 03:00 happens once":     {berlin, utc(2026, 10, 25, 0, 0), 3 * 60, utc(2026, 10, 25, 2, 0), 1},
		// 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC).
		"New York spring-forward, 01:59":            {newYork, utc(2026, 3, 8, 0, 0), 1*60 + 59, utc(2026, 3, 8, 6, 59), -5},
		"New York spring-forward, 02:30 is skipped": {newYork, utc(2026, 3, 8, 0, 0), 2*60 + 30, utc(2026, 3, 8, 7, 0), -4},
		"New York spring-forward, 03:00":            {newYork, utc(2026, 3, 8, 0, 0), 3 * 60, utc(2026, 3, 8, 7, 0), -4},
		// 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC): 01:00-01:59 twice.
		"New York fall-back, 01:00 first occurrence": {newYork, utc(2026, 11, 1, 0, 0), 1 * 60, utc(2026, 11, 1, 5, 0), -4},
		"New York fall-back, 01:30 first occurrence": {newYork, utc(2026, 11, 1, 0, 0), 1*60 + 30, utc(2026, 11, 1, 5, 30), -4},
		"New York fall-back, 02:00 happens once":     {newYork, utc(2026, 11, 1, 0, 0), 2 * 60, utc(2026, 11, 1, 7, 0), -5},
		"24:00 is the next midnight":                 {newYork, utc(2026, 11, 1, 0, 0), 24 * 60, utc(2026, 11, 2, 5, 0), -5},
		"UTC":                                        {time.UTC, utc(2026, 3, 29, 0, 0), 2*60 + 30, utc(2026, 3, 29, 2, 30), 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			y, mo, d := tc.day.Date()
			got := localInstant(y, mo, d, tc.minute, tc.loc)
			if !got.Equal(tc.want) {
				t.Errorf("localInstant(%s, %s) = %s (%s), want %s", tc.day.Format(time.DateOnly), formatClock(tc.minute), got, got.UTC(), tc.want)
			}
			if _, off := got.In(tc.loc).Zone(); off != tc.wantOff*3600 {
				t.Errorf("offset %d s, want %d h", off, tc.wantOff)
			}
		})
	}
}

// scheduledData: a default with no windows and overrides whose windows show
// weekday ranges, midnight and both DST changes in two zones.
var scheduledData = map[string]string{
	DefaultKey: "kvCacheThreshold: 0.80\n",
	"granite-prod": "model_id: ibm/granite-13b\nnamespace: production\nkvCacheThreshold: 0.70\nschedules:\n" +
		window("name: business-hours", "days: Mon-Fri", "start: 09:00", "end: 17:00", "timeZone: Europe/Berlin", "kvCacheThreshold: 0.60") +
		window("name: weekend-night", "days: Sat", "start: 22:00", "end: 06:00", "timeZone: Europe/Berlin", "kvCacheThreshold: 0.90"),
	"berlin": "model_id: berlin\nnamespace: ns\nschedules:\n" +
		window("name: a", "days: Sun", "start: 00:00", "end: 02:30", "timeZone: Europe/Berlin", "queueLengthThreshold: 1") +
		window("name: b", "days: Sun", "start: 02:30", "end: 04:00", "timeZone: Europe/Berlin", "queueLengthThreshold: 2"),
	"new-york": "model_id: new-york\nnamespace: ns\nschedules:\n" +
		window("name: a", "days: Sun", "start: 00:00", "end: 01:30", "timeZone: America/New_York", "queueLengthThreshold: 1") +
		window("name: b", "days: Sun", "start: 01:30", "end: 02:30", "timeZone: America/New_York", "queueLengthThreshold: 2") +
		window("name: c", "days: Sun", "start: 02:30", "end: 04:00", "timeZone: America/New_York", "queueLengthThreshold: 3"),
}

// at is what TestResolveAt compares of a Resolution.
type at struct {
	Source    Source
	Window    string
	WindowEnd time.Time // in UTC
	Kv        float64
	Queue     int
}

func summarizeResolution(r Resolution) at {
	end := r.WindowEnd
	if !end.IsZero() {
		end = end.UTC()
	}
	return at{Source: r.Source, Window: r.Window, WindowEnd: end, Kv: r.Config.KvCacheThreshold, Queue: r.Config.QueueLengthThreshold}
}

func TestResolveAt(t *testing.T) {
	s := Parse(scheduledData, "1")
	if errs := s.Errors(); len(errs) != 0 {
		t.Fatalf("Errors() = %v", errs)
	}
	granite := func(window string, end time.Time, kv float64) at {
		src := OverrideSource("granite-prod")
		if window != "" {
			src = WindowSource(src, window)
		}
		return at{Source: src, Window: window, WindowEnd: end, Kv: kv, Queue: 5}
	}
	zone := func(key, window string, end time.Time, queue int) at {
		return at{Source: WindowSource(OverrideSource(key), window), Window: window, WindowEnd: end, Kv: 0.8, Queue: queue}
	}
	outside := func(key string) at { return at{Source: OverrideSource(key), Kv: 0.8, Queue: 5} }
	cases := map[string]struct {
		model string
		now   time.Time
		want  at
	}{
		// Berlin is UTC+1 until 2026-03-29.
		"weekday range: Monday before the start":   {"ibm/granite-13b", utc(2026, 3, 2, 7, 59), granite("", time.Time{}, 0.70)},
		"weekday range: Monday at the start":       {"ibm/granite-13b", utc(2026, 3, 2, 8, 0), granite("business-hours", utc(2026, 3, 2, 16, 0), 0.60)},
		"weekday range: Friday a minute before":    {"ibm/granite-13b", utc(2026, 3, 6, 15, 59), granite("business-hours", utc(2026, 3, 6, 16, 0), 0.60)},
		"weekday range: Friday at the end":         {"ibm/granite-13b", utc(2026, 3, 6, 16, 0), granite("", time.Time{}, 0.70)},
		"weekday range: Saturday is not in it":     {"ibm/granite-13b", utc(2026, 3, 7, 10, 0), granite("", time.Time{}, 0.70)},
		"after summer time starts, in local time":  {"ibm/granite-13b", utc(2026, 3, 30, 7, 0), granite("business-hours", utc(2026, 3, 30, 15, 0), 0.60)},
		"midnight: Saturday night":                 {"ibm/granite-13b", utc(2026, 3, 7, 22, 0), granite("weekend-night", utc(2026, 3, 8, 5, 0), 0.90)},
		"midnight: into Sunday morning":            {"ibm/granite-13b", utc(2026, 3, 8, 4, 59), granite("weekend-night", utc(2026, 3, 8, 5, 0), 0.90)},
		"midnight: Sunday 06:00 ends it":           {"ibm/granite-13b", utc(2026, 3, 8, 5, 0), granite("", time.Time{}, 0.70)},
		"midnight: Saturday early is not Friday's": {"ibm/granite-13b", utc(2026, 3, 7, 2, 0), granite("", time.Time{}, 0.70)},
		"a model without an override":              {"other", utc(2026, 3, 2, 8, 0), at{Source: SourceDefault, Kv: 0.8, Queue: 5}},

		// Europe/Berlin spring-forward, 2026-03-29 02:00 CET -> 03:00 CEST
		// (01:00 UTC): a ends at 02:30, which is skipped, so at the jump,
		// where b starts.
		"Berlin spring-forward: a before the jump": {"berlin", utc(2026, 3, 29, 0, 59), zone("berlin", "a", utc(2026, 3, 29, 1, 0), 1)},
		"Berlin spring-forward: b from the jump":   {"berlin", utc(2026, 3, 29, 1, 0), zone("berlin", "b", utc(2026, 3, 29, 2, 0), 2)},
		"Berlin spring-forward: b ends at 04:00":   {"berlin", utc(2026, 3, 29, 2, 0), outside("berlin")},
		// Europe/Berlin fall-back, 2026-10-25 03:00 CEST -> 02:00 CET
		// (01:00 UTC): 02:30 counts at its first occurrence (00:30 UTC); b
		// then runs through the repeated hour until 04:00 CET.
		"Berlin fall-back: a until the first 02:30": {"berlin", utc(2026, 10, 25, 0, 29), zone("berlin", "a", utc(2026, 10, 25, 0, 30), 1)},
		"Berlin fall-back: b from the first 02:30":  {"berlin", utc(2026, 10, 25, 0, 30), zone("berlin", "b", utc(2026, 10, 25, 3, 0), 2)},
		"Berlin fall-back: b in the repeated hour":  {"berlin", utc(2026, 10, 25, 1, 10), zone("berlin", "b", utc(2026, 10, 25, 3, 0), 2)},
		"Berlin fall-back: b ends at 04:00 CET":     {"berlin", utc(2026, 10, 25, 3, 0), outside("berlin")},
		"Berlin: a starts at midnight local (CEST)": {"berlin", utc(2026, 10, 24, 22, 0), zone("berlin", "a", utc(2026, 10, 25, 0, 30), 1)},
		"Berlin: before midnight local is Saturday": {"berlin", utc(2026, 10, 24, 21, 59), outside("berlin")},

		// America/New_York spring-forward, 2026-03-08 02:00 EST -> 03:00 EDT
		// (07:00 UTC): b ends at 02:30, skipped, so at the jump.
		"New York spring-forward: b before the jump": {"new-york", utc(2026, 3, 8, 6, 59), zone("new-york", "b", utc(2026, 3, 8, 7, 0), 2)},
		"New York spring-forward: c from the jump":   {"new-york", utc(2026, 3, 8, 7, 0), zone("new-york", "c", utc(2026, 3, 8, 8, 0), 3)},
		// America/New_York fall-back, 2026-11-01 02:00 EDT -> 01:00 EST
		// (06:00 UTC): a ends at the first 01:30 (05:30 UTC); at 01:15 EST,
		// the second pass, b is active although the wall clock is in a.
		"New York fall-back: a until the first 01:30": {"new-york", utc(2026, 11, 1, 5, 29), zone("new-york", "a", utc(2026, 11, 1, 5, 30), 1)},
		"New York fall-back: b in the repeated hour":  {"new-york", utc(2026, 11, 1, 6, 15), zone("new-york", "b", utc(2026, 11, 1, 7, 30), 2)},
		"New York fall-back: c from 02:30 EST":        {"new-york", utc(2026, 11, 1, 7, 30), zone("new-york", "c", utc(2026, 11, 1, 9, 0), 3)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ns := "ns"
			if tc.model == "ibm/granite-13b" {
				ns = "production"
			}
			if diff := cmp.Diff(tc.want, summarizeResolution(s.ResolveAt(tc.model, ns, tc.now))); diff != "" {
				t.Errorf("ResolveAt(%s, %s): -want +got:\n%s", tc.model, tc.now, diff)
			}
		})
	}
}

// TestResolveAtMerge pins how an override's schedules combine with the
// default's: an override that declares no schedules inherits the default's
// windows, and while one is active inherits from the default as that window
// makes it (still setting exactly the fields it names); an override that
// declares schedules, even an empty list, uses only its own.
func TestResolveAtMerge(t *testing.T) {
	data := map[string]string{
		DefaultKey: "kvCacheThreshold: 0.80\nschedules:\n" +
			window("name: night", "days: Mon-Sun", "start: 22:00", "end: 06:00", "timeZone: UTC", "kvCacheThreshold: 0.90", "queueSpareTrigger: 1"),
		"inherits": "model_id: inherits\nnamespace: ns\nqueueLengthThreshold: 7\n",
		"pins":     "model_id: pins\nnamespace: ns\nkvCacheThreshold: 0.70\n",
		"own": "model_id: own\nnamespace: ns\nschedules:\n" +
			window("name: peak", "days: Mon-Fri", "start: 12:00", "end: 13:00", "timeZone: UTC", "kvCacheThreshold: 0.50"),
		"opts-out": "model_id: opts-out\nnamespace: ns\nschedules: []\n",
	}
	s := Parse(data, "1")
	if errs := s.Errors(); len(errs) != 0 {
		t.Fatalf("Errors() = %v", errs)
	}
	night, noon := utc(2026, 3, 3, 23, 0), utc(2026, 3, 3, 12, 30) // a Tuesday
	def := func(src Source) Source { return src }
	cases := map[string]struct {
		model string
		now   time.Time
		want  Resolution
	}{
		"the default's window": {"none", night, Resolution{Config: cfg(0.90, 5, 0.10, 1), Source: "default#night", Window: "night", WindowEnd: utc(2026, 3, 4, 6, 0),
			Fields: Provenance{KvCacheThreshold: "default#night", QueueLengthThreshold: SourceBuiltin, KvSpareTrigger: SourceBuiltin, QueueSpareTrigger: "default#night"}}},
		"the default outside it": {"none", noon, Resolution{Config: cfg(0.80, 5, 0.10, 3), Source: SourceDefault,
			Fields: Provenance{KvCacheThreshold: SourceDefault, QueueLengthThreshold: SourceBuiltin, KvSpareTrigger: SourceBuiltin, QueueSpareTrigger: SourceBuiltin}}},
		"an override inherits the default's window": {"inherits", night, Resolution{Config: override("inherits", "ns", cfg(0.90, 7, 0.10, 1)),
			Source: "override/inherits#night", Window: "night", WindowEnd: utc(2026, 3, 4, 6, 0),
			Fields: Provenance{KvCacheThreshold: "default#night", QueueLengthThreshold: "override/inherits", KvSpareTrigger: SourceBuiltin, QueueSpareTrigger: "default#night"}}},
		"what an override sets wins over an inherited window": {"pins", night, Resolution{Config: override("pins", "ns", cfg(0.70, 5, 0.10, 1)),
			Source: "override/pins#night", Window: "night", WindowEnd: utc(2026, 3, 4, 6, 0),
			Fields: Provenance{KvCacheThreshold: "override/pins", QueueLengthThreshold: SourceBuiltin, KvSpareTrigger: SourceBuiltin, QueueSpareTrigger: "default#night"}}},
		"an override with its own schedules does not inherit the default's": {"own", night, Resolution{Config: override("own", "ns", cfg(0.80, 5, 0.10, 3)),
			Source: "override/own",
			Fields: Provenance{KvCacheThreshold: SourceDefault, QueueLengthThreshold: SourceBuiltin, KvSpareTrigger: SourceBuiltin, QueueSpareTrigger: SourceBuiltin}}},
		"an override's own window": {"own", noon, Resolution{Config: override("own", "ns", cfg(0.50, 5, 0.10, 3)),
			Source: "override/own#peak", Window: "peak", WindowEnd: utc(2026, 3, 3, 13, 0),
			Fields: Provenance{KvCacheThreshold: "override/own#peak", QueueLengthThreshold: SourceBuiltin, KvSpareTrigger: SourceBuiltin, QueueSpareTrigger: SourceBuiltin}}},
		"schedules: [] opts out of the default's windows": {"opts-out", night, Resolution{Config: override("opts-out", "ns", cfg(0.80, 5, 0.10, 3)),
			Source: def("override/opts-out"),
			Fields: Provenance{KvCacheThreshold: SourceDefault, QueueLengthThreshold: SourceBuiltin, KvSpareTrigger: SourceBuiltin, QueueSpareTrigger: SourceBuiltin}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := s.ResolveAt(tc.model, "ns", tc.now)
			if !got.WindowEnd.IsZero() {
				got.WindowEnd = got.WindowEnd.UTC()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ResolveAt(%s): -want +got:\n%s", tc.model, diff)
			}
			// Resolve keeps its meaning: the entry's own values.
			c, src := s.Resolve(tc.model, "ns")
			if e := s.Explain(tc.model, "ns"); src != tc.want.Source.Entry() || e.Config != c {
				t.Errorf("Resolve(%s) = %s, want the entry %s", tc.model, src, tc.want.Source.Entry())
			}
		})
	}
}

// TestWindowActiveAtStartup: a snapshot parsed while a window is active
// applies it at once, and says when it ends.
func TestWindowActiveAtStartup(t *testing.T) {
	startup := utc(2026, 3, 4, 10, 0) // Wednesday 11:00 in Berlin
	store := NewStore(Parse(scheduledData, "1"))
	r := store.Load().ResolveAt("ibm/granite-13b", "production", startup)
	if r.Window != "business-hours" || r.Config.KvCacheThreshold != 0.60 {
		t.Errorf("ResolveAt at startup = %+v, want the business-hours window", r)
	}
	if next, ok := store.Load().NextTransitionFor("ibm/granite-13b", "production", startup); !ok || !next.Equal(r.WindowEnd) || !next.Equal(utc(2026, 3, 4, 16, 0)) {
		t.Errorf("NextTransitionFor at startup = %s, %t; want the window's end %s", next, ok, r.WindowEnd)
	}
}

func TestNextTransition(t *testing.T) {
	s := Parse(scheduledData, "1")
	gap := Parse(map[string]string{"g": "model_id: m\nnamespace: ns\nschedules:\n" +
		window("name: skipped", "days: Sun", "start: 02:10", "end: 02:20", "timeZone: Europe/Berlin")}, "1")
	cases := map[string]struct {
		s        *Snapshot
		model    string // "" for NextTransition
		now      time.Time
		want     time.Time
		wantNone bool
	}{
		"no schedules":                      {s: Parse(map[string]string{DefaultKey: ""}, "1"), now: utc(2026, 3, 2, 0, 0), wantNone: true},
		"nil snapshot":                      {s: nil, now: utc(2026, 3, 2, 0, 0), wantNone: true},
		"the next start":                    {s: s, now: utc(2026, 3, 2, 7, 0), want: utc(2026, 3, 2, 8, 0)},
		"strictly after now":                {s: s, now: utc(2026, 3, 2, 8, 0), want: utc(2026, 3, 2, 16, 0)},
		"the earliest of every entry's":     {s: s, now: utc(2026, 3, 7, 22, 30), want: utc(2026, 3, 7, 23, 0)}, // berlin a starts Sun 00:00 CET
		"for one model: past midnight":      {s: s, model: "ibm/granite-13b", now: utc(2026, 3, 7, 23, 0), want: utc(2026, 3, 8, 5, 0)},
		"for one model: over the weekend":   {s: s, model: "ibm/granite-13b", now: utc(2026, 3, 8, 5, 0), want: utc(2026, 3, 9, 8, 0)},
		"for a model without windows":       {s: s, model: "other", now: utc(2026, 3, 8, 5, 0), wantNone: true},
		"Berlin spring-forward: the jump":   {s: s, model: "berlin", now: utc(2026, 3, 29, 0, 0), want: utc(2026, 3, 29, 1, 0)},
		"Berlin spring-forward: b's end":    {s: s, model: "berlin", now: utc(2026, 3, 29, 1, 0), want: utc(2026, 3, 29, 2, 0)},
		"Berlin fall-back: first 02:30":     {s: s, model: "berlin", now: utc(2026, 10, 25, 0, 0), want: utc(2026, 10, 25, 0, 30)},
		"Berlin fall-back: 04:00 CET":       {s: s, model: "berlin", now: utc(2026, 10, 25, 0, 30), want: utc(2026, 10, 25, 3, 0)},
		"New York spring-forward: the jump": {s: s, model: "new-york", now: utc(2026, 3, 8, 6, 30), want: utc(2026, 3, 8, 7, 0)},
		"New York fall-back: first 01:30":   {s: s, model: "new-york", now: utc(2026, 11, 1, 5, 0), want: utc(2026, 11, 1, 5, 30)},
		"New York fall-back: 02:30 EST":     {s: s, model: "new-york", now: utc(2026, 11, 1, 5, 30), want: utc(2026, 11, 1, 7, 30)},
		"a window DST skips entirely":       {s: gap, now: utc(2026, 3, 28, 12, 0), want: utc(2026, 4, 5, 0, 10)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got time.Time
			var ok bool
			if tc.model == "" {
				got, ok = tc.s.NextTransition(tc.now)
			} else {
				ns := "ns"
				if tc.model == "ibm/granite-13b" {
					ns = "production"
				}
				got, ok = tc.s.NextTransitionFor(tc.model, ns, tc.now)
			}
			if ok == tc.wantNone || (ok && !got.Equal(tc.want)) {
				t.Errorf("next transition after %s = %s, %t; want %s (none: %t)", tc.now, got.UTC(), ok, tc.want, tc.wantNone)
			}
		})
	}
}

// TestNextTransitionAgreesWithResolveAt walks minute by minute through the
// weeks of both DST changes in both zones: the resolution of every model
// changes exactly at the transitions NextTransition announces.
func TestNextTransitionAgreesWithResolveAt(t *testing.T) {
	s := Parse(scheduledData, "1")
	models := [][2]string{{"ibm/granite-13b", "production"}, {"berlin", "ns"}, {"new-york", "ns"}}
	for _, start := range []time.Time{utc(2026, 3, 4, 0, 0), utc(2026, 3, 25, 0, 0), utc(2026, 10, 21, 0, 0), utc(2026, 10, 28, 0, 0)} {
		now := start
		next, ok := s.NextTransition(now)
		prev := make([]Resolution, len(models))
		for i, m := range models {
			prev[i] = s.ResolveAt(m[0], m[1], now)
		}
		for step := 0; step < 7*24*60; step++ {
			now = now.Add(time.Minute)
			crossed := ok && !now.Before(next)
			changed := false
			for i, m := range models {
				r := s.ResolveAt(m[0], m[1], now)
				if r.Source != prev[i].Source || r.Config != prev[i].Config {
					changed = true
					if !crossed {
						t.Fatalf("%s at %s changed from %s to %s before the next transition %s", m[0], now.UTC(), prev[i].Source, r.Source, next.UTC())
					}
				}
				prev[i] = r
			}
			if crossed {
				// Windows start and end on whole minutes, so a transition
				// changes something at the minute it happens.
				if !now.Equal(next) {
					t.Fatalf("passed the transition %s without stopping at it (now %s)", next.UTC(), now.UTC())
				}
				if !changed {
					t.Fatalf("nothing changed at the transition %s", next.UTC())
				}
				next, ok = s.NextTransition(now)
			}
		}
	}
}

func TestResolveAtAllocatesNothing(t *testing.T) {
	s := Parse(scheduledData, "1")
	for name, now := range map[string]time.Time{"in a window": utc(2026, 3, 2, 8, 0), "outside": utc(2026, 3, 2, 20, 0), "on a DST day": utc(2026, 10, 25, 1, 10)} {
		allocs := testing.AllocsPerRun(1000, func() {
			for _, m := range [][2]string{{"ibm/granite-13b", "production"}, {"berlin", "ns"}, {"other", "ns"}} {
				if r := s.ResolveAt(m[0], m[1], now); r.Source == "" {
					t.Fatal("empty source")
				}
			}
		})
		if allocs != 0 {
			t.Errorf("ResolveAt (%s) allocates %.1f times per call, want 0", name, allocs)
		}
	}
}

func TestResolveAtNilSnapshot(t *testing.T) {
	var s *Snapshot
	if r := s.ResolveAt("m", "ns", utc(2026, 3, 2, 8, 0)); r.Source != SourceBuiltin || r.Config != DefaultCapacityScalingConfig() || r.Window != "" {
		t.Errorf("nil snapshot ResolveAt = %+v, want the built-ins", r)
	}
}

// TestResolveAtConcurrentSafe has readers resolve at their own instants and
// ask for the next transition on one shared snapshot, whose schedules (time
// zones included) are read-only after Parse.
func TestResolveAtConcurrentSafe(t *testing.T) {
	s := Parse(scheduledData, "1")
	want := s.ResolveAt("ibm/granite-13b", "production", utc(2026, 3, 2, 8, 0))
	wantNext, _ := s.NextTransition(utc(2026, 10, 25, 0, 0))
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 4 {
		wg.Go(func() {
			for range 500 {
				if r := s.ResolveAt("ibm/granite-13b", "production", utc(2026, 3, 2, 8, 0)); r != want {
					errs <- fmt.Sprintf("ResolveAt = %+v, want %+v", r, want)
					return
				}
				if next, _ := s.NextTransition(utc(2026, 10, 25, 0, 0)); !next.Equal(wantNext) {
					errs <- fmt.Sprintf("NextTransition = %s, want %s", next, wantNext)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
