package capacity

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// DefaultKey is the ConfigMap data key of the global defaults entry.
const DefaultKey = "default"

// Source says where a resolved configuration comes from: SourceBuiltin,
// SourceDefault, or "override/<key>" for the override entry with that key.
type Source string

const (
	// SourceBuiltin: the built-in defaults (no ConfigMap, no default entry,
	// or an invalid one).
	SourceBuiltin Source = "builtin"
	// SourceDefault: the ConfigMap's `default` entry.
	SourceDefault Source = "default"
)

const overridePrefix = "override/"

// OverrideSource returns the Source of the override entry with the given key.
func OverrideSource(key string) Source { return Source(overridePrefix + key) }

// OverrideKey returns the ConfigMap key of an override source, and false for
// SourceBuiltin and SourceDefault. For a source that names a window
// (ResolveAt), call Entry first: OverrideKey keeps the "#<window>".
func (s Source) OverrideKey() (key string, ok bool) {
	key, ok = strings.CutPrefix(string(s), overridePrefix)
	if !ok {
		return "", false
	}
	return key, true
}

// modelKey identifies the VariantAutoscalings an override applies to.
type modelKey struct {
	modelID   string
	namespace string
}

// resolved is a configuration together with its precomputed source and
// field provenance, so that Resolve and Explain allocate nothing.
type resolved struct {
	config CapacityScalingConfig
	source Source
	fields Provenance
	// windows are the entry's schedules, own or inherited, in the order
	// they are declared; nil outside schedules.
	windows []scheduled
}

// Snapshot is the parsed, validated content of the capacity-scaling
// ConfigMap. It is immutable once built, so any number of goroutines may use
// it concurrently; nothing it returns aliases its internal state.
type Snapshot struct {
	version    string
	base       resolved // what a model without an override gets
	hasDefault bool
	overrides  map[modelKey]resolved
	errs       []EntryError
	warnings   []EntryWarning
	// timings are the schedules of every applied entry, each once, for
	// NextTransition.
	timings []*timing
}

// Builtin returns the snapshot used when there is no ConfigMap: every model
// resolves to DefaultCapacityScalingConfig with SourceBuiltin.
func Builtin() *Snapshot {
	return &Snapshot{base: builtinResolved()}
}

// Parse builds a snapshot from a ConfigMap's Data; version is the
// ConfigMap's resourceVersion, returned by Version. Parse never fails and
// never returns nil: every entry is decoded and validated on its own, and an
// entry with problems is skipped and reported by Errors, following the spec:
//
//   - No `default` entry, or an invalid one: models without an override use
//     the built-in defaults, and overrides inherit from the built-ins.
//   - The `default` entry must not name a model_id or namespace.
//   - Every other key is an override that must name model_id and namespace;
//     it sets only the fields it names and inherits the rest. It is
//     validated as merged, so a partial override is judged by the
//     configuration it produces. An invalid override is skipped and its
//     model uses the default.
//   - Two valid overrides for the same model_id and namespace: the one whose
//     key sorts first is applied, the other is reported as
//     DuplicateOverrideError.
//
// Accepted entries with a caveat are reported by Warnings.
func Parse(data map[string]string, version string) *Snapshot {
	s := Builtin()
	s.version = version
	z := zones{}
	seen := map[timing]bool{}

	if text, ok := data[DefaultKey]; ok {
		if r, e, err := parseDefault(text, z); err != nil {
			s.errs = append(s.errs, EntryError{Key: DefaultKey, Err: err})
		} else {
			s.base = r
			s.hasDefault = true
			s.warn(DefaultKey, r)
			if e.HasSchedules {
				s.addTimings(r.windows, seen)
			}
		}
	}

	// Keys in order, so that the first of two duplicate overrides wins.
	winners := make(map[modelKey]string)
	for _, key := range slices.Sorted(maps.Keys(data)) {
		if key == DefaultKey {
			continue
		}
		r, e, err := parseOverride(key, data[key], s.base, z)
		if err != nil {
			if hint := defaultKeyHint(key); hint != nil {
				err = errors.Join(hint, err)
			}
			s.errs = append(s.errs, EntryError{Key: key, Err: err})
			continue
		}
		mk := modelKey{modelID: r.config.ModelID, namespace: r.config.Namespace}
		if winner, dup := winners[mk]; dup {
			s.errs = append(s.errs, EntryError{Key: key, Err: DuplicateOverrideError{
				ModelID: r.config.ModelID, Namespace: r.config.Namespace, Winner: winner}})
			continue
		}
		winners[mk] = key
		if s.overrides == nil {
			s.overrides = make(map[modelKey]resolved)
		}
		s.overrides[mk] = r
		s.warn(key, r)
		if e.HasSchedules {
			s.addTimings(r.windows, seen)
		}
	}
	slices.SortStableFunc(s.errs, func(a, b EntryError) int { return strings.Compare(a.Key, b.Key) })
	slices.SortStableFunc(s.warnings, func(a, b EntryWarning) int { return strings.Compare(a.Key, b.Key) })
	return s
}

