package capacity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	goyaml "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// The YAML names of the fields an entry may set.
const (
	fieldModelID              = "model_id"
	fieldNamespace            = "namespace"
	fieldKvCacheThreshold     = "kvCacheThreshold"
	fieldQueueLengthThreshold = "queueLengthThreshold"
	fieldKvSpareTrigger       = "kvSpareTrigger"
	fieldQueueSpareTrigger    = "queueSpareTrigger"
)

// knownFieldNames lists the fields an entry may set, in the order the
// "valid fields" hint gives them.
var knownFieldNames = []string{fieldModelID, fieldNamespace, fieldKvCacheThreshold,
	fieldQueueLengthThreshold, fieldKvSpareTrigger, fieldQueueSpareTrigger, fieldSchedules}

// validFieldsHint ends the reason of an unknown field that resembles none.
var validFieldsHint = " (valid fields: " + strings.Join(knownFieldNames, ", ") + ")"

func isKnownField(name string) bool {
	switch name {
	case fieldModelID, fieldNamespace, fieldKvCacheThreshold, fieldQueueLengthThreshold, fieldKvSpareTrigger, fieldQueueSpareTrigger,
		fieldSchedules:
		return true
	}
	return false
}

// DecodeEntry decodes the YAML text of one ConfigMap entry, strictly: an
// unknown or misspelt field, a duplicate field, a value of the wrong type
// (including a quoted number such as "0.8", a YAML 1.1 boolean such as no
// where a string is expected, and a value with a YAML tag such as !!binary),
// a number in a YAML 1.1 notation (010, 0x10, 1_000), NaN or infinity, a
// number too large or too small to represent (1e309, 1e-400), an integer
// field with a fraction, an empty model_id or namespace, a key that is not a
// string and text after the first YAML document ("---" or "...") are errors
// that name the field. All problems of the entry are returned (the first
// few, then their count), joined with errors.Join; each is a FieldError,
// and every value of the input it quotes is cut to 64 characters. An empty
// entry decodes to Entry{}.
//
// DecodeEntry checks types only; ranges are checked by
// CapacityScalingConfig.Validate on the merged configuration.
func DecodeEntry(text string) (Entry, error) {
	return decodeEntry(text, zones{})
}

// decodeEntry is DecodeEntry with the time zones already loaded.
func decodeEntry(text string, z zones) (Entry, error) {
	raw := probeEntry(text)
	e, err := decodeDocument(text, &raw, z)
	if raw.docs > 1 {
		return Entry{}, errors.Join(extraDocumentError(text), err)
	}
	return e, err
}

// decodeDocument decodes the first YAML document of text; raw holds what
// the document says beyond its values (see rawyaml.go).
func decodeDocument(text string, raw *rawEntry, z zones) (Entry, error) {
	// sigs.k8s.io/yaml converts YAML to JSON (rejecting duplicate keys), so
	// the JSON decoder below sees exactly the types the user wrote.
	js, err := yamlToJSON(text)
	if err != nil {
		var unsupported *json.UnsupportedValueError
		if errors.As(err, &unsupported) {
			// JSON has no NaN or infinity, so the conversion fails without
			// saying where: find the fields another way.
			return Entry{}, nonFiniteFieldErrors(text)
		}
		// A key JSON cannot hold (null, a list) fails the conversion with a
		// message in Go syntax: describe it instead.
		if tree, ok := rawTree(text); ok {
			if kerr := badKeyError(tree); kerr != nil {
				return Entry{}, kerr
			}
		}
		return Entry{}, yamlError(err)
	}

	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return Entry{}, fieldErrorf("", ErrInvalidYAML, "invalid YAML: %v", err)
	}
	var fields map[string]any
	switch d := doc.(type) {
	case nil:
		return Entry{}, nil // empty entry or only comments: sets nothing
	case map[string]any:
		fields = d
	default:
		return Entry{}, fieldErrorf("", ErrWrongType,
			"entry must be a YAML mapping of fields (for example \"kvCacheThreshold: 0.8\"), got %s", describe(doc))
	}

	var e Entry
	var r reported
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if !isKnownField(k) {
			// Counted only once the report is full: a suggestion costs an
			// edit distance per known field.
			if !r.full() {
				r.add(unknownFieldError(k))
			} else {
				r.more++
			}
			continue
		}
		v, rv := fields[k], raw.fields.get(k)
		if k == fieldSchedules {
			e.Schedules, e.HasSchedules = decodeSchedules(v, raw.fields.Schedules, z, &r), true
			continue
		}
		var err error
		if tag := rv.unsupportedTag(); tag != "" {
			r.add(tagError(k, tag))
			continue
		}
		switch k {
		case fieldModelID:
			e.ModelID, err = decodeName(k, v, rv)
		case fieldNamespace:
			e.Namespace, err = decodeName(k, v, rv)
		default:
			err = thresholdsOf(&e.KvCacheThreshold, &e.QueueLengthThreshold, &e.KvSpareTrigger, &e.QueueSpareTrigger).
				decode(k, v, rv)
		}
		if err != nil {
			r.add(err)
		}
	}
	if err := r.join(); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// thresholds points at the four optional thresholds of an Entry or a Window.
