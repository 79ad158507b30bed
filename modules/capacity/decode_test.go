package capacity

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const validFields = " (valid fields: model_id, namespace, kvCacheThreshold, queueLengthThreshold, kvSpareTrigger, queueSpareTrigger, schedules)"

func TestDecodeEntry(t *testing.T) {
	cases := map[string]struct {
		text    string
		want    Entry
		wantErr []fieldErrorSummary
	}{
		"every field": {
			text: "model_id: ibm/granite-13b\nnamespace: production\nkvCacheThreshold: 0.85\nqueueLengthThreshold: 7\nkvSpareTrigger: 0.15\nqueueSpareTrigger: 2\n",
			want: Entry{ModelID: "ibm/granite-13b", Namespace: "production", KvCacheThreshold: ptr(0.85),
				QueueLengthThreshold: ptr(7), KvSpareTrigger: ptr(0.15), QueueSpareTrigger: ptr(2)},
		},
		"partial":        {text: "kvSpareTrigger: 0.15", want: Entry{KvSpareTrigger: ptr(0.15)}},
		"explicit zeros": {text: "kvSpareTrigger: 0\nqueueSpareTrigger: 0", want: Entry{KvSpareTrigger: ptr(0.0), QueueSpareTrigger: ptr(0)}},
		"empty":          {text: "", want: Entry{}},
		"only comments":  {text: "# nothing here\n", want: Entry{}},
		"empty mapping":  {text: "{}", want: Entry{}},
		"integer for a float": {
			text: "kvCacheThreshold: 1", want: Entry{KvCacheThreshold: ptr(1.0)},
		},
		"whole float for an integer": {
			text: "queueLengthThreshold: 5.0\nqueueSpareTrigger: 1e1", want: Entry{QueueLengthThreshold: ptr(5), QueueSpareTrigger: ptr(10)},
		},
		"negative values decode (Validate rejects them)": {
			text: "queueLengthThreshold: -1\nkvCacheThreshold: -0.5", want: Entry{QueueLengthThreshold: ptr(-1), KvCacheThreshold: ptr(-0.5)},
		},
		"typo": {
			text:    "kvCacheTreshold: 0.8",
			wantErr: []fieldErrorSummary{{"kvCacheTreshold", "unknown field", `unknown field "kvCacheTreshold" (did you mean "kvCacheThreshold"?)`}},
		},
		"wrong case": {
			text: "KvCacheThreshold: 0.8\nmodelId: m",
			wantErr: []fieldErrorSummary{
				{"KvCacheThreshold", "unknown field", `unknown field "KvCacheThreshold" (did you mean "kvCacheThreshold"?)`},
				{"modelId", "unknown field", `unknown field "modelId" (did you mean "model_id"?)`},
			},
		},
		"unrelated field": {
			text:    "replicas: 3",
			wantErr: []fieldErrorSummary{{"replicas", "unknown field", `unknown field "replicas"` + validFields}},
		},
		"quoted number": {
			text:    `kvCacheThreshold: "0.8"`,
			wantErr: []fieldErrorSummary{{"kvCacheThreshold", "wrong type", `kvCacheThreshold must be a number, got the string "0.8": remove the quotes`}},
		},
		"quoted integer": {
			text:    `queueLengthThreshold: '5'`,
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "wrong type", `queueLengthThreshold must be a number, got the string "5": remove the quotes`}},
		},
		"percent string": {
			text:    `kvCacheThreshold: 80%`,
			wantErr: []fieldErrorSummary{{"kvCacheThreshold", "wrong type", `kvCacheThreshold must be a number, got a string ("80%")`}},
		},
		"boolean": {
			text:    "kvSpareTrigger: true",
			wantErr: []fieldErrorSummary{{"kvSpareTrigger", "wrong type", "kvSpareTrigger must be a number, got a boolean (true)"}},
		},
		"null": {
			text:    "queueSpareTrigger:",
			wantErr: []fieldErrorSummary{{"queueSpareTrigger", "wrong type", "queueSpareTrigger must be a number, got an empty value (null)"}},
		},
		"list value": {
			text:    "kvCacheThreshold: [0.8]",
			wantErr: []fieldErrorSummary{{"kvCacheThreshold", "wrong type", "kvCacheThreshold must be a number, got a list"}},
		},
		"fraction for an integer": {
			text:    "queueLengthThreshold: 5.5",
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "wrong type", "queueLengthThreshold must be a whole number, got 5.5"}},
		},
		"integer too large": {
			text:    "queueLengthThreshold: 99999999999999999999",
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "out of range", "queueLengthThreshold is too large, got 100000000000000000000"}},
		},
		"NaN": {
			text:    "kvCacheThreshold: .nan\nqueueLengthThreshold: 3",
			wantErr: []fieldErrorSummary{{"kvCacheThreshold", "not a finite number", "kvCacheThreshold must be a finite number, got NaN"}},
		},
		"infinities": {
			text: "kvCacheThreshold: .inf\nkvSpareTrigger: -.inf",
			wantErr: []fieldErrorSummary{
				{"kvCacheThreshold", "not a finite number", "kvCacheThreshold must be a finite number, got +Inf"},
				{"kvSpareTrigger", "not a finite number", "kvSpareTrigger must be a finite number, got -Inf"},
			},
		},
		"NaN in a misspelt field": {
			text:    "kvSpareTriger: .NaN",
			wantErr: []fieldErrorSummary{{"kvSpareTriger", "unknown field", `unknown field "kvSpareTriger" (did you mean "kvSpareTrigger"?)`}},
		},
		"NaN inside a nested value names the field and the path": {
			text:    "kvCacheThreshold: [.nan]",
			wantErr: []fieldErrorSummary{{"kvCacheThreshold", "wrong type", "kvCacheThreshold must be a number, got a list (holding NaN at kvCacheThreshold[0])"}},
		},
		"infinity deep in a mapping": {
			text: "queueSpareTrigger: 1\nkvSpareTrigger: {a: [1, -.inf]}",
			wantErr: []fieldErrorSummary{
				{"kvSpareTrigger", "wrong type", "kvSpareTrigger must be a number, got a mapping (holding -Inf at kvSpareTrigger.a[1])"},
			},
		},
		"duplicate field": {
			text:    "kvCacheThreshold: 0.8\nkvCacheThreshold: 0.9",
			wantErr: []fieldErrorSummary{{"kvCacheThreshold", "invalid YAML", `field "kvCacheThreshold" is set more than once (line 2: key "kvCacheThreshold" already set in map)`}},
		},
		"syntax error": {
			text:    "kvCacheThreshold: [0.8",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", "invalid YAML: line 1: did not find expected ',' or ']'"}},
		},
		"a list used as a key, inside a list (found by FuzzParse)": {
			text:    "[?[]]",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", "invalid YAML: a key is null, a list or a mapping; keys must be strings"}},
		},
		"a null key inside a list (found by FuzzParse)": {
			text:    "- - ?",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", "invalid YAML: a key is null, a list or a mapping; keys must be strings"}},
		},
		"tab indentation": {
			text:    "\tkvCacheThreshold: 0.8",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", "invalid YAML: found character that cannot start any token"}},
		},
		"a list instead of a mapping": {
			text:    "- kvCacheThreshold: 0.8",
			wantErr: []fieldErrorSummary{{"", "wrong type", `entry must be a YAML mapping of fields (for example "kvCacheThreshold: 0.8"), got a list`}},
		},
		"a scalar instead of a mapping": {
			text:    "0.8",
			wantErr: []fieldErrorSummary{{"", "wrong type", `entry must be a YAML mapping of fields (for example "kvCacheThreshold: 0.8"), got a number (0.8)`}},
		},
		"empty model_id": {
			text:    `model_id: ""`,
			wantErr: []fieldErrorSummary{{"model_id", "invalid value", "model_id must not be empty"}},
		},
		"numeric namespace": {
			text:    "namespace: 42",
			wantErr: []fieldErrorSummary{{"namespace", "wrong type", "namespace must be a string, got a number (42)"}},
		},
		"every problem is reported": {
			text: "kvCacheTreshold: 0.8\nqueueLengthThreshold: \"5\"\nkvSpareTrigger: yes",
			wantErr: []fieldErrorSummary{
				{"kvCacheTreshold", "unknown field", `unknown field "kvCacheTreshold" (did you mean "kvCacheThreshold"?)`},
				{"kvSpareTrigger", "wrong type", "kvSpareTrigger must be a number, got a boolean (true)"},
				{"queueLengthThreshold", "wrong type", `queueLengthThreshold must be a number, got the string "5": remove the quotes`},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeEntry(tc.text)
			if diff := cmp.Diff(tc.wantErr, summarize(err)); diff != "" {
				t.Fatalf("DecodeEntry(%q) errors: -want +got:\n%s", tc.text, diff)
			}
			if (err != nil) != (len(tc.wantErr) > 0) {
				t.Fatalf("DecodeEntry(%q) error = %v, want error: %t", tc.text, err, len(tc.wantErr) > 0)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DecodeEntry(%q): -want +got:\n%s", tc.text, diff)
			}
		})
	}
}

