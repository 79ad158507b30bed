package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/go-logr/zapr"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	ctrlzap "sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func TestWarnAtZapWarnLevel(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	log := zapr.NewLogger(zap.New(core)).WithName("capacity-config").WithValues("controller", "variantautoscaling")

	Warn(log, "Invalid capacity scaling config entry, skipping", "key", "bad", "error", "kvCacheThreshold must be between 0 and 1, got 1.50")

	entries := logs.AllUntimed()
	if len(entries) != 1 {
		t.Fatalf("got %d log entries, want 1", len(entries))
	}
	e := entries[0]
	if e.Level != zapcore.WarnLevel {
		t.Errorf("level = %s, want warn", e.Level)
	}
	if e.LoggerName != "capacity-config" {
		t.Errorf("logger name = %q, want capacity-config", e.LoggerName)
	}
	want := map[string]any{
		"controller": "variantautoscaling",
		"key":        "bad",
		"error":      "kvCacheThreshold must be between 0 and 1, got 1.50",
	}
	if diff := cmp.Diff(want, e.ContextMap()); diff != "" {
		t.Errorf("fields: -want +got:\n%s", diff)
	}
}

// TestWarnThroughControllerRuntimeZap checks the real encoder of the binary:
// JSON with "level":"warn" and the message and keys as given.
func TestWarnThroughControllerRuntimeZap(t *testing.T) {
	var buf bytes.Buffer
	log := ctrlzap.New(ctrlzap.WriteTo(&buf))
	Warn(log, "Capacity scaling ConfigMap not found, using hardcoded defaults",
		"configmap", "capacity-scaling-config", "namespace", "workload-variant-autoscaler-system")

	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("decoding %q: %v", buf.String(), err)
	}
	delete(got, "ts")
	want := map[string]any{
		"level":     "warn",
		"msg":       "Capacity scaling ConfigMap not found, using hardcoded defaults",
		"configmap": "capacity-scaling-config",
		"namespace": "workload-variant-autoscaler-system",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON line: -want +got:\n%s", diff)
	}
}

func TestWarnFallsBackToInfoWithLevelKey(t *testing.T) {
	var lines []string
	log := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{})
	Warn(log, "something odd", "key", "k")
	want := []string{`"level"=0 "msg"="something odd" "level"="warn" "key"="k"`}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("lines: -want +got:\n%s", diff)
	}
}

func TestWarnDiscardAndOddKeys(t *testing.T) {
	Warn(logr.Discard(), "nothing happens")

	core, logs := observer.New(zapcore.DebugLevel)
	Warn(zapr.NewLogger(zap.New(core)), "odd", "error", errors.New("boom"), 7, "seven", "dangling")
	got := logs.AllUntimed()[0].ContextMap()
	want := map[string]any{"error": "boom", "7": "seven", "ignoredKey": "dangling"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields: -want +got:\n%s", diff)
	}
}