type thresholds struct {
	kvCache, kvSpare        **float64
	queueLength, queueSpare **int
}

func thresholdsOf(kvCache **float64, queueLength **int, kvSpare **float64, queueSpare **int) thresholds {
	return thresholds{kvCache: kvCache, queueLength: queueLength, kvSpare: kvSpare, queueSpare: queueSpare}
}

// decode decodes field k into its threshold; a field that is not a
// threshold is left to the caller.
func (t thresholds) decode(k string, v any, rv rawScalar) (err error) {
	switch k {
	case fieldKvCacheThreshold:
		*t.kvCache, err = decodeFloat(k, v, rv)
	case fieldQueueLengthThreshold:
		*t.queueLength, err = decodeInt(k, v, rv)
	case fieldKvSpareTrigger:
		*t.kvSpare, err = decodeFloat(k, v, rv)
	case fieldQueueSpareTrigger:
		*t.queueSpare, err = decodeInt(k, v, rv)
	}
	return err
}

// maxReported caps the problems reported for one entry, so that a pasted
// document with thousands of fields still gives a readable message, and
// costs no more than its parsing.
const maxReported = 8

// reported collects the problems of an entry: the first maxReported, then
// only their number.
type reported struct {
	errs []error
	more int
}

func (r *reported) full() bool { return len(r.errs) >= maxReported }

func (r *reported) add(err error) {
	if r.full() {
		r.more++
		return
	}
	r.errs = append(r.errs, err)
}

// join returns the problems joined with errors.Join, the count of the
// others last; nil if there are none.
func (r *reported) join() error {
	if r.more > 0 {
		return errors.Join(append(r.errs[:len(r.errs):len(r.errs)], fmt.Errorf("and %d more problems", r.more))...)
	}
	return errors.Join(r.errs...)
}

// yamlToJSON converts with sigs.k8s.io/yaml. A panic in the third-party
// parser becomes an error: Parse runs in a controller's watch handler and
// must survive any ConfigMap content.
func yamlToJSON(text string) (js []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			js, err = nil, fmt.Errorf("the YAML parser failed: %v", r)
		}
	}()
	return yaml.YAMLToJSONStrict([]byte(text))
}

func decodeName(field string, v any, raw rawScalar) (string, error) {
	s, ok := v.(string)
	if !ok {
		if b, isBool := v.(bool); isBool && raw.scalar && raw.tag == "!!bool" {
			// YAML 1.1 reads no, off, n, on, yes, y as booleans.
			return "", fieldErrorf(field, ErrWrongType,
				"%s must be a string, got %s, which YAML 1.1 reads as the boolean %t: quote it (%s) to use it as a string",
				field, clipInput(raw.text), b, quoteInput(raw.text))
		}
		return "", fieldErrorf(field, ErrWrongType, "%s must be a string, got %s", field, describe(v))
	}
	if s == "" {
		return "", fieldErrorf(field, ErrInvalidValue, "%s must not be empty", field)
	}
	return s, nil
}

func decodeFloat(field string, v any, raw rawScalar) (*float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, numberTypeError(field, v, true)
	}
	if err := notationError(field, n, raw); err != nil {
		return nil, err
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, fieldErrorf(field, ErrOutOfRange, "%s must be a finite number, got %s", field, n)
	}
	return &f, nil
}

