package capacity

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	goyaml "go.yaml.in/yaml/v2"
)

// The JSON conversion of sigs.k8s.io/yaml keeps the values of an entry but
// forgets how they were written, and reads only the first YAML document.
// This file reads the same text a second time with go-yaml v2, the parser
// sigs.k8s.io/yaml itself uses (so both passes agree on what the YAML
// means), to learn what the conversion drops: the number of documents, the
// scalar text and tag of each known field, and, when the conversion fails,
// the keys that are not strings and the place of a NaN.

// rawEntry is what the second pass learned about an entry. The zero value
// means "nothing known" (the first document has a syntax error, which the
// JSON conversion reports).
type rawEntry struct {
	// docs is the number of YAML documents, counted up to 2.
	docs int
	// fields are the known fields of the first document, as written.
	fields rawFields
}

// rawFields holds the known fields; go-yaml fills them by name and skips
// every other key without decoding its value.
type rawFields struct {
	ModelID              rawScalar `yaml:"model_id"`
	Namespace            rawScalar `yaml:"namespace"`
	KvCacheThreshold     rawScalar `yaml:"kvCacheThreshold"`
	QueueLengthThreshold rawScalar `yaml:"queueLengthThreshold"`
	KvSpareTrigger       rawScalar `yaml:"kvSpareTrigger"`
	QueueSpareTrigger    rawScalar `yaml:"queueSpareTrigger"`
	// Schedules are the windows, when schedules is a list of mappings.
	Schedules []rawWindow `yaml:"schedules"`
}

func (f *rawFields) get(name string) rawScalar {
	switch name {
	case fieldModelID:
		return f.ModelID
	case fieldNamespace:
		return f.Namespace
	case fieldKvCacheThreshold:
		return f.KvCacheThreshold
	case fieldQueueLengthThreshold:
		return f.QueueLengthThreshold
	case fieldKvSpareTrigger:
		return f.KvSpareTrigger
	case fieldQueueSpareTrigger:
		return f.QueueSpareTrigger
	}
	return rawScalar{}
}

// rawScalar is one field's value as written, when it is a scalar.
type rawScalar struct {
	// scalar: the value is a scalar (not null, a mapping or a sequence).
	scalar bool
	// text is the scalar as written, without quotes (for !!binary, the
	// decoded text).
	text string
	// tag is the scalar's tag as go-yaml names it: "!!int", "!!float",
	// "!!bool", "!!str" (a quoted or plain string), or an explicit tag such
	// as "!!binary" or "!custom".
	tag string
}

// UnmarshalYAML records the scalar text and tag. go-yaml v2 shows a node's
// tag only in a type error, so the node is decoded into a struct{}, which
// no scalar fits, and the tag is read from the error ("line 1: cannot
// unmarshal !!float `0.8` into struct {}"). Never fails: what cannot be
// learned stays empty.
func (s *rawScalar) UnmarshalYAML(unmarshal func(any) error) error {
	var text string
	if unmarshal(&text) != nil {
		return nil // a mapping or a sequence
	}
	var sink struct{}
	var te *goyaml.TypeError
	if err := unmarshal(&sink); !errors.As(err, &te) || len(te.Errors) != 1 {
		return nil // null: it fits any type
	}
	_, rest, ok := strings.Cut(te.Errors[0], "cannot unmarshal ")
	if !ok {
		return nil
	}
	tag, _, _ := strings.Cut(rest, " ")
	*s = rawScalar{scalar: true, text: text, tag: tag}
	return nil
}

// standardTags are the tags of values this package reads; any other tag
// (!!binary, !!set, !custom) asks for a meaning it does not give.
var standardTags = map[string]bool{"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true, "!!timestamp": true}

// unsupportedTag returns the scalar's tag if it is not one this package
// reads, else "".
func (s rawScalar) unsupportedTag() string {
	if !s.scalar || standardTags[s.tag] {
		return ""
	}
	return s.tag
}

// probeEntry reads text with go-yaml v2's document decoder: the known fields
// of the first document and whether a second document follows. It never
// panics.
func probeEntry(text string) (r rawEntry) {
	defer func() {
		if recover() != nil {
			r = rawEntry{}
		}
	}()
	dec := goyaml.NewDecoder(strings.NewReader(text))
	var te *goyaml.TypeError
	if err := dec.Decode(&r.fields); err != nil && !errors.As(err, &te) {
		return rawEntry{} // no document, or a syntax error
	}
	r.docs = 1
	// Decoding into a struct{} skips every value, so a large second
	// document costs only its parsing. Any outcome but io.EOF, a syntax
	// error included, means text follows the first document.
	var skip struct{}
	if err := dec.Decode(&skip); !errors.Is(err, io.EOF) {
		r.docs = 2
	}
	return r
}

// extraDocumentError reports text after the first YAML document: sigs.k8s.io/yaml
// would silently ignore it. It names the line that ends the first document
// when it can find it: a "---" or "..." at the start of a line, after the
// first document's content (a leading "---" only opens the first document).
func extraDocumentError(text string) error {
	const why = "; an entry is a single YAML document, and the rest would be ignored"
	content := false
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		marker := documentMarker(line)
		switch {
		case marker == "...":
			return fieldErrorf("", ErrInvalidYAML, "invalid YAML: line %d: %q ends the YAML document, but more text follows%s", i+1, marker, why)
		case marker == "---" && content:
			return fieldErrorf("", ErrInvalidYAML, "invalid YAML: line %d: %q starts a second YAML document%s", i+1, marker, why)
		case marker == "---":
			// Opens the first document; content may follow on the same line.
			content = strings.TrimSpace(stripComment(line[3:])) != ""
		case !strings.HasPrefix(line, "%") && strings.TrimSpace(stripComment(line)) != "":
			content = true
		}
	}
	return fieldErrorf("", ErrInvalidYAML, "invalid YAML: the entry holds more than one YAML document%s", why)
}