// parseDefault returns the resolved default entry and the decoded entry
// (which says what it sets).
func parseDefault(text string, z zones) (resolved, Entry, error) {
	e, err := decodeEntry(text, z)
	if err != nil {
		return resolved{}, Entry{}, err
	}
	var errs []error
	for _, f := range []struct{ name, value string }{{fieldModelID, e.ModelID}, {fieldNamespace, e.Namespace}} {
		if f.value != "" {
			errs = append(errs, fieldErrorf(f.name, ErrFieldNotAllowed,
				"%s is not allowed in the %q entry: it holds the global defaults for every model; "+
					"put model-specific settings in an override entry under another key", f.name, DefaultKey))
		}
	}
	cfg := DefaultCapacityScalingConfig().Merge(e)
	cfg.ModelID, cfg.Namespace = "", ""
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	r := resolved{config: cfg, source: SourceDefault, fields: builtinProvenance.apply(e, SourceDefault)}
	windows, werrs := ownWindows(r, e.Schedules, z)
	r.windows = windows
	errs = append(errs, werrs...)
	if len(errs) > 0 {
		return resolved{}, Entry{}, errors.Join(errs...)
	}
	return r, e, nil
}

// parseOverride returns the override with the given key resolved onto
// base (the default entry, or the built-ins) and the decoded entry (which
// says what it sets). An override that declares no schedules inherits the
// windows of base.
func parseOverride(key, text string, base resolved, z zones) (resolved, Entry, error) {
	e, err := decodeEntry(text, z)
	if err != nil {
		return resolved{}, Entry{}, err
	}
	var errs []error
	if e.ModelID == "" {
		errs = append(errs, missingFieldError(fieldModelID))
	}
	if e.Namespace == "" {
		errs = append(errs, missingFieldError(fieldNamespace))
	} else if !isDNS1123Label(e.Namespace) {
		errs = append(errs, fieldErrorf(fieldNamespace, ErrInvalidValue,
			"namespace must be a valid Kubernetes namespace name (at most 63 lowercase letters, digits and '-', "+
				"starting and ending with a letter or digit), got %s", quoteInput(e.Namespace)))
	}
	cfg := base.config.Merge(e)
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	source := OverrideSource(key)
	r := resolved{config: cfg, source: source, fields: base.fields.apply(e, source)}
	var windows []scheduled
	var werrs []error
	if e.HasSchedules {
		windows, werrs = ownWindows(r, e.Schedules, z)
	} else {
		windows, werrs = inheritedWindows(r, e, base.windows)
	}
	r.windows = windows
	errs = append(errs, werrs...)
	if len(errs) > 0 {
		return resolved{}, Entry{}, errors.Join(errs...)
	}
	return r, e, nil
}