func decodeInt(field string, v any, raw rawScalar) (*int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, numberTypeError(field, v, false)
	}
	if err := notationError(field, n, raw); err != nil {
		return nil, err
	}
	if i, err := strconv.ParseInt(string(n), 10, strconv.IntSize); err == nil {
		out := int(i)
		return &out, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
		if f >= -(1<<53) && f <= 1<<53 {
			out := int(f) // 5.0 or 1e3: a whole number written as a float
			return &out, nil
		}
		return nil, fieldErrorf(field, ErrOutOfRange, "%s is too large, got %s", field, n)
	}
	return nil, fieldErrorf(field, ErrWrongType, "%s must be a whole number, got %s", field, n)
}

// notationError rejects a number that YAML 1.1 (and so sigs.k8s.io/yaml)
// reads in a way a reader of the ConfigMap would not expect: 010 is octal 8,
// 0x10 is 16, 1_000 is 1000, and 1e-400 silently becomes 0. n is the value
// as converted, raw the scalar as written. Only plain decimal numbers
// (0.8, 5, -1, .5, 1e3) are accepted.
func notationError(field string, n json.Number, raw rawScalar) error {
	if !raw.scalar || (raw.tag != "!!int" && raw.tag != "!!float") {
		return nil
	}
	text := raw.text
	digits := text
	if len(digits) > 0 && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	reads := func(how string) error {
		return fieldErrorf(field, ErrWrongType, "%s must be a plain decimal number, got %s: YAML 1.1 reads %s (this one as %s)",
			field, clipInput(text), how, n)
	}
	lower := strings.ToLower(digits)
	switch {
	case strings.HasPrefix(lower, "0x"):
		return reads("it as a hexadecimal number")
	case strings.HasPrefix(lower, "0o"):
		return reads("it as an octal number")
	case strings.HasPrefix(lower, "0b"):
		return reads("it as a binary number")
	case strings.Contains(digits, "_"):
		return fieldErrorf(field, ErrWrongType, "%s must be a plain decimal number, got %s: write it without the digit separators \"_\" (YAML 1.1 reads it as %s)",
			field, clipInput(text), n)
	case len(digits) > 1 && digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9':
		return fieldErrorf(field, ErrWrongType, "%s must be a plain decimal number, got %s: write it without the leading zero (YAML 1.1 reads a number with a leading zero as octal; this one as %s)",
			field, clipInput(text), n)
	}
	mantissa, _, _ := strings.Cut(lower, "e")
	if f, err := strconv.ParseFloat(string(n), 64); err == nil && f == 0 && strings.ContainsAny(mantissa, "123456789") {
		return fieldErrorf(field, ErrOutOfRange, "%s is out of range, got %s: it is too small to be represented and would be read as 0 (write 0 if you mean zero)",
			field, clipInput(text))
	}
	return nil
}

// tagError reports a value with a YAML tag this package does not read, such
// as !!binary or a custom !tag.
func tagError(field, tag string) error {
	want := "a number"
	if field == fieldModelID || field == fieldNamespace {
		want = "a string"
	}
	return fieldErrorf(field, ErrWrongType, "%s must be %s, got a value with the YAML tag %s, which is not supported: write the value without a tag",
		field, want, clipInput(tag))
}

func numberTypeError(field string, v any, fraction bool) error {
	if s, ok := v.(string); ok {
		_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		switch {
		case err == nil:
			return fieldErrorf(field, ErrWrongType,
				"%s must be a number, got the string %s: remove the quotes", field, quoteInput(s))
		case errors.Is(err, strconv.ErrRange):
			// go-yaml keeps a number beyond the float64 range (1e309) as a
			// string.
			shown := clipInput(strings.TrimSpace(s))
			switch {
			case fraction:
				return fieldErrorf(field, ErrOutOfRange, "%s is out of range, got %s: it must be between 0 and 1", field, shown)
			case strings.HasPrefix(strings.TrimSpace(s), "-"):
				return fieldErrorf(field, ErrOutOfRange, "%s is out of range, got %s: it must be >= 0", field, shown)
			default:
				return fieldErrorf(field, ErrOutOfRange, "%s is too large, got %s", field, shown)
			}
		}
	}
	return fieldErrorf(field, ErrWrongType, "%s must be a number, got %s", field, describe(v))
}

// describe names the YAML type of a decoded JSON value, with the value when
// it is short.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "an empty value (null)"
	case bool:
		return fmt.Sprintf("a boolean (%t)", t)
	case json.Number:
		return fmt.Sprintf("a number (%s)", clipInput(string(t)))
	case string:
		return "a string (" + quoteInput(t) + ")"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return "a value of another type"
}

