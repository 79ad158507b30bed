package capacity

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	fullDefault = "kvCacheThreshold: 0.75\nqueueLengthThreshold: 10\nkvSpareTrigger: 0.15\nqueueSpareTrigger: 5"
	granite     = "model_id: ibm/granite-13b\nnamespace: production\n"
)

func TestParse(t *testing.T) {
	custom := cfg(0.75, 10, 0.15, 5)
	builtin := DefaultCapacityScalingConfig()
	g := func(c CapacityScalingConfig) CapacityScalingConfig {
		return override("ibm/granite-13b", "production", c)
	}
	cases := map[string]struct {
		data    map[string]string
		want    snapshotSummary
		resolve []resolution // all for ibm/granite-13b in production
	}{
		"nil data": {
			data:    nil,
			resolve: []resolution{{Config: builtin, Source: SourceBuiltin}},
		},
		"no default entry: overrides inherit the built-ins": {
			data:    map[string]string{"g": granite + "kvSpareTrigger: 0.2"},
			want:    snapshotSummary{Entries: 1},
			resolve: []resolution{{Config: g(cfg(0.80, 5, 0.20, 3)), Source: OverrideSource("g")}},
		},
		"invalid default: built-ins, and overrides inherit the built-ins": {
			data: map[string]string{DefaultKey: "kvCacheThreshold: 2", "g": granite + "queueSpareTrigger: 1"},
			want: snapshotSummary{Entries: 1, Errors: map[string]string{
				DefaultKey: "kvCacheThreshold must be between 0 and 1, got 2.00"}},
			resolve: []resolution{{Config: g(cfg(0.80, 5, 0.10, 1)), Source: OverrideSource("g")}},
		},
		"invalid default is used for nothing": {
			data:    map[string]string{DefaultKey: "kvCacheTreshold: 0.5"},
			want:    snapshotSummary{Errors: map[string]string{DefaultKey: `unknown field "kvCacheTreshold" (did you mean "kvCacheThreshold"?)`}},
			resolve: []resolution{{Config: builtin, Source: SourceBuiltin}},
		},
		"empty default sets nothing": {
			data:    map[string]string{DefaultKey: ""},
			want:    snapshotSummary{Entries: 1, HasDefault: true},
			resolve: []resolution{{Config: builtin, Source: SourceDefault}},
		},
		"default must not name a model": {
			data: map[string]string{DefaultKey: granite + "kvCacheThreshold: 0.9"},
			want: snapshotSummary{Errors: map[string]string{DefaultKey: `model_id is not allowed in the "default" entry: it holds the global defaults for every model; ` +
				`put model-specific settings in an override entry under another key; namespace is not allowed in the "default" entry: ` +
				`it holds the global defaults for every model; put model-specific settings in an override entry under another key`}},
			resolve: []resolution{{Config: builtin, Source: SourceBuiltin}},
		},
		"invalid override: the model uses the default": {
			data: map[string]string{DefaultKey: fullDefault, "g": granite + "kvCacheThreshold: 1.5"},
			want: snapshotSummary{Entries: 1, HasDefault: true, Errors: map[string]string{
				"g": "kvCacheThreshold must be between 0 and 1, got 1.50"}},
			resolve: []resolution{{Config: custom, Source: SourceDefault}},
		},
		"partial override inherits from default": {
			data:    map[string]string{DefaultKey: fullDefault, "g": granite + "kvSpareTrigger: 0.15\nqueueLengthThreshold: 7"},
			want:    snapshotSummary{Entries: 2, HasDefault: true},
			resolve: []resolution{{Config: g(cfg(0.75, 7, 0.15, 5)), Source: OverrideSource("g")}},
		},
		"partial override valid only as merged": {
			// kvSpareTrigger 0.5 alone is a valid value, but the default's
			// kvCacheThreshold 0.3 is below it.
			data: map[string]string{DefaultKey: "kvCacheThreshold: 0.3", "g": granite + "kvSpareTrigger: 0.5"},
			want: snapshotSummary{Entries: 1, HasDefault: true, Errors: map[string]string{
				"g": "kvCacheThreshold (0.30) must be >= kvSpareTrigger (0.50)"}},
			resolve: []resolution{{Config: cfg(0.3, 5, 0.1, 3), Source: SourceDefault}},
		},
		"partial override repairs nothing it does not set": {
			// The default entry is valid; the override lowers kvCacheThreshold
			// below the inherited kvSpareTrigger.
			data: map[string]string{DefaultKey: fullDefault, "g": granite + "kvCacheThreshold: 0.1"},
			want: snapshotSummary{Entries: 1, HasDefault: true, Errors: map[string]string{
				"g": "kvCacheThreshold (0.10) must be >= kvSpareTrigger (0.15)"}},
			resolve: []resolution{{Config: custom, Source: SourceDefault}},
		},
		"explicit zero is honoured": {
			data:    map[string]string{DefaultKey: fullDefault, "g": granite + "kvSpareTrigger: 0\nqueueSpareTrigger: 0"},
			want:    snapshotSummary{Entries: 2, HasDefault: true},
			resolve: []resolution{{Config: g(cfg(0.75, 10, 0, 0)), Source: OverrideSource("g")}},
		},
		"override without model_id": {
			data: map[string]string{"g": "namespace: production\nkvCacheThreshold: 0.9"},
			want: snapshotSummary{Errors: map[string]string{"g": `model_id is required: an override entry must name the model_id and namespace it applies to (only the "default" entry omits them)`}},
		},
		"override without model_id and namespace": {
			data: map[string]string{"Default": "kvCacheThreshold: 0.9"},
			want: snapshotSummary{Errors: map[string]string{"Default": defaultKeyHintText("Default") + `; model_id is required: an override entry must name the model_id and namespace it applies to (only the "default" entry omits them); ` +
				`namespace is required: an override entry must name the model_id and namespace it applies to (only the "default" entry omits them)`}},
		},
		"override with an invalid namespace": {
			data: map[string]string{"g": "model_id: m\nnamespace: Production"},
			want: snapshotSummary{Errors: map[string]string{"g": `namespace must be a valid Kubernetes namespace name (at most 63 lowercase letters, digits and '-', ` +
				`starting and ending with a letter or digit), got "Production"`}},
		},
		"typo in an override": {
			data: map[string]string{DefaultKey: fullDefault, "g": granite + "kvSpareTriger: 0.2"},
			want: snapshotSummary{Entries: 1, HasDefault: true, Errors: map[string]string{
				"g": `unknown field "kvSpareTriger" (did you mean "kvSpareTrigger"?)`}},
			resolve: []resolution{{Config: custom, Source: SourceDefault}},
		},
		"quoted number in an override": {
			data: map[string]string{"g": granite + `kvCacheThreshold: "0.8"`},
			want: snapshotSummary{Errors: map[string]string{
				"g": `kvCacheThreshold must be a number, got the string "0.8": remove the quotes`}},
			resolve: []resolution{{Config: builtin, Source: SourceBuiltin}},
		},
		"NaN in an override": {
			data:    map[string]string{"g": granite + "kvSpareTrigger: .nan"},
			want:    snapshotSummary{Errors: map[string]string{"g": "kvSpareTrigger must be a finite number, got NaN"}},
			resolve: []resolution{{Config: builtin, Source: SourceBuiltin}},
		},
		"duplicate overrides: the first key wins": {
			data: map[string]string{"b-granite": granite + "kvCacheThreshold: 0.6", "a-granite": granite + "kvCacheThreshold: 0.7",
				"c-granite": granite + "kvCacheThreshold: 0.9"},
			want: snapshotSummary{Entries: 1, Errors: map[string]string{
				"b-granite": `duplicate override for model_id "ibm/granite-13b" in namespace "production": entry "a-granite" already configures it (the lexicographically first key wins)`,
				"c-granite": `duplicate override for model_id "ibm/granite-13b" in namespace "production": entry "a-granite" already configures it (the lexicographically first key wins)`,
			}},
			resolve: []resolution{{Config: g(cfg(0.7, 5, 0.1, 3)), Source: OverrideSource("a-granite")}},
		},
		"duplicate overrides: an invalid first key does not win": {
			data: map[string]string{"a-granite": granite + "kvCacheThreshold: 7", "b-granite": granite + "kvCacheThreshold: 0.6"},
			want: snapshotSummary{Entries: 1, Errors: map[string]string{
				"a-granite": "kvCacheThreshold must be between 0 and 1, got 7.00"}},
			resolve: []resolution{{Config: g(cfg(0.6, 5, 0.1, 3)), Source: OverrideSource("b-granite")}},
		},
		"one bad entry hides nothing": {
			data: map[string]string{DefaultKey: fullDefault, "bad": "- not a mapping", "g": granite + "queueSpareTrigger: 2"},
			want: snapshotSummary{Entries: 2, HasDefault: true, Errors: map[string]string{
				"bad": `entry must be a YAML mapping of fields (for example "kvCacheThreshold: 0.8"), got a list`}},
			resolve: []resolution{{Config: g(cfg(0.75, 10, 0.15, 2)), Source: OverrideSource("g")}},
		},
		"warning follows the effective config": {
			data: map[string]string{DefaultKey: fullDefault, "g": granite + "queueLengthThreshold: 2"},
			want: snapshotSummary{Entries: 2, HasDefault: true, Warnings: []EntryWarning{{Key: "g", Message: "queueSpareTrigger (5) is greater than queueLengthThreshold (2): " +
				"the spare queue capacity of a replica (queueLengthThreshold minus its queue length) can never reach the trigger, so this model always signals scale-up"}}},
			resolve: []resolution{{Config: g(cfg(0.75, 2, 0.15, 5)), Source: OverrideSource("g")}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := Parse(tc.data, "7")
			if diff := cmp.Diff(tc.want, summarizeSnapshot(s)); diff != "" {
				t.Errorf("Parse: -want +got:\n%s", diff)
			}
			for _, r := range tc.resolve {
				r.ModelID, r.Namespace = "ibm/granite-13b", "production"
				gotCfg, gotSource := s.Resolve(r.ModelID, r.Namespace)
				if diff := cmp.Diff(r, resolution{r.ModelID, r.Namespace, gotCfg, gotSource}); diff != "" {
					t.Errorf("Resolve: -want +got:\n%s", diff)
				}
			}
		})
	}
}