func TestDecodeEntryErrorsAreMatchable(t *testing.T) {
	_, err := DecodeEntry("kvCacheTreshold: 0.8\nkvSpareTrigger: \"0.1\"")
	for _, sentinel := range []error{ErrUnknownField, ErrWrongType} {
		if !errors.Is(err, sentinel) {
			t.Errorf("errors.Is(%v, %v) = false, want true", err, sentinel)
		}
	}
	var fe FieldError
	if !errors.As(err, &fe) || fe.Field != "kvCacheTreshold" {
		t.Errorf("errors.As(FieldError) = %+v, want field kvCacheTreshold", fe)
	}
}

func TestDecodeEntryLongInputsStayReadable(t *testing.T) {
	long := strings.Repeat("x", 10000)
	_, err := DecodeEntry(long + ": 1\nkvCacheThreshold: \"" + long + "\"")
	if err == nil {
		t.Fatal("DecodeEntry accepted an unknown field and a string threshold")
	}
	if n := len(err.Error()); n > 600 {
		t.Errorf("error message is %d bytes long, want it truncated: %.200s...", n, err)
	}
}

func TestDecodeEntryAdversarialInputs(t *testing.T) {
	aliasBomb := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	for i, name := range []string{"b", "c", "d", "e", "f", "g"} {
		prev := string(rune('a' + i))
		aliasBomb += fmt.Sprintf("%s: &%s [%s]\n", name, name, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 9), ", "))
	}
	cases := map[string]struct {
		text string
		want error
	}{
		"alias bomb":             {aliasBomb, ErrInvalidYAML},
		"alias bomb of NaNs":     {strings.ReplaceAll(aliasBomb, "x", ".nan"), ErrInvalidYAML},
		"self-referencing alias": {"a: &a [*a]", ErrInvalidYAML},
		"deeply nested lists":    {strings.Repeat("[", 5000) + strings.Repeat("]", 5000), ErrWrongType},
		"deeply nested maps":     {strings.Repeat("{a: ", 5000) + "1" + strings.Repeat("}", 5000), ErrUnknownField},
		"very long key":          {strings.Repeat("kvCacheThreshold", 10000) + ": 1", ErrInvalidYAML},
		"non-string key":         {"? [a]\n: 1", ErrInvalidYAML},
		"binary":                 {"\x00\xff\xfe", ErrInvalidYAML},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeEntry(tc.text)
			if !errors.Is(err, tc.want) {
				t.Errorf("DecodeEntry error = %v, want one matching %v", err, tc.want)
			}
			if err != nil && len(err.Error()) > 1000 {
				t.Errorf("error message is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestDecodeEntryCapsReportedProblems(t *testing.T) {
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "field%02d: 1\n", i)
	}
	_, err := DecodeEntry(b.String())
	got := summarize(err)
	if len(got) != maxReported {
		t.Fatalf("DecodeEntry reported %d field errors, want %d: %v", len(got), maxReported, err)
	}
	if want := "and 12 more problems"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("DecodeEntry error %q does not end with %q", err, want)
	}
	if !errors.Is(err, ErrUnknownField) {
		t.Errorf("errors.Is(%v, ErrUnknownField) = false", err)
	}
}

func TestSuggestField(t *testing.T) {
	cases := map[string]string{
		"kvCacheTreshold":      "kvCacheThreshold",
		"kv_cache_threshold":   "kvCacheThreshold",
		"queueLenghtThreshold": "queueLengthThreshold",
		"queueSpareTriggers":   "queueSpareTrigger",
		"model-id":             "model_id",
		"modelID":              "model_id",
		"Namespace":            "namespace",
		"ns":                   "",
		"replicas":             "",
	}
	for in, want := range cases {
		if got := suggestField(in); got != want {
			t.Errorf("suggestField(%q) = %q, want %q", in, got, want)
		}
	}
}
