package zaplog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Lines as the controller writes them (zap's production JSON encoder) and as
// pods/log returns them with timestamps=true.
const (
	notFoundLine = `{"level":"warn","ts":1767225600.123,"logger":"setup","caller":"config/loader.go:44","msg":"Capacity scaling ConfigMap not found, using hardcoded defaults","configmap":"capacity-scaling-config","namespace":"workload-variant-autoscaler-system"}`
	updatedLine  = `{"level":"info","ts":1767225601.5,"msg":"Capacity scaling config cache updated","entries":3,"has_default":true}`
	invalidLine  = `{"level":"warn","ts":1767225601.6,"msg":"Invalid capacity scaling config entry, skipping","key":"invalid-config","error":"kvCacheThreshold must be between 0 and 1, got 1.50"}`
)

func TestParseLine(t *testing.T) {
	cases := map[string]struct {
		line    string
		want    Entry
		wantErr bool
	}{
		"plain JSON": {
			line: updatedLine,
			want: Entry{
				Level:  "info",
				Msg:    "Capacity scaling config cache updated",
				Fields: map[string]any{"ts": json.Number("1767225601.5"), "entries": json.Number("3"), "has_default": true},
				Raw:    updatedLine,
			},
		},
		"with the runtime's timestamp": {
			line: "2026-01-01T00:00:01.500123456Z " + invalidLine + "\n",
			want: Entry{
				Time:  time.Date(2026, 1, 1, 0, 0, 1, 500123456, time.UTC),
				Level: "warn",
				Msg:   "Invalid capacity scaling config entry, skipping",
				Fields: map[string]any{
					"ts": json.Number("1767225601.6"), "key": "invalid-config",
					"error": "kvCacheThreshold must be between 0 and 1, got 1.50",
				},
				Raw: invalidLine,
			},
		},
		"not JSON":              {line: "panic: runtime error", wantErr: true},
		"timestamp, not JSON":   {line: "2026-01-01T00:00:01Z goroutine 1 [running]:", wantErr: true},
		"JSON without a level":  {line: `{"msg":"x"}`, wantErr: true},
		"JSON without msg":      {line: `{"level":"info"}`, wantErr: true},
		"two objects":           {line: `{"level":"info","msg":"a"} {"level":"info","msg":"b"}`, wantErr: true},
		"level is not a string": {line: `{"level":3,"msg":"a"}`, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseLine(tc.line)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error: got %v, want error %t", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("entry: -want +got:\n%s", diff)
			}
		})
	}
}

func TestParseSeparatesOtherLines(t *testing.T) {
	log := strings.Join([]string{
		"2026-01-01T00:00:00Z " + notFoundLine,
		"",
		"2026-01-01T00:00:01Z I0101 00:00:01.000000 1 leaderelection.go:1] klog line",
		"2026-01-01T00:00:02Z " + updatedLine,
	}, "\n")
	entries, other, err := Parse(strings.NewReader(log))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	gotMsgs := make([]string, 0, len(entries))
	for _, e := range entries {
		gotMsgs = append(gotMsgs, e.Msg)
	}
	wantMsgs := []string{
		"Capacity scaling ConfigMap not found, using hardcoded defaults",
		"Capacity scaling config cache updated",
	}
	if diff := cmp.Diff(wantMsgs, gotMsgs); diff != "" {
		t.Errorf("messages: -want +got:\n%s", diff)
	}
	wantOther := []string{"2026-01-01T00:00:01Z I0101 00:00:01.000000 1 leaderelection.go:1] klog line"}
	if diff := cmp.Diff(wantOther, other); diff != "" {
		t.Errorf("other lines: -want +got:\n%s", diff)
	}
}

func TestField(t *testing.T) {
	e, err := ParseLine(`{"level":"info","msg":"m","count":200,"ratio":0.85,"ok":false,"name":"x","obj":{"a":1}}`)
	if err != nil {
		t.Fatalf("ParseLine: %v", err)
	}
	cases := map[string]struct {
		key    string
		want   string
		wantOK bool
	}{
		"integer":  {key: "count", want: "200", wantOK: true},
		"decimal":  {key: "ratio", want: "0.85", wantOK: true},
		"boolean":  {key: "ok", want: "false", wantOK: true},
		"string":   {key: "name", want: "x", wantOK: true},
		"object":   {key: "obj", want: `{"a":1}`, wantOK: true},
		"absent":   {key: "missing"},
		"level":    {key: "level"}, // a fixed part, not a field
		"messsage": {key: "msg"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := e.Field(tc.key)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("Field(%q) = %q, %t; want %q, %t", tc.key, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestQuery(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	entries, _, err := Parse(strings.NewReader(strings.Join([]string{
		"2026-01-01T00:00:00Z " + notFoundLine,
		"2026-01-01T00:00:01Z " + updatedLine,
		"2026-01-01T00:00:02Z " + invalidLine,
	}, "\n")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	cases := map[string]struct {
		q    Query
		want []string // messages of the matches
	}{
		"everything": {
			q: Query{},
			want: []string{
				"Capacity scaling ConfigMap not found, using hardcoded defaults",
				"Capacity scaling config cache updated",
				"Invalid capacity scaling config entry, skipping",
			},
		},
		"level": {
			q:    Query{Level: "warn"},
			want: []string{"Capacity scaling ConfigMap not found, using hardcoded defaults", "Invalid capacity scaling config entry, skipping"},
		},
		"message and fields": {
			q: Query{Level: "warn", Msg: "Capacity scaling ConfigMap not found, using hardcoded defaults", Fields: map[string]string{
				"configmap": "capacity-scaling-config", "namespace": "workload-variant-autoscaler-system",
			}},
			want: []string{"Capacity scaling ConfigMap not found, using hardcoded defaults"},
		},
		"number and boolean fields": {
			q:    Query{Fields: map[string]string{"entries": "3", "has_default": "true"}},
			want: []string{"Capacity scaling config cache updated"},
		},
		"wrong field value": {
			q: Query{Fields: map[string]string{"entries": "2"}},
		},
		"missing field": {
			q: Query{Msg: "Capacity scaling config cache updated", Fields: map[string]string{"count": "3"}},
		},
		"wrong level": {
			q: Query{Level: "info", Msg: "Invalid capacity scaling config entry, skipping"},
		},
		"since": {
			q:    Query{Since: t0},
			want: []string{"Capacity scaling config cache updated", "Invalid capacity scaling config entry, skipping"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, e := range Find(entries, tc.q) {
				got = append(got, e.Msg)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Find(%s): -want +got:\n%s", tc.q, diff)
			}
			first, ok := First(entries, tc.q)
			if ok != (len(tc.want) > 0) || (ok && first.Msg != tc.want[0]) {
				t.Errorf("First(%s) = %q, %t; want the first of %q", tc.q, first.Msg, ok, tc.want)
			}
		})
	}
}

func TestEntryString(t *testing.T) {
	e, err := ParseLine("2026-01-01T10:20:30.123456Z " + invalidLine)
	if err != nil {
		t.Fatalf("ParseLine: %v", err)
	}
	want := `10:20:30.123456 WARN "Invalid capacity scaling config entry, skipping" error=kvCacheThreshold must be between 0 and 1, got 1.50 key=invalid-config`
	if diff := cmp.Diff(want, e.String()); diff != "" {
		t.Errorf("String: -want +got:\n%s", diff)
	}
}
