package zaplog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Keys zap's JSON encoder uses for the fixed parts of a line.
const (
	LevelKey = "level"
	MsgKey   = "msg"
)

// Entry is one parsed log line.
type Entry struct {
	// Time is the container runtime's timestamp of the line (zero when the
	// line had no timestamp prefix).
	Time time.Time
	// Level is zap's level name: "debug", "info", "warn", "error", ...
	Level string
	// Msg is the log message.
	Msg string
	// Fields holds every other key of the JSON object, including zap's own
	// "ts", "logger" and "caller". Numbers are json.Number.
	Fields map[string]any
	// Raw is the JSON object as written.
	Raw string
}

// Field returns the value of key as a string: strings as they are, numbers
// as written (e.g. "3" or "0.85"), booleans as "true"/"false", anything else
// as its JSON encoding. ok is false when the line has no such key.
func (e Entry) Field(key string) (value string, ok bool) {
	v, ok := e.Fields[key]
	if !ok {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return fmt.Sprint(v), true
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v), true
		}
		return string(b), true
	}
}

// String renders the entry compactly for test output.
func (e Entry) String() string {
	var b strings.Builder
	if !e.Time.IsZero() {
		b.WriteString(e.Time.UTC().Format("15:04:05.000000 "))
	}
	fmt.Fprintf(&b, "%s %q", strings.ToUpper(e.Level), e.Msg)
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		if k == "ts" || k == "caller" || k == "logger" {
			continue
		}
		v, _ := e.Field(k)
		fmt.Fprintf(&b, " %s=%s", k, v)
	}
	return b.String()
}

// ParseLine parses one line: a zap JSON object, optionally preceded by an
// RFC 3339 timestamp and a space (the form of pods/log with timestamps=true).
func ParseLine(line string) (Entry, error) {
	line = strings.TrimRight(line, "\r\n")
	var e Entry
	rest := line
	if ts, after, found := strings.Cut(line, " "); found && !strings.HasPrefix(line, "{") {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return Entry{}, fmt.Errorf("log line timestamp %q: %w", ts, err)
		}
		e.Time = t
		rest = after
	}
	dec := json.NewDecoder(strings.NewReader(rest))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return Entry{}, fmt.Errorf("log line is not a JSON object: %w", err)
	}
	if dec.More() {
		return Entry{}, fmt.Errorf("log line has data after its JSON object")
	}
	level, ok := fields[LevelKey].(string)
	if !ok {
		return Entry{}, fmt.Errorf("log line has no string %q field", LevelKey)
	}
	msg, ok := fields[MsgKey].(string)
	if !ok {
		return Entry{}, fmt.Errorf("log line has no string %q field", MsgKey)
	}
	delete(fields, LevelKey)
	delete(fields, MsgKey)
	e.Level, e.Msg, e.Fields, e.Raw = level, msg, fields, rest
	return e, nil
}

// Parse reads a whole log. Lines that ParseLine rejects are returned in
// other (empty lines are dropped); only a read error fails the parse.
func Parse(r io.Reader) (entries []Entry, other []string, err error) {
	sc := bufio.NewScanner(r)
	// Stack traces and large objects make long lines.
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if len(bytes.TrimSpace([]byte(line))) == 0 {
			continue
		}
		e, perr := ParseLine(line)
		if perr != nil {
			other = append(other, line)
			continue
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return entries, other, fmt.Errorf("reading log: %w", err)
	}
	return entries, other, nil
}