func TestParseErrorsAreTyped(t *testing.T) {
	s := Parse(map[string]string{
		"a": granite, "b": granite, "c": "namespace: x", DefaultKey: "kvCacheThreshold: 1.5",
	}, "")
	errs := s.Errors()
	if got, want := len(errs), 3; got != want {
		t.Fatalf("Errors() = %v, want %d entries", errs, want)
	}
	checks := map[string]error{"b": ErrDuplicateOverride, "c": ErrMissingField, DefaultKey: ErrOutOfRange}
	for _, e := range errs {
		if !errors.Is(e, checks[e.Key]) {
			t.Errorf("errors.Is(EntryError{%q: %v}, %v) = false, want true", e.Key, e.Err, checks[e.Key])
		}
	}
	var dup DuplicateOverrideError
	if !errors.As(errs[0], &dup) || dup.Winner != "a" {
		t.Errorf("errors.As(%v, DuplicateOverrideError) = %+v, want winner %q", errs[0], dup, "a")
	}
	var fe FieldError
	if !errors.As(errs[1], &fe) || fe.Field != "model_id" {
		t.Errorf("errors.As(%v, FieldError) = %+v, want field model_id", errs[1], fe)
	}
	if diff := cmp.Diff([]string{"b", "c", DefaultKey}, []string{errs[0].Key, errs[1].Key, errs[2].Key}); diff != "" {
		t.Errorf("Errors() not sorted by key: -want +got:\n%s", diff)
	}
}

