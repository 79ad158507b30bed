package configwatch

import (
	"fmt"
	"testing"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/logging/logtest"
)

// reportLines logs what reportProblems says about cm and returns the lines.
func reportLines(t *testing.T, data map[string]string, binaryData map[string][]byte) []logtest.Line {
	t.Helper()
	cm := configMap("7", data)
	cm.BinaryData = binaryData
	log, rec := logtest.New()
	reportProblems(log, cm, capacity.Parse(cm.Data, cm.ResourceVersion))
	return rec.Lines()
}

// countMessages counts the lines by message.
func countMessages(lines []logtest.Line) map[string]int {
	out := map[string]int{}
	for _, l := range lines {
		out[l.Message]++
	}
	return out
}

func TestReportCapsInvalidEntries(t *testing.T) {
	data := map[string]string{"default": "kvCacheThreshold: 0.8\n"}
	for i := range 25 {
		data[fmt.Sprintf("bad-%02d", i)] = "kvCacheThreshold: 1.5\n"
	}
	lines := reportLines(t, data, nil)
	mustDiff(t, "lines by message", map[string]int{MsgInvalidEntry: maxProblemLines, MsgMoreInvalidEntries: 1}, countMessages(lines))
	last := lines[len(lines)-1]
	mustDiff(t, "summary line", logtest.Line{Level: "warn", Message: MsgMoreInvalidEntries, Fields: map[string]any{
		"logged": int64(maxProblemLines), "invalid": int64(25),
	}}, last)
	// The first lines are the first keys, in the snapshot's (sorted) order.
	mustDiff(t, "first key logged", "bad-00", lines[0].Fields["key"])

	// Exactly the cap: no summary line.
	data = map[string]string{"default": "kvCacheThreshold: 0.8\n"}
	for i := range maxProblemLines {
		data[fmt.Sprintf("bad-%02d", i)] = "kvCacheThreshold: 1.5\n"
	}
	mustDiff(t, "lines at the cap", map[string]int{MsgInvalidEntry: maxProblemLines}, countMessages(reportLines(t, data, nil)))
}

func TestReportDefaultAbsentOrInvalid(t *testing.T) {
	override := "model_id: m\nnamespace: lab\nkvSpareTrigger: 0.2\n"
	cases := map[string]struct {
		data map[string]string
		want map[string]int
	}{
		"no default key": {
			data: map[string]string{"lab": override},
			want: map[string]int{MsgNoDefault: 1},
		},
		"invalid default": {
			data: map[string]string{"default": "kvCacheThreshold: 1.5\n", "lab": override},
			want: map[string]int{MsgInvalidEntry: 1, MsgInvalidDefault: 1},
		},
		"valid default": {
			data: map[string]string{"default": "kvCacheThreshold: 0.8\n", "lab": override},
			want: map[string]int{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			mustDiff(t, "lines by message", tc.want, countMessages(reportLines(t, tc.data, nil)))
		})
	}
}

func TestReportPathologicalThresholds(t *testing.T) {
	lines := reportLines(t, map[string]string{"default": "kvCacheThreshold: 0\nkvSpareTrigger: 0\nqueueLengthThreshold: 5\nqueueSpareTrigger: 3\n"}, nil)
	mustDiff(t, "lines by message", map[string]int{MsgEntryWarning: 1}, countMessages(lines))
	mustDiff(t, "key", "default", lines[0].Fields["key"])
	if w, _ := lines[0].Fields["warning"].(string); w == "" || w[:len("kvCacheThreshold is 0")] != "kvCacheThreshold is 0" {
		t.Errorf("warning %q, want the kvCacheThreshold 0 caveat", lines[0].Fields["warning"])
	}
}

func TestReportBinaryData(t *testing.T) {
	lines := reportLines(t, map[string]string{"default": "kvCacheThreshold: 0.8\n"},
		map[string][]byte{"granite": []byte("model_id: m\n"), "extra": {0xff}})
	mustDiff(t, "lines", []logtest.Line{{Level: "warn", Message: capacity.BinaryDataIgnored, Fields: map[string]any{
		"keys": []any{"extra", "granite"}, "count": int64(2),
	}}}, lines)
}