// documentMarker returns "---" or "..." if line starts with that marker
// followed by a blank or nothing, as YAML requires of a document marker;
// else "".
func documentMarker(line string) string {
	for _, m := range []string{"---", "..."} {
		if rest, ok := strings.CutPrefix(line, m); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return m
		}
	}
	return ""
}

// stripComment drops a comment that starts a line (after blanks); enough to
// tell a comment line from content.
func stripComment(line string) string {
	if strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
		return ""
	}
	return line
}

// rawTree decodes the first document into ordered mappings (go-yaml's
// MapSlice), which, unlike Go maps, accept a key of any type. It is used
// only when the JSON conversion failed, to say why.
func rawTree(text string) (tree goyaml.MapSlice, ok bool) {
	defer func() {
		if recover() != nil {
			tree, ok = nil, false
		}
	}()
	if err := goyaml.Unmarshal([]byte(text), &tree); err != nil {
		return nil, false
	}
	return tree, true
}

// keyString is the field name sigs.k8s.io/yaml makes of a mapping key, and
// false for a key it cannot convert (null, a list, a mapping, an integer
// above the int64 range).
func keyString(k any) (string, bool) {
	switch t := k.(type) {
	case string:
		return t, true
	case int, int64, bool:
		return fmt.Sprint(t), true
	case float64:
		// As sigs.k8s.io/yaml writes it.
		switch s := strconv.FormatFloat(t, 'g', -1, 32); s {
		case "+Inf":
			return ".inf", true
		case "-Inf":
			return "-.inf", true
		case "NaN":
			return ".nan", true
		default:
			return s, true
		}
	}
	return "", false
}

// badKeyError finds the first mapping key that is not a string, a number or
// a boolean (JSON, and so sigs.k8s.io/yaml, has no other keys) and describes
// it; nil if there is none.
func badKeyError(tree goyaml.MapSlice) error {
	var walk func(v any, in string) error
	walk = func(v any, in string) error {
		switch t := v.(type) {
		case goyaml.MapSlice:
			for _, item := range t {
				name, ok := keyString(item.Key)
				if !ok {
					where := ""
					if in != "" {
						where = " inside " + in
					}
					return fieldErrorf("", ErrInvalidYAML, "invalid YAML: a key%s must be a string, got %s", where, describeKey(item.Key))
				}
				if err := walk(item.Value, joinPath(in, name)); err != nil {
					return err
				}
			}
		case []any:
			for i, e := range t {
				if err := walk(e, in+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(tree, "")
}

func describeKey(k any) string {
	switch k.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case goyaml.MapSlice:
		return "a mapping"
	case uint64:
		return "an integer too large for a key"
	}
	return "a value of another type"
}

// joinPath appends a mapping key to a path such as kvCacheThreshold[0].
func joinPath(path, key string) string {
	k := clipInput(key)
	if strings.ContainsAny(key, ".[]\"' \t\n") {
		k = quoteInput(key)
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

// nonFinitePath returns where the first NaN or infinity inside v is, as a
// path below prefix, and its value; ok is false if v holds none.
func nonFinitePath(v any, prefix string) (path string, value float64, ok bool) {
	switch t := v.(type) {
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return prefix, t, true
		}
	case goyaml.MapSlice:
		for _, item := range t {
			name, _ := keyString(item.Key)
			if p, f, ok := nonFinitePath(item.Value, joinPath(prefix, name)); ok {
				return p, f, true
			}
		}
	case []any:
		for i, e := range t {
			if p, f, ok := nonFinitePath(e, prefix+"["+strconv.Itoa(i)+"]"); ok {
				return p, f, true
			}
		}
	}
	return "", 0, false
}
