package zaplog

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Query selects log entries. Empty Level or Msg match anything; every key of
// Fields must be present with exactly that value (as Entry.Field renders it).
// Since, when set, drops entries written before it (entries without a time
// always pass).
type Query struct {
	Level  string
	Msg    string
	Fields map[string]string
	Since  time.Time
}

// Matches reports whether e satisfies q.
func (q Query) Matches(e Entry) bool {
	if q.Level != "" && e.Level != q.Level {
		return false
	}
	if q.Msg != "" && e.Msg != q.Msg {
		return false
	}
	if !q.Since.IsZero() && !e.Time.IsZero() && e.Time.Before(q.Since) {
		return false
	}
	for k, want := range q.Fields {
		if got, ok := e.Field(k); !ok || got != want {
			return false
		}
	}
	return true
}

// String describes q for test output.
func (q Query) String() string {
	var b strings.Builder
	level := q.Level
	if level == "" {
		level = "any level"
	}
	fmt.Fprintf(&b, "%s %q", strings.ToUpper(level), q.Msg)
	for _, k := range slices.Sorted(maps.Keys(q.Fields)) {
		fmt.Fprintf(&b, " %s=%s", k, q.Fields[k])
	}
	if !q.Since.IsZero() {
		fmt.Fprintf(&b, " (since %s)", q.Since.UTC().Format("15:04:05.000"))
	}
	return b.String()
}

// Find returns the entries that match q, in log order.
func Find(entries []Entry, q Query) []Entry {
	var out []Entry
	for _, e := range entries {
		if q.Matches(e) {
			out = append(out, e)
		}
	}
	return out
}

// First returns the first entry that matches q.
func First(entries []Entry, q Query) (Entry, bool) {
	for _, e := range entries {
		if q.Matches(e) {
			return e, true
		}
	}
	return Entry{}, false
}

// WithMsg returns the entries whose message is msg, whatever their level and
// fields: what a failing assertion shows to explain itself ("the line was
// there, at level info").
func WithMsg(entries []Entry, msg string) []Entry {
	return Find(entries, Query{Msg: msg})
}
