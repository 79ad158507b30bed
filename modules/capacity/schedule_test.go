package capacity

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// window returns the YAML of one schedules item with the given fields
// (each "key: value"), indented for an entry.
func window(fields ...string) string {
	return "- " + strings.Join(fields, "\n  ") + "\n"
}

// businessHours is a window Mon-Fri 09:00-17:00 in Europe/Berlin.
func businessHours(thresholds ...string) string {
	return window(append([]string{"name: business-hours", "days: Mon-Fri", "start: 09:00", "end: 17:00",
		"timeZone: Europe/Berlin"}, thresholds...)...)
}

func TestDecodeSchedules(t *testing.T) {
	cases := map[string]struct {
		text    string
		want    Entry
		wantErr []string // reasons, as EntryError.Error() splits them
	}{
		"no schedules": {text: "kvCacheThreshold: 0.8", want: Entry{KvCacheThreshold: ptr(0.8)}},
		"empty list: the entry declares no windows (an override opts out of the default's)": {
			text: "schedules: []", want: Entry{HasSchedules: true, Schedules: []Window{}},
		},
		"a weekday range": {
			text: "schedules:\n" + businessHours("kvCacheThreshold: 0.7"),
			want: Entry{HasSchedules: true, Schedules: []Window{{Name: "business-hours",
				Days:  []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
				Start: 9 * 60, End: 17 * 60, TimeZone: "Europe/Berlin", KvCacheThreshold: ptr(0.7)}}},
		},
		"a list of days and ranges, a range that wraps the week, 24:00, quoted times, every threshold": {
			text: "schedules:\n" + window("name: weekend", `days: [Fri-Sun, Wed, Sat]`, `start: "18:00"`, "end: '24:00'",
				"timeZone: America/New_York", "kvCacheThreshold: 0", "queueLengthThreshold: 9", "kvSpareTrigger: 0", "queueSpareTrigger: 1"),
			want: Entry{HasSchedules: true, Schedules: []Window{{Name: "weekend",
				Days:  []time.Weekday{time.Wednesday, time.Friday, time.Saturday, time.Sunday},
				Start: 18 * 60, End: 24 * 60, TimeZone: "America/New_York",
				KvCacheThreshold: ptr(0.0), QueueLengthThreshold: ptr(9), KvSpareTrigger: ptr(0.0), QueueSpareTrigger: ptr(1)}}},
		},
		"a window that passes midnight": {
			text: "schedules:\n" + window("name: night", "days: Sat", "start: 22:00", "end: 06:00", "timeZone: UTC"),
			want: Entry{HasSchedules: true, Schedules: []Window{{Name: "night", Days: []time.Weekday{time.Saturday},
				Start: 22 * 60, End: 6 * 60, TimeZone: "UTC"}}},
		},
		"typo inside a window": {
			text:    "schedules:\n" + businessHours("kvCacheTreshold: 0.7"),
			wantErr: []string{`window "business-hours": unknown field "kvCacheTreshold" (did you mean "kvCacheThreshold"?)`},
		},
		"typo of a window field": {
			text:    "schedules:\n" + window("name: w", "days: Mon", "start: 09:00", "end: 10:00", "timezone: UTC"),
			wantErr: []string{`window "w": timeZone is required`, `window "w": unknown field "timezone" (did you mean "timeZone"?)`},
		},
		"an entry field inside a window": {
			text: "schedules:\n" + window("name: w", "days: Mon", "start: 09:00", "end: 10:00", "timeZone: UTC", "model_id: m"),
			wantErr: []string{`window "w": unknown field "model_id" (valid fields of a window: name, days, start, end, timeZone, ` +
				`kvCacheThreshold, queueLengthThreshold, kvSpareTrigger, queueSpareTrigger)`},
		},
		"typo of schedules": {
			text:    "schedule: []",
			wantErr: []string{`unknown field "schedule" (did you mean "schedules"?)`},
		},
		"a bad day": {
			text:    "schedules:\n" + window("name: w", "days: [Mon, Fry]", "start: 09:00", "end: 10:00", "timeZone: UTC"),
			wantErr: []string{`window "w": days must be Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri, got "Fry"`},
		},
		"a day in lower case, a range of one day": {
			text: "schedules:\n" + window("name: w", "days: mon", "start: 09:00", "end: 10:00", "timeZone: UTC") +
				window("name: v", "days: Mon-Mon", "start: 09:00", "end: 10:00", "timeZone: UTC"),
			wantErr: []string{
				`window "w": days must be Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri, got "mon"`,
				`window "v": days must be Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri, got "Mon-Mon"`,
			},
		},
		"no day": {
			text:    "schedules:\n" + window("name: w", "days: []", "start: 09:00", "end: 10:00", "timeZone: UTC"),
			wantErr: []string{`window "w": days must name at least one day (Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri)`},
		},
		"a YAML 1.1 boolean as a day": {
			text: "schedules:\n" + window("name: w", "days: [Mon, on]", "start: 09:00", "end: 10:00", "timeZone: UTC"),
			wantErr: []string{`window "w": days must be a day or a list of days (Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri), ` +
				`got a boolean (true)`},
		},
		"bad times": {
			text: "schedules:\n" + window("name: w", "days: Mon", "start: 9:00", "end: 24:30", "timeZone: UTC") +
				window("name: v", "days: Mon", "start: 24:00", "end: 1030", "timeZone: UTC") +
				window("name: u", "days: Mon", "start: 12:60", "end: 25:00", "timeZone: UTC"),
			wantErr: []string{
				`window "w": end must be a time of day written HH:MM (00:00 to 24:00), got "24:30"`,
				`window "w": start must be a time of day written HH:MM (00:00 to 23:59), got "9:00"`,
				`window "v": end must be a time of day written HH:MM (00:00 to 24:00), got a number (1030)`,
				`window "v": start must be a time of day written HH:MM (00:00 to 23:59), got "24:00"`,
				`window "u": end must be a time of day written HH:MM (00:00 to 24:00), got "25:00"`,
				`window "u": start must be a time of day written HH:MM (00:00 to 23:59), got "12:60"`,
			},
		},
		"an empty window": {
			text:    "schedules:\n" + window("name: w", "days: Mon", "start: 09:00", "end: 09:00", "timeZone: UTC"),
			wantErr: []string{`window "w": start and end are both 09:00: a window must not be empty (a whole day runs from 00:00 to 24:00)`},
		},
		"an unknown time zone, Local, an empty one": {
			text: "schedules:\n" + window("name: w", "days: Mon", "start: 09:00", "end: 10:00", "timeZone: Europe/Berlim") +
				window("name: v", "days: Tue", "start: 09:00", "end: 10:00", "timeZone: Local") +
				window("name: u", "days: Wed", "start: 09:00", "end: 10:00", `timeZone: ""`),
			wantErr: []string{
				`window "w": timeZone must be an IANA time zone name such as Europe/Berlin or UTC, got "Europe/Berlim"`,
				`window "v": timeZone must be an IANA time zone name such as Europe/Berlin or UTC, got "Local"`,
				`window "u": timeZone must not be empty`,
			},
		},
		"missing fields and no name": {
			text:    "schedules:\n- kvCacheThreshold: 0.5\n",
			wantErr: []string{"schedules[0]: name is required", "schedules[0]: days is required", "schedules[0]: start is required", "schedules[0]: end is required", "schedules[0]: timeZone is required"},
		},
		"a name that cannot follow '#' in a source": {
			text: "schedules:\n" + window("name: Business Hours", "days: Mon", "start: 09:00", "end: 10:00", "timeZone: UTC"),
			wantErr: []string{`schedules[0]: name must be at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit ` +
				`(it is shown in sources such as override/<key>#<name>), got "Business Hours"`},
		},
		"two windows with one name": {
			text: "schedules:\n" + window("name: w", "days: Mon", "start: 09:00", "end: 10:00", "timeZone: UTC") +
				window("name: w", "days: Tue", "start: 09:00", "end: 10:00", "timeZone: UTC"),
			wantErr: []string{`window "w": name is used by another window of this entry: each window needs its own name`},
		},
		"wrong types inside a window": {
			text: "schedules:\n" + window("name: w", "days: Mon", "start: 09:00", "end: 10:00", "timeZone: UTC",
				`kvCacheThreshold: "0.7"`, "queueLengthThreshold: 010", "kvSpareTrigger: !!binary MC4x"),
			wantErr: []string{
				`window "w": kvCacheThreshold must be a number, got the string "0.7": remove the quotes`,
				`window "w": kvSpareTrigger must be a number, got a value with the YAML tag !!binary, which is not supported: write the value without a tag`,
				`window "w": queueLengthThreshold must be a plain decimal number, got 010: write it without the leading zero ` +
					`(YAML 1.1 reads a number with a leading zero as octal; this one as 8)`,
			},
		},
		"NaN inside a window": {
			text:    "schedules:\n" + businessHours("kvCacheThreshold: .nan"),
			wantErr: []string{`schedules[0].kvCacheThreshold must be a finite number, got NaN`},
		},
		"schedules is not a list": {
			text:    "schedules: business-hours",
			wantErr: []string{`schedules must be a list of windows (each with name, days, start, end and timeZone), got a string ("business-hours")`},
		},
		"a window that is not a mapping": {
			text:    "schedules: [business-hours]",
			wantErr: []string{`schedules[0]: a window must be a YAML mapping of fields (name, days, start, end, timeZone and thresholds), got a string ("business-hours")`},
		},
		"more windows than the bound": {
			text:    "schedules:\n" + strings.Repeat(window("name: w", "days: Mon", "start: 09:00", "end: 10:00", "timeZone: UTC"), MaxWindows+1),
			wantErr: []string{fmt.Sprintf("schedules has %d windows, at most %d are allowed", MaxWindows+1, MaxWindows)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeEntry(tc.text)
			if diff := cmp.Diff(tc.wantErr, reasonList(err)); diff != "" {
				t.Fatalf("DecodeEntry(%q) errors: -want +got:\n%s", tc.text, diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DecodeEntry(%q): -want +got:\n%s", tc.text, diff)
			}
		})
	}
}

// reasonList returns the reasons of err as a log line shows them, one per
// problem; nil for nil.
func reasonList(err error) []string {
	if err == nil {
		return nil
	}
	return reasons(err, nil)
}

func TestWindowErrorsMatchSentinels(t *testing.T) {
	_, err := DecodeEntry("schedules:\n" + businessHours("kvCacheTreshold: 0.7"))
	var we WindowError
	if !errors.As(err, &we) || we.Window != "business-hours" || !errors.Is(err, ErrUnknownField) {
		t.Errorf("DecodeEntry error %v: want a WindowError for business-hours matching ErrUnknownField", err)
	}
}

func TestParseScheduleValidation(t *testing.T) {
	const g = "model_id: ibm/granite-13b\nnamespace: production\n"
	cases := map[string]struct {
		data map[string]string
		want snapshotSummary
	}{
		"a window is validated as merged onto its entry": {
			data: map[string]string{"granite-prod": g + "kvCacheThreshold: 0.7\nschedules:\n" + businessHours("kvCacheThreshold: 1.5", "kvSpareTrigger: 0.8")},
			want: snapshotSummary{Errors: map[string]string{"granite-prod": `window "business-hours": kvCacheThreshold must be between 0 and 1, got 1.50`}},
		},
		"a window valid only with the entry's values": {
			data: map[string]string{"granite-prod": g + "kvCacheThreshold: 0.3\nschedules:\n" + businessHours("kvSpareTrigger: 0.5")},
			want: snapshotSummary{Errors: map[string]string{"granite-prod": `window "business-hours": kvCacheThreshold (0.30) must be >= kvSpareTrigger (0.50)`}},
		},
		"a bad window rejects its entry only, and a bad default window the default": {
			data: map[string]string{
				DefaultKey: "schedules:\n" + window("name: night", "days: Mon-Sun", "start: 22:00", "end: 06:00", "timeZone: UTC", "queueLengthThreshold: -1"),
				"good":     "model_id: m\nnamespace: ns\nkvCacheThreshold: 0.9\n",
				"bad":      g + "schedules:\n" + businessHours("queueSpareTrigger: -2"),
			},
			want: snapshotSummary{Entries: 1, Errors: map[string]string{
				DefaultKey: `window "night": queueLengthThreshold must be >= 0, got -1`,
				"bad":      `window "business-hours": queueSpareTrigger must be >= 0, got -2`,
			}},
		},
		"a window does not repeat the entry's own problem, only its own": {
			data: map[string]string{"granite-prod": g + "kvCacheThreshold: 2\nschedules:\n" + businessHours() +
				window("name: night", "days: Sat", "start: 22:00", "end: 06:00", "timeZone: Europe/Berlin", "queueLengthThreshold: -1")},
			want: snapshotSummary{Errors: map[string]string{"granite-prod": `kvCacheThreshold must be between 0 and 1, got 2.00; ` +
				`window "night": queueLengthThreshold must be >= 0, got -1`}},
		},
		"an inherited window is validated for each override": {
			data: map[string]string{
				DefaultKey:     "schedules:\n" + window("name: night", "days: Mon-Sun", "start: 22:00", "end: 06:00", "timeZone: UTC", "kvSpareTrigger: 0.5"),
				"granite-prod": g + "kvCacheThreshold: 0.4\n",
			},
			want: snapshotSummary{Entries: 1, HasDefault: true, Errors: map[string]string{
				"granite-prod": `window "night" (inherited from the "default" entry): kvCacheThreshold (0.40) must be >= kvSpareTrigger (0.50)`,
			}},
		},
		"overlapping windows, one passing midnight": {
			data: map[string]string{"granite-prod": g + "schedules:\n" +
				window("name: late", "days: Sat", "start: 22:00", "end: 06:00", "timeZone: Europe/Berlin") +
				window("name: sunday", "days: Sun", "start: 05:00", "end: 12:00", "timeZone: Europe/Berlin")},
			want: snapshotSummary{Errors: map[string]string{"granite-prod": `windows "late" and "sunday" overlap: both are active on Sun at 05:00`}},
		},
		"overlap across the end of the week": {
			data: map[string]string{"granite-prod": g + "schedules:\n" +
				window("name: late", "days: Sun", "start: 23:00", "end: 01:00", "timeZone: UTC") +
				window("name: monday", "days: Mon", "start: 00:30", "end: 02:00", "timeZone: UTC")},
			want: snapshotSummary{Errors: map[string]string{"granite-prod": `windows "late" and "monday" overlap: both are active on Mon at 00:30`}},
		},
		"adjacent windows do not overlap ([start, end))": {
			data: map[string]string{"granite-prod": g + "schedules:\n" +
				window("name: late", "days: Sat", "start: 22:00", "end: 06:00", "timeZone: Europe/Berlin") +
				window("name: sunday", "days: Sun", "start: 06:00", "end: 12:00", "timeZone: Europe/Berlin") +
				window("name: weekdays", "days: Mon-Fri", "start: 00:00", "end: 24:00", "timeZone: Europe/Berlin")},
			want: snapshotSummary{Entries: 1},
		},
		"overlap of windows in different zones": {
			data: map[string]string{"granite-prod": g + "schedules:\n" + businessHours() +
				window("name: us-morning", "days: Mon-Fri", "start: 07:00", "end: 09:00", "timeZone: America/New_York")},
			want: snapshotSummary{Errors: map[string]string{"granite-prod": `windows "business-hours" (Europe/Berlin) and "us-morning" (America/New_York) ` +
				`overlap: both are active at 2026-01-01 12:00 UTC`}},
		},
		"windows in different zones that overlap only while the US is on summer time and Europe is not": {
			// 17:00-18:00 Berlin is 16:00-17:00 UTC in winter, 15:00-16:00
			// UTC in summer; 12:00-13:00 New York is 17:00-18:00 UTC in
			// winter, 16:00-17:00 UTC in summer. Both clocks change in
			// March, New York three weeks earlier.
			data: map[string]string{"granite-prod": g + "schedules:\n" +
				window("name: berlin", "days: Mon", "start: 17:00", "end: 18:00", "timeZone: Europe/Berlin") +
				window("name: new-york", "days: Mon", "start: 12:00", "end: 13:00", "timeZone: America/New_York")},
			want: snapshotSummary{Errors: map[string]string{"granite-prod": `windows "berlin" (Europe/Berlin) and "new-york" (America/New_York) ` +
				`overlap: both are active at 2026-03-09 16:00 UTC`}},
		},
		"a window warning the entry does not have": {
			data: map[string]string{"granite-prod": g + "schedules:\n" + businessHours("queueLengthThreshold: 0", "queueSpareTrigger: 0")},
			want: snapshotSummary{Entries: 1, Warnings: []EntryWarning{{Key: "granite-prod", Message: `window "business-hours": ` +
				"queueLengthThreshold is 0: every replica's queue length is at or above it, so every replica counts as saturated " +
				"and this model always signals scale-up (it climbs to maxReplicas and never scales down)"}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, summarizeSnapshot(Parse(tc.data, "1"))); diff != "" {
				t.Errorf("Parse: -want +got:\n%s", diff)
			}
		})
	}
}

func TestOverlapErrorsMatchSentinel(t *testing.T) {
	s := Parse(map[string]string{"g": "model_id: m\nnamespace: ns\nschedules:\n" + businessHours() +
		window("name: lunch", "days: Wed", "start: 12:00", "end: 13:00", "timeZone: Europe/Berlin")}, "1")
	if errs := s.Errors(); len(errs) != 1 || !errors.Is(errs[0], ErrWindowOverlap) {
		t.Errorf("Errors() = %v, want one matching ErrWindowOverlap", errs)
	}
}

func TestSourceWindow(t *testing.T) {
	cases := map[Source]struct {
		entry  Source
		window string
	}{
		SourceBuiltin:                        {SourceBuiltin, ""},
		SourceDefault:                        {SourceDefault, ""},
		WindowSource(SourceDefault, "night"): {SourceDefault, "night"},
		OverrideSource("granite-prod"):       {OverrideSource("granite-prod"), ""},
		WindowSource(OverrideSource("granite-prod"), "business-hours"): {OverrideSource("granite-prod"), "business-hours"},
	}
	for src, want := range cases {
		if got := src.Entry(); got != want.entry {
			t.Errorf("Source(%q).Entry() = %q, want %q", src, got, want.entry)
		}
		if got := src.Window(); got != want.window {
			t.Errorf("Source(%q).Window() = %q, want %q", src, got, want.window)
		}
	}
	if got := WindowSource(OverrideSource("granite-prod"), "business-hours"); got != "override/granite-prod#business-hours" {
		t.Errorf("WindowSource = %q", got)
	}
}
