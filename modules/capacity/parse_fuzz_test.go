package capacity

import (
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds Parse a default entry and two overrides under arbitrary
// keys. Properties: Parse does not panic; every input key is either applied
// or reported, once; every configuration Resolve returns validates, and its
// source names an applied key; Explain agrees with Resolve, and a threshold
// it attributes to the default entry or the built-ins has their value;
// Errors and Warnings only name input keys.
func FuzzParse(f *testing.F) {
	// Seeds: the entries of every spec example.
	files, err := filepath.Glob(filepath.Join("testdata", "spec", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed examples in testdata/spec: %v", err)
	}
	for _, file := range files {
		data := loadConfigMapData(f, filepath.Base(file))
		var others []string
		for _, k := range slices.Sorted(maps.Keys(data)) {
			if k != DefaultKey {
				others = append(others, k, data[k])
			}
		}
		for len(others) < 4 {
			others = append(others, "extra", "")
		}
		f.Add(data[DefaultKey], others[0], others[1], others[2], others[3])
	}
	f.Add("kvCacheThreshold: .nan", "a", "model_id: m\nnamespace: n\nkvSpareTrigger: '0.1'", "b", "- [1, 2]")
	f.Add("model_id: x", "a", "model_id: m\nnamespace: n", "b", "model_id: m\nnamespace: n\nqueueSpareTrigger: 99")
	f.Add("{a: &a [*a, *a]}", "", "~", "default", "kvCacheTreshold: 0.8\nqueueLengthThreshold: 1e30")
	// Reproducers of parser defects: a second document, text after "...",
	// keys that are not strings, tags, YAML 1.1 booleans and notations,
	// numbers beyond the float64 range, a nested NaN, misnamed default keys,
	// long values.
	f.Add("kvCacheThreshold: 0.9\n---\nkvCacheThreshold: 1.5\n", "a",
		"model_id: m\nnamespace: ns1\nkvCacheThreshold: 0.75\n...\nqueueLengthThreshold: [broken\n", "b", "model_id: \"---\"\nnamespace: ns\n")
	f.Add("null: 1", "Default", "? [a, b]\n: c", " default", "kvCacheThreshold: [.nan]")
	f.Add("kvCacheThreshold: 1e309\nkvSpareTrigger: 1e-400", "a", "model_id: m\nnamespace: no\nkvCacheThreshold: !!binary MC44",
		"b", "model_id: on\nnamespace: y\nqueueLengthThreshold: !custom 5")
	f.Add("queueLengthThreshold: 010\nqueueSpareTrigger: 0x10", "a", "model_id: m\nnamespace: ns\nqueueLengthThreshold: 1_000",
		"b", "model_id: m\nnamespace: ns\nkvCacheThreshold: {a: [1, .inf]}")
	// Schedules: windows past midnight, weekday ranges, DST days, overlaps,
	// inherited windows, typos and bad values inside windows.
	f.Add("kvCacheThreshold: 0.8\nschedules:\n- name: night\n  days: [Mon-Sun]\n  start: \"22:00\"\n  end: \"06:00\"\n  timeZone: Europe/Berlin\n  kvCacheThreshold: 0.9\n",
		"granite-prod", "model_id: ibm/granite-13b\nnamespace: production\nschedules:\n- name: business-hours\n  days: Mon-Fri\n  start: 09:00\n  end: 17:00\n  timeZone: America/New_York\n  kvCacheThreshold: 0.6\n",
		"b", "model_id: m\nnamespace: n\nkvCacheThreshold: 0.3\n")
	f.Add("schedules:\n- name: a\n  days: Sun\n  start: 00:00\n  end: 02:30\n  timeZone: Europe/Berlin\n- name: b\n  days: Sun\n  start: 02:30\n  end: 24:00\n  timeZone: America/New_York\n",
		"a", "model_id: m\nnamespace: n\nschedules: []\n",
		"b", "model_id: m2\nnamespace: n\nschedules:\n- name: w\n  days: [Fri-Mon, Fry]\n  start: 9:00\n  end: 25:00\n  timeZone: Local\n  kvCacheTreshold: 2\n")
	f.Add("schedules: [x, {name: Bad Name}, {name: w, days: [], start: 24:00, end: 24:00, timeZone: Mars/Olympus, queueLengthThreshold: .nan}]",
		"a", "model_id: m\nnamespace: n\nschedules:\n- {name: w, days: Sat, start: \"22:00\", end: \"06:00\", timeZone: UTC, kvSpareTrigger: 0.9}\n- {name: w, days: Sun, start: \"05:00\", end: \"07:00\", timeZone: UTC}\n",
		"b", "model_id: m3\nnamespace: n\nschedules: {name: w}\n")
	long := strings.Repeat("x", 300)
	f.Add("? "+long+"\n: 1\n? "+long+"\n: 2\n", "a", "model_id: "+long+"\nnamespace: "+long, "b", "model_id: "+long+"\nnamespace: "+long)

	f.Fuzz(func(t *testing.T, def, key1, entry1, key2, entry2 string) {
		data := map[string]string{DefaultKey: def, key1: entry1, key2: entry2}
		s := Parse(data, "v")

		reported := map[string]bool{}
		for _, e := range s.Errors() {
			if _, ok := data[e.Key]; !ok {
				t.Errorf("Errors() names key %q, not in the input", e.Key)
			}
			if reported[e.Key] {
				t.Errorf("Errors() reports key %q twice", e.Key)
			}
			reported[e.Key] = true
			if e.Err == nil || e.Error() == "" || strings.Contains(e.Error(), "\n") {
				t.Errorf("EntryError for %q has no one-line reason: %q", e.Key, e.Error())
			}
			checkReason(t, e.Key, e.Error(), data)
		}
		for _, w := range s.Warnings() {
			if _, ok := data[w.Key]; !ok || reported[w.Key] {
				t.Errorf("Warnings() names key %q: in input %t, rejected %t", w.Key, ok, reported[w.Key])
			}
		}
		if got, want := s.Entries()+len(reported), len(data); got != want {
			t.Errorf("Entries() %d + rejected %d = %d, want one per input key (%d)", s.Entries(), len(reported), got, want)
		}
		if s.HasDefault() == reported[DefaultKey] {
			t.Errorf("HasDefault() = %t but the default entry rejected = %t", s.HasDefault(), reported[DefaultKey])
		}

		check := func(modelID, namespace string) {
			c, src := s.Resolve(modelID, namespace)
			if err := c.Validate(); err != nil {
				t.Errorf("Resolve(%q, %q) = %+v from %s, which does not validate: %v", modelID, namespace, c, src, err)
			}
			switch key, ok := src.OverrideKey(); {
			case ok && (reported[key] || key == DefaultKey):
				t.Errorf("Resolve(%q, %q) source %s is not an applied override", modelID, namespace, src)
			case ok && (c.ModelID != modelID || c.Namespace != namespace):
				t.Errorf("Resolve(%q, %q) returned override for %q/%q", modelID, namespace, c.ModelID, c.Namespace)
			case ok:
			case src == SourceDefault && !s.HasDefault(), src == SourceBuiltin && s.HasDefault():
				t.Errorf("Resolve(%q, %q) source %s, but HasDefault() = %t", modelID, namespace, src, s.HasDefault())
			}
			checkProvenance(t, s, modelID, namespace)
			checkSchedules(t, s, modelID, namespace)
		}
		check("", "")
		for _, text := range []string{entry1, entry2} {
			e, err := DecodeEntry(text)
			if err != nil {
				if !errors.Is(err, ErrInvalidYAML) && !errors.Is(err, ErrUnknownField) && !errors.Is(err, ErrWrongType) &&
					!errors.Is(err, ErrNotFinite) && !errors.Is(err, ErrOutOfRange) && !errors.Is(err, ErrInvalidValue) &&
					!errors.Is(err, ErrMissingField) {
					t.Errorf("DecodeEntry(%q) error %v matches no sentinel", text, err)
				}
				continue
			}
			check(e.ModelID, e.Namespace)
		}
	})
}

// maxFuzzReason bounds a reason whatever the input: a few problems, each
// quoting at most 64 characters of input (up to 10 bytes each once escaped).
const maxFuzzReason = (maxReported + 3) * 1024

// checkReason fails if a reason is unbounded or shows Go formatting that
// the input (data) does not hold itself: a reason quotes what the user wrote.
func checkReason(t *testing.T, key, reason string, data map[string]string) {
	t.Helper()
	if len(reason) > maxFuzzReason {
		t.Errorf("reason for %q is %d bytes long, want at most %d: %.200s…", key, len(reason), maxFuzzReason, reason)
	}
	for _, leak := range []string{"%!", "interface {}"} {
		if strings.Contains(reason, leak) && !inputHolds(data, leak) {
			t.Errorf("reason for %q shows Go formatting %q: %s", key, leak, reason)
		}
	}
}

// checkProvenance checks Explain against Resolve: the same configuration and
// source, and every threshold attributed to the resolved entry, to the
// default entry (only when it applies) or to the built-ins, with the value
// of the entry it names.
func checkProvenance(t *testing.T, s *Snapshot, modelID, namespace string) {
	t.Helper()
	c, src := s.Resolve(modelID, namespace)
	e := s.Explain(modelID, namespace)
	if e.Config != c || e.Source != src {
		t.Errorf("Explain(%q, %q) = %+v from %s, Resolve = %+v from %s", modelID, namespace, e.Config, e.Source, c, src)
	}
	def, _ := s.Default()
	builtin := DefaultCapacityScalingConfig()
	for _, f := range []struct {
		name              string
		from              Source
		got, deflt, built any
	}{
		{"kvCacheThreshold", e.Fields.KvCacheThreshold, c.KvCacheThreshold, def.KvCacheThreshold, builtin.KvCacheThreshold},
		{"queueLengthThreshold", e.Fields.QueueLengthThreshold, c.QueueLengthThreshold, def.QueueLengthThreshold, builtin.QueueLengthThreshold},
		{"kvSpareTrigger", e.Fields.KvSpareTrigger, c.KvSpareTrigger, def.KvSpareTrigger, builtin.KvSpareTrigger},
		{"queueSpareTrigger", e.Fields.QueueSpareTrigger, c.QueueSpareTrigger, def.QueueSpareTrigger, builtin.QueueSpareTrigger},
	} {
		switch {
		case f.from == SourceBuiltin && f.got != f.built, f.from == SourceDefault && f.got != f.deflt:
			t.Errorf("Explain(%q, %q): %s = %v from %s, which has another value", modelID, namespace, f.name, f.got, f.from)
		case f.from == SourceDefault && !s.HasDefault():
			t.Errorf("Explain(%q, %q): %s from the default entry, but HasDefault() = false", modelID, namespace, f.name)
		case f.from != SourceBuiltin && f.from != SourceDefault && f.from != src:
			t.Errorf("Explain(%q, %q): %s from %s, but the configuration is from %s", modelID, namespace, f.name, f.from, src)
		}
	}
}

// fuzzInstants are the instants the fuzz target resolves at: a weekday, a
// weekend night, and both DST changes in Europe/Berlin and America/New_York.
var fuzzInstants = []time.Time{
	time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC),
	time.Date(2026, 3, 7, 23, 30, 0, 0, time.UTC),
	time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),
	time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC),
	time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 1, 6, 15, 0, 0, time.UTC),
}