func TestSnapshotExposesCopies(t *testing.T) {
	s := Parse(map[string]string{"x": "bad: 1", "w": granite + "queueSpareTrigger: 9"}, "1")
	errs, warnings := s.Errors(), s.Warnings()
	errs[0].Key, warnings[0].Key = "mutated", "mutated"
	if got := s.Errors()[0].Key; got != "x" {
		t.Errorf("Errors()[0].Key after mutating a returned slice = %q, want %q", got, "x")
	}
	if got := s.Warnings()[0].Key; got != "w" {
		t.Errorf("Warnings()[0].Key after mutating a returned slice = %q, want %q", got, "w")
	}
	c, _ := s.Resolve("ibm/granite-13b", "production")
	c.QueueSpareTrigger = 100
	if again, _ := s.Resolve("ibm/granite-13b", "production"); again.QueueSpareTrigger != 9 {
		t.Errorf("Resolve after mutating a returned config = %d, want 9", again.QueueSpareTrigger)
	}
}

func TestBuiltinAndNilSnapshot(t *testing.T) {
	for name, s := range map[string]*Snapshot{"builtin": Builtin(), "nil": nil} {
		t.Run(name, func(t *testing.T) {
			c, src := s.Resolve("m", "ns")
			if diff := cmp.Diff(resolution{"m", "ns", DefaultCapacityScalingConfig(), SourceBuiltin}, resolution{"m", "ns", c, src}); diff != "" {
				t.Errorf("Resolve: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(snapshotSummary{}, summarizeSnapshot(s)); diff != "" {
				t.Errorf("summary: -want +got:\n%s", diff)
			}
			if s.Version() != "" {
				t.Errorf("Version() = %q, want empty", s.Version())
			}
		})
	}
}

func TestSource(t *testing.T) {
	cases := map[string]struct {
		source  Source
		wantKey string
		wantOK  bool
	}{
		"builtin":  {SourceBuiltin, "", false},
		"default":  {SourceDefault, "", false},
		"override": {OverrideSource("granite-prod"), "granite-prod", true},
		"slash":    {OverrideSource("a/b"), "a/b", true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			key, ok := tc.source.OverrideKey()
			if key != tc.wantKey || ok != tc.wantOK {
				t.Errorf("%q.OverrideKey() = %q, %t; want %q, %t", tc.source, key, ok, tc.wantKey, tc.wantOK)
			}
		})
	}
	if got := OverrideSource("k"); got != "override/k" {
		t.Errorf("OverrideSource(k) = %q, want override/k", got)
	}
}

func TestEntryErrorJoinsReasonsOnOneLine(t *testing.T) {
	e := EntryError{Key: "k", Err: errors.Join(errors.New("first"), errors.Join(errors.New("second"), errors.New("third")))}
	if got, want := e.Error(), "first; second; third"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	s := Parse(map[string]string{"k": "kvCacheThreshold: 2\nkvSpareTrigger: -1"}, "")
	want := "model_id is required: an override entry must name the model_id and namespace it applies to (only the \"default\" entry omits them); " +
		"namespace is required: an override entry must name the model_id and namespace it applies to (only the \"default\" entry omits them); " +
		"kvCacheThreshold must be between 0 and 1, got 2.00; kvSpareTrigger must be between 0 and 1, got -1.00"
	if errs := s.Errors(); len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("Errors() = %q, want one entry with reason %q", errs, want)
	}
}