func unknownFieldError(name string) error {
	msg := "unknown field " + quoteInput(name)
	if s := suggestField(name); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else {
		msg += validFieldsHint
	}
	return FieldError{Field: name, Err: ErrUnknownField, Message: msg}
}

// maxYAMLMessage bounds what a reason keeps of a parser's message: go-yaml
// messages are short, but one about a key quotes the key in full.
const maxYAMLMessage = 512

// yamlError turns a YAML syntax error into a FieldError. A duplicate key
// names the field.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	dup, found := "", false
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
		// go-yaml v2 prints an unhashable key (a list or a mapping used as
		// a key, "? [a]: 1"), and sigs.k8s.io/yaml a key JSON cannot hold
		// (null), in Go syntax. badKeyError describes such keys in a
		// mapping; these are the ones it cannot reach (inside a list).
		if strings.HasPrefix(lines[i], "invalid map key: ") || strings.HasPrefix(lines[i], "unsupported map key of type: ") {
			lines[i] = "a key is null, a list or a mapping; keys must be strings"
			continue
		}
		// go-yaml v2 reports: line 2: key "kvCacheThreshold" already set in map
		if prefix, name, ok := duplicateKey(lines[i]); ok {
			lines[i] = prefix + "key " + quoteInput(name) + " already set in map"
			if !found {
				dup, found = name, true
			}
		}
	}
	if len(lines) > maxReported {
		lines = append(lines[:maxReported:maxReported], fmt.Sprintf("and %d more", len(lines)-maxReported))
	}
	msg = clipMessage(strings.Join(lines, "; "), maxYAMLMessage)
	if found {
		return fieldErrorf(dup, ErrInvalidYAML, "field %s is set more than once (%s)", quoteInput(dup), msg)
	}
	return fieldErrorf("", ErrInvalidYAML, "invalid YAML: %s", msg)
}

// duplicateKey parses go-yaml v2's `line 2: key "name" already set in map`
// into its "line 2: " prefix and the key.
func duplicateKey(line string) (prefix, name string, ok bool) {
	rest, ok := strings.CutSuffix(line, " already set in map")
	if !ok {
		return "", "", false
	}
	i := strings.Index(rest, "key ")
	if i < 0 {
		return "", "", false
	}
	prefix, name = rest[:i], rest[i+len("key "):]
	if unquoted, err := strconv.Unquote(name); err == nil {
		name = unquoted
	}
	return prefix, name, true
}

// nonFiniteFieldErrors names the fields holding .nan or .inf, and where in
// the field when the value is nested (kvCacheThreshold[0]). The JSON
// conversion cannot carry them, so the entry is read again into go-yaml's
// ordered mappings, where they are float64 values.
func nonFiniteFieldErrors(text string) error {
	tree, ok := rawTree(text)
	if ok {
		type field struct {
			name  string
			value any
		}
		var fields []field
		for _, item := range tree {
			name, _ := keyString(item.Key)
			fields = append(fields, field{name, item.Value})
		}
		slices.SortStableFunc(fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
		var r reported
		for _, f := range fields {
			path, v, found := nonFinitePath(f.value, joinPath("", f.name))
			switch {
			case !found:
			case !isKnownField(f.name):
				if r.full() {
					r.more++
				} else {
					r.add(unknownFieldError(f.name))
				}
			case f.name == fieldSchedules:
				r.add(fieldErrorf(f.name, ErrNotFinite, "%s must be a finite number, got %s", path, formatDecimal(v)))
			case path == joinPath("", f.name):
				r.add(fieldErrorf(f.name, ErrNotFinite, "%s must be a finite number, got %s", f.name, formatDecimal(v)))
			default:
				// The field holds a list or a mapping: its type is the problem,
				// and the path says where the value that stopped the
				// conversion is.
				r.add(fieldErrorf(f.name, ErrWrongType, "%s must be a number, got %s (holding %s at %s)",
					f.name, describeTree(f.value), formatDecimal(v), path))
			}
		}
		if err := r.join(); err != nil {
			return err
		}
	}
	return fieldErrorf("", ErrNotFinite, "entry contains a value that is not a finite number (.nan or .inf)")
}

// describeTree names the YAML type of a nested value read by rawTree.
func describeTree(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case goyaml.MapSlice:
		return "a mapping"
	}
	return "a value"
}
