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

func knownFields() []string {
	return []string{fieldModelID, fieldNamespace, fieldKvCacheThreshold,
		fieldQueueLengthThreshold, fieldKvSpareTrigger, fieldQueueSpareTrigger}
}

// DecodeEntry decodes the YAML text of one ConfigMap entry, strictly: an
// unknown or misspelt field, a duplicate field, a value of the wrong type
// (including a quoted number such as "0.8"), NaN or infinity, an integer
// field with a fraction and an empty model_id or namespace are errors that
// name the field. All problems of the entry are returned, joined with
// errors.Join; each is a FieldError. An empty entry decodes to Entry{}.
//
// DecodeEntry checks types only; ranges are checked by
// CapacityScalingConfig.Validate on the merged configuration.
func DecodeEntry(text string) (Entry, error) {
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
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		v := fields[k]
		var err error
		switch k {
		case fieldModelID:
			e.ModelID, err = decodeName(k, v)
		case fieldNamespace:
			e.Namespace, err = decodeName(k, v)
		case fieldKvCacheThreshold:
			e.KvCacheThreshold, err = decodeFloat(k, v)
		case fieldQueueLengthThreshold:
			e.QueueLengthThreshold, err = decodeInt(k, v)
		case fieldKvSpareTrigger:
			e.KvSpareTrigger, err = decodeFloat(k, v)
		case fieldQueueSpareTrigger:
			e.QueueSpareTrigger, err = decodeInt(k, v)
		default:
			err = unknownFieldError(k)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Entry{}, joinCapped(errs)
	}
	return e, nil
}

// maxReported caps the problems reported for one entry, so that a pasted
// document with thousands of fields still gives a readable message.
const maxReported = 8

func joinCapped(errs []error) error {
	if len(errs) > maxReported {
		more := len(errs) - maxReported
		errs = append(errs[:maxReported:maxReported], fmt.Errorf("and %d more problems", more))
	}
	return errors.Join(errs...)
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

func decodeName(field string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fieldErrorf(field, ErrWrongType, "%s must be a string, got %s", field, describe(v))
	}
	if s == "" {
		return "", fieldErrorf(field, ErrInvalidValue, "%s must not be empty", field)
	}
	return s, nil
}

func decodeFloat(field string, v any) (*float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, numberTypeError(field, v)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, fieldErrorf(field, ErrOutOfRange, "%s must be a finite number, got %s", field, n)
	}
	return &f, nil
}

func decodeInt(field string, v any) (*int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, numberTypeError(field, v)
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

func numberTypeError(field string, v any) error {
	if s, ok := v.(string); ok {
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return fieldErrorf(field, ErrWrongType,
				"%s must be a number, got the string %q: remove the quotes", field, s)
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
		return fmt.Sprintf("a number (%s)", t)
	case string:
		if len(t) > 64 {
			return fmt.Sprintf("a string (%q...)", t[:64])
		}
		return fmt.Sprintf("a string (%q)", t)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("a value of type %T", v)
}

func unknownFieldError(name string) error {
	quoted := strconv.Quote(name)
	if len(name) > 64 {
		quoted = strconv.Quote(name[:64]) + "..."
	}
	msg := "unknown field " + quoted
	if s := suggestField(name); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else {
		msg += " (valid fields: " + strings.Join(knownFields(), ", ") + ")"
	}
	return FieldError{Field: name, Err: ErrUnknownField, Message: msg}
}

// yamlError turns a YAML syntax error into a FieldError. A duplicate key
// names the field.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	if len(lines) > maxReported {
		lines = append(lines[:maxReported:maxReported], fmt.Sprintf("and %d more", len(lines)-maxReported))
	}
	msg = strings.Join(lines, "; ")
	// yaml.v2 reports: line 2: key "kvCacheThreshold" already set in map
	if _, rest, ok := strings.Cut(msg, `key "`); ok {
		if name, _, ok := strings.Cut(rest, `" already set in map`); ok {
			return fieldErrorf(name, ErrInvalidYAML, "field %q is set more than once (%s)", name, msg)
		}
	}
	return fieldErrorf("", ErrInvalidYAML, "invalid YAML: %s", msg)
}

// nonFiniteFieldErrors names the fields holding .nan or .inf. The JSON
// conversion cannot carry them, so the entry is decoded once more into a map
// of strings: sigs.k8s.io/yaml then formats every number as a string, NaN and
// infinities included.
func nonFiniteFieldErrors(text string) error {
	var probe map[string]string
	if err := unmarshalYAML(text, &probe); err == nil {
		var errs []error
		for _, k := range slices.Sorted(maps.Keys(probe)) {
			switch v := probe[k]; v {
			case "NaN", "+Inf", "-Inf":
				if slices.Contains(knownFields(), k) {
					errs = append(errs, fieldErrorf(k, ErrNotFinite, "%s must be a finite number, got %s", k, v))
				} else {
					errs = append(errs, unknownFieldError(k))
				}
			}
		}
		if len(errs) > 0 {
			return joinCapped(errs)
		}
	}
	return fieldErrorf("", ErrNotFinite, "entry contains a value that is not a finite number (.nan or .inf)")
}

// unmarshalYAML is yaml.Unmarshal with the same panic guard as yamlToJSON.
func unmarshalYAML(text string, out any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML parser failed: %v", r)
		}
	}()
	return yaml.Unmarshal([]byte(text), out)
}
