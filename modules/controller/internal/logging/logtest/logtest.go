// Package logtest captures the lines a zap-backed logr.Logger writes, so
// tests can assert the spec's log messages, levels and keys.
package logtest

import (
	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// Line is one captured log line. Level is zap's name for it: "debug" (logr
// V(1)), "info", "warn" or "error". Fields holds the key/value pairs, with
// zap's types (int64 for integers).
type Line struct {
	Level   string
	Message string
	Fields  map[string]any
}

// Recorder holds the captured lines.
type Recorder struct {
	logs *observer.ObservedLogs
}

// New returns a logger recording every line down to V(1) (zap debug).
func New() (logr.Logger, *Recorder) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zapr.NewLogger(zap.New(core)), &Recorder{logs: logs}
}

// Lines returns the lines logged so far, in order.
func (r *Recorder) Lines() []Line {
	entries := r.logs.AllUntimed()
	out := make([]Line, 0, len(entries))
	for _, e := range entries {
		out = append(out, Line{Level: e.Level.String(), Message: e.Message, Fields: e.ContextMap()})
	}
	return out
}

// Messages returns the lines with the given message.
func (r *Recorder) Messages(msg string) []Line {
	var out []Line
	for _, l := range r.Lines() {
		if l.Message == msg {
			out = append(out, l)
		}
	}
	return out
}

// Keys returns, for each line with the given message, the keys of its
// fields in the order they were added, duplicates included (Fields keeps
// one value per key): a logger's WithValues keys first, then the line's.
func (r *Recorder) Keys(msg string) [][]string {
	var out [][]string
	for _, e := range r.logs.AllUntimed() {
		if e.Message != msg {
			continue
		}
		keys := make([]string, 0, len(e.Context))
		for _, f := range e.Context {
			keys = append(keys, f.Key)
		}
		out = append(out, keys)
	}
	return out
}
