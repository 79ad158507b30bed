package logging

import (
	"fmt"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
)

// LevelKey is the key Warn adds when the logger is not backed by zap and the
// line has to go out through Info.
const LevelKey = "level"

// Warn logs msg with the key/value pairs at zap's Warn level. The logger's
// name and accumulated values (WithName, WithValues) are kept because zapr
// applies them to the *zap.Logger it exposes. A logger whose sink is not zapr
// (a test's funcr, a discard logger) gets an Info line with level=warn, so the
// severity is never lost.
func Warn(log logr.Logger, msg string, keysAndValues ...any) {
	sink := log.GetSink()
	if sink == nil {
		return
	}
	if u, ok := sink.(zapr.Underlier); ok {
		// zapr's logger skips the logr frames; this helper has one frame
		// fewer, so undo one skip to attribute the line to our caller.
		u.GetUnderlying().WithOptions(zap.AddCallerSkip(-1)).Warn(msg, fields(keysAndValues)...)
		return
	}
	log.WithCallDepth(1).Info(msg, append([]any{LevelKey, "warn"}, keysAndValues...)...)
}

// fields turns logr key/value pairs into zap fields. A dangling key or a
// non-string key is kept visibly rather than dropped, matching zapr's intent
// without its DPanic.
func fields(keysAndValues []any) []zap.Field {
	out := make([]zap.Field, 0, (len(keysAndValues)+1)/2)
	for i := 0; i < len(keysAndValues); i += 2 {
		key, ok := keysAndValues[i].(string)
		if !ok {
			key = fmt.Sprint(keysAndValues[i])
		}
		if i+1 >= len(keysAndValues) {
			out = append(out, zap.Any("ignoredKey", key))
			break
		}
		out = append(out, zapValue(key, keysAndValues[i+1]))
	}
	return out
}

// zapValue mirrors zapr: values implementing logr.Marshaler (klog.KObj,
// ObjectRef) are logged through MarshalLog.
func zapValue(key string, value any) zap.Field {
	if m, ok := value.(logr.Marshaler); ok {
		return zap.Any(key, m.MarshalLog())
	}
	if err, ok := value.(error); ok && key == "error" {
		return zap.NamedError(key, err)
	}
	return zap.Any(key, value)
}