// defaultKeyHint returns, for a key that is "default" in another case or
// with blanks around it ("Default", " default"), a hint that the entry was
// read as an override; nil for any other key. Parse adds it to the problems
// of such an entry, which usually lacks model_id and namespace.
func defaultKeyHint(key string) error {
	if key == DefaultKey || !strings.EqualFold(strings.TrimSpace(key), DefaultKey) {
		return nil
	}
	return fieldErrorf("", ErrDefaultKeyMisspelt,
		"the key %s is not %q (did you mean %s?): only the key %q, in lower case and without blanks, holds the global defaults, "+
			"so this entry is read as an override", quoteInput(key), DefaultKey, DefaultKey, DefaultKey)
}

func missingFieldError(field string) error {
	return fieldErrorf(field, ErrMissingField,
		"%s is required: an override entry must name the model_id and namespace it applies to "+
			"(only the %q entry omits them)", field, DefaultKey)
}

func isDNS1123Label(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		if !alnum && (c != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

// warn records the caveats of an accepted entry, and those of its windows
// that the entry's own values do not have already.
func (s *Snapshot) warn(key string, r resolved) {
	own := r.config.Warnings()
	for _, msg := range own {
		s.warnings = append(s.warnings, EntryWarning{Key: key, Message: msg})
	}
	for _, w := range r.windows {
		for _, msg := range w.config.Warnings() {
			if !slices.Contains(own, msg) {
				s.warnings = append(s.warnings, EntryWarning{Key: key, Message: "window " + quoteInput(w.name) + ": " + msg})
			}
		}
	}
}

// Resolve returns the configuration for a model in a namespace and where it
// comes from: the override naming exactly this model_id and namespace, else
// the default entry, else the built-in defaults. It is a map lookup that
// allocates nothing. Resolve ignores schedules: it returns the entry's own
// values, which apply outside every window; ResolveAt applies the window
// active at a given time. A nil snapshot resolves to the built-in defaults.
// Explain also says which entry set each threshold.
func (s *Snapshot) Resolve(modelID, namespace string) (CapacityScalingConfig, Source) {
	r := s.lookup(modelID, namespace)
	return r.config, r.source
}

// Default returns the configuration of models without an override and its
// source (SourceDefault or SourceBuiltin).
func (s *Snapshot) Default() (CapacityScalingConfig, Source) {
	if s == nil {
		return DefaultCapacityScalingConfig(), SourceBuiltin
	}
	return s.base.config, s.base.source
}

// Version returns the ConfigMap resourceVersion given to Parse ("" for
// Builtin).
func (s *Snapshot) Version() string {
	if s == nil {
		return ""
	}
	return s.version
}

// Entries returns the number of valid entries applied: the default entry (if
// valid) plus the valid overrides.
func (s *Snapshot) Entries() int {
	if s == nil {
		return 0
	}
	n := len(s.overrides)
	if s.hasDefault {
		n++
	}
	return n
}

// HasDefault reports whether a valid `default` entry was applied.
func (s *Snapshot) HasDefault() bool { return s != nil && s.hasDefault }

// Errors returns the skipped entries, one per key, sorted by key. The slice
// is a copy.
func (s *Snapshot) Errors() []EntryError {
	if s == nil {
		return nil
	}
	return slices.Clone(s.errs)
}

// Warnings returns the caveats of accepted entries, sorted by key. The slice
// is a copy.
func (s *Snapshot) Warnings() []EntryWarning {
	if s == nil {
		return nil
	}
	return slices.Clone(s.warnings)
}

// String summarizes the snapshot for logs.
func (s *Snapshot) String() string {
	if s == nil {
		return "capacity config <nil>"
	}
	return fmt.Sprintf("capacity config version=%q entries=%d has_default=%t invalid=%d",
		s.version, s.Entries(), s.hasDefault, len(s.errs))
}