// checkSchedules checks ResolveAt against Resolve at the fuzz instants: a
// configuration that validates, from the same entry, with the window named
// in the source when one is active and ending after now; and a next
// transition after now, at most two weeks away.
func checkSchedules(t *testing.T, s *Snapshot, modelID, namespace string) {
	t.Helper()
	c, src := s.Resolve(modelID, namespace)
	for _, now := range fuzzInstants {
		r := s.ResolveAt(modelID, namespace, now)
		if err := r.Config.Validate(); err != nil {
			t.Errorf("ResolveAt(%q, %q, %s) = %+v from %s, which does not validate: %v", modelID, namespace, now, r.Config, r.Source, err)
		}
		// Compared without parsing the source: the fuzzer's keys may hold
		// '#', which a Kubernetes ConfigMap key cannot.
		wantSrc := src
		if r.Window != "" {
			wantSrc = WindowSource(src, r.Window)
		}
		if r.Source != wantSrc || r.Config.ModelID != c.ModelID || r.Config.Namespace != c.Namespace {
			t.Errorf("ResolveAt(%q, %q, %s) source %s window %q, Resolve source %s", modelID, namespace, now, r.Source, r.Window, src)
		}
		if r.Window == "" && r.Config != c {
			t.Errorf("ResolveAt(%q, %q, %s) outside every window = %+v, Resolve = %+v", modelID, namespace, now, r.Config, c)
		}
		if r.Window != "" && !r.WindowEnd.After(now) {
			t.Errorf("ResolveAt(%q, %q, %s): window %q ends at %s, not after now", modelID, namespace, now, r.Window, r.WindowEnd)
		}
		for _, next := range []func() (time.Time, bool){
			func() (time.Time, bool) { return s.NextTransition(now) },
			func() (time.Time, bool) { return s.NextTransitionFor(modelID, namespace, now) },
		} {
			if at, ok := next(); ok && (!at.After(now) || at.After(now.Add(15*24*time.Hour))) {
				t.Errorf("next transition after %s is %s", now, at)
			}
		}
		if r.Window != "" {
			if at, ok := s.NextTransitionFor(modelID, namespace, now); !ok || at.After(r.WindowEnd) {
				t.Errorf("NextTransitionFor(%q, %q, %s) = %s, %t; after the active window's end %s", modelID, namespace, now, at, ok, r.WindowEnd)
			}
		}
	}
}

// inputHolds reports whether a key or value of data contains s.
func inputHolds(data map[string]string, s string) bool {
	for k, v := range data {
		if strings.Contains(k, s) || strings.Contains(v, s) {
			return true
		}
	}
	return false
}
