package capacity

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The YAML that sigs.k8s.io/yaml reads in a surprising way: several
// documents, keys that are not strings, tags, YAML 1.1 booleans and number
// notations, numbers beyond the float64 range.
func TestDecodeEntryYAMLPitfalls(t *testing.T) {
	const why = "; an entry is a single YAML document, and the rest would be ignored"
	cases := map[string]struct {
		text    string
		want    Entry
		wantErr []fieldErrorSummary
	}{
		// Several documents.
		"a second document": {
			text:    "model_id: m\nnamespace: ns1\nkvCacheThreshold: 0.9\n---\nkvCacheThreshold: 1.5\n",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", `invalid YAML: line 4: "---" starts a second YAML document` + why}},
		},
		"text after the document end marker": {
			text:    "kvCacheThreshold: 0.75\n...\nqueueLengthThreshold: [broken\n",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", `invalid YAML: line 2: "..." ends the YAML document, but more text follows` + why}},
		},
		"an empty second document": {
			text:    "kvCacheThreshold: 0.8\n--- # nothing\n",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", `invalid YAML: line 2: "---" starts a second YAML document` + why}},
		},
		"a second document and a problem in the first": {
			text: "kvCacheTreshold: 0.8\r\n---\r\nkvCacheThreshold: 0.8\r\n",
			wantErr: []fieldErrorSummary{
				{"", "invalid YAML", `invalid YAML: line 2: "---" starts a second YAML document` + why},
				{"kvCacheTreshold", "unknown field", `unknown field "kvCacheTreshold" (did you mean "kvCacheThreshold"?)`},
			},
		},
		"a leading document start marker": {
			text: "# capacity\n---\nkvCacheThreshold: 0.8\n",
			want: Entry{KvCacheThreshold: ptr(0.8)},
		},
		"a document end marker with only a comment after it": {
			text: "kvCacheThreshold: 0.8\n...\n# end\n",
			want: Entry{KvCacheThreshold: ptr(0.8)},
		},
		"markers inside strings are text": {
			text: "model_id: \"---\"\nnamespace: '...'\n",
			want: Entry{ModelID: "---", Namespace: "..."},
		},
		"a marker indented in a block scalar is text": {
			text: "model_id: |\n  ---\n  ...\nnamespace: ns\n",
			want: Entry{ModelID: "---\n...\n", Namespace: "ns"},
		},

		// Keys that are not strings.
		"a null key": {
			text:    "null: 1",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", "invalid YAML: a key must be a string, got null"}},
		},
		"a list key": {
			text:    "? [a, b]\n: c",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", "invalid YAML: a key must be a string, got a list"}},
		},
		"a mapping key inside a field": {
			text:    "kvCacheThreshold: [{? {a: 1} : 2}]",
			wantErr: []fieldErrorSummary{{"", "invalid YAML", "invalid YAML: a key inside kvCacheThreshold[0] must be a string, got a mapping"}},
		},

		// Tags.
		"a binary tag": {
			text: "kvCacheThreshold: !!binary MC44",
			wantErr: []fieldErrorSummary{{"kvCacheThreshold", "wrong type",
				"kvCacheThreshold must be a number, got a value with the YAML tag !!binary, which is not supported: write the value without a tag"}},
		},
		"a custom tag on a number": {
			text: "queueLengthThreshold: !count 5",
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "wrong type",
				"queueLengthThreshold must be a number, got a value with the YAML tag !count, which is not supported: write the value without a tag"}},
		},
		"a custom tag on a string": {
			text: "model_id: !model m",
			wantErr: []fieldErrorSummary{{"model_id", "wrong type",
				"model_id must be a string, got a value with the YAML tag !model, which is not supported: write the value without a tag"}},
		},
		"standard tags are read": {
			text: "kvCacheThreshold: !!float 1\nmodel_id: !!str 42",
			want: Entry{KvCacheThreshold: ptr(1.0), ModelID: "42"},
		},

		// YAML 1.1 booleans where a string is expected.
		"namespace: no": {
			text: "namespace: no",
			wantErr: []fieldErrorSummary{{"namespace", "wrong type",
				`namespace must be a string, got no, which YAML 1.1 reads as the boolean false: quote it ("no") to use it as a string`}},
		},
		"model_id: on": {
			text: "model_id: on",
			wantErr: []fieldErrorSummary{{"model_id", "wrong type",
				`model_id must be a string, got on, which YAML 1.1 reads as the boolean true: quote it ("on") to use it as a string`}},
		},
		"namespace: y": {
			text: "namespace: y",
			wantErr: []fieldErrorSummary{{"namespace", "wrong type",
				`namespace must be a string, got y, which YAML 1.1 reads as the boolean true: quote it ("y") to use it as a string`}},
		},
		"quoted booleans are strings": {
			text: "model_id: \"on\"\nnamespace: 'no'",
			want: Entry{ModelID: "on", Namespace: "no"},
		},

		// YAML 1.1 number notations.
		"octal": {
			text: "queueLengthThreshold: 010",
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "wrong type",
				"queueLengthThreshold must be a plain decimal number, got 010: write it without the leading zero " +
					"(YAML 1.1 reads a number with a leading zero as octal; this one as 8)"}},
		},
		"a leading zero that is not octal": {
			text: "queueSpareTrigger: -08",
			wantErr: []fieldErrorSummary{{"queueSpareTrigger", "wrong type",
				"queueSpareTrigger must be a plain decimal number, got -08: write it without the leading zero " +
					"(YAML 1.1 reads a number with a leading zero as octal; this one as -8)"}},
		},
		"hexadecimal": {
			text: "queueLengthThreshold: 0x10",
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "wrong type",
				"queueLengthThreshold must be a plain decimal number, got 0x10: YAML 1.1 reads it as a hexadecimal number (this one as 16)"}},
		},
		"0o octal": {
			text: "queueLengthThreshold: 0o17",
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "wrong type",
				"queueLengthThreshold must be a plain decimal number, got 0o17: YAML 1.1 reads it as an octal number (this one as 15)"}},
		},
		"binary notation": {
			text: "kvCacheThreshold: 0b1",
			wantErr: []fieldErrorSummary{{"kvCacheThreshold", "wrong type",
				"kvCacheThreshold must be a plain decimal number, got 0b1: YAML 1.1 reads it as a binary number (this one as 1)"}},
		},
		"digit separators": {
			text: "queueLengthThreshold: 1_000",
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "wrong type",
				`queueLengthThreshold must be a plain decimal number, got 1_000: write it without the digit separators "_" (YAML 1.1 reads it as 1000)`}},
		},
		"plain decimal forms are read": {
			text: "kvCacheThreshold: .5\nkvSpareTrigger: +0.05\nqueueLengthThreshold: 0\nqueueSpareTrigger: 2e0",
			want: Entry{KvCacheThreshold: ptr(0.5), KvSpareTrigger: ptr(0.05), QueueLengthThreshold: ptr(0), QueueSpareTrigger: ptr(2)},
		},
		"a quoted octal is a quoted number": {
			text: `queueLengthThreshold: "010"`,
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "wrong type",
				`queueLengthThreshold must be a number, got the string "010": remove the quotes`}},
		},

		// Numbers beyond the float64 range.
		"too large for a float": {
			text:    "kvCacheThreshold: 1e309",
			wantErr: []fieldErrorSummary{{"kvCacheThreshold", "out of range", "kvCacheThreshold is out of range, got 1e309: it must be between 0 and 1"}},
		},
		"too large for an integer field": {
			text:    "queueLengthThreshold: 1e309",
			wantErr: []fieldErrorSummary{{"queueLengthThreshold", "out of range", "queueLengthThreshold is too large, got 1e309"}},
		},
		"too small, negative": {
			text:    "queueSpareTrigger: -1e309",
			wantErr: []fieldErrorSummary{{"queueSpareTrigger", "out of range", "queueSpareTrigger is out of range, got -1e309: it must be >= 0"}},
		},
		"too close to zero": {
			text: "kvSpareTrigger: 1e-400",
			wantErr: []fieldErrorSummary{{"kvSpareTrigger", "out of range",
				"kvSpareTrigger is out of range, got 1e-400: it is too small to be represented and would be read as 0 (write 0 if you mean zero)"}},
		},
		"zero with an exponent is zero": {
			text: "kvSpareTrigger: 0.0e-400",
			want: Entry{KvSpareTrigger: ptr(0.0)},
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

func TestQuoteInput(t *testing.T) {
	cases := map[string]struct {
		in, want string
	}{
		"empty":            {"", `""`},
		"short":            {"ibm/granite", `"ibm/granite"`},
		"64 characters":    {strings.Repeat("a", 64), `"` + strings.Repeat("a", 64) + `"`},
		"65 characters":    {strings.Repeat("a", 65), `"` + strings.Repeat("a", 64) + `"…(65 bytes)`},
		"multi-byte":       {strings.Repeat("é", 70), `"` + strings.Repeat("é", 64) + `"…(140 bytes)`},
		"control bytes":    {"a\nb\x00", `"a\nb\x00"`},
		"10 MB":            {strings.Repeat("n", 10<<20), `"` + strings.Repeat("n", 64) + `"…(10485760 bytes)`},
		"invalid UTF-8 is": {strings.Repeat("\xff", 65), `"` + strings.Repeat(`\xff`, 64) + `"…(65 bytes)`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, quoteInput(tc.in)); diff != "" {
				t.Errorf("quoteInput: -want +got:\n%s", diff)
			}
		})
	}
}

// TestReasonsAreBounded: whatever the size of the input, every reason Parse
// gives is a few hundred bytes long.
func TestReasonsAreBounded(t *testing.T) {
	const maxReason = 1024
	big := strings.Repeat("n", 10<<20)
	key := strings.Repeat("k", 1<<20)
	cases := map[string]map[string]string{
		"10 MB namespace":               {"e": "model_id: m\nnamespace: " + big},
		"10 MB model_id, twice":         {"a": "model_id: " + big + "\nnamespace: ns", "b": "model_id: " + big + "\nnamespace: ns"},
		"duplicated 1 MB key":           {"e": "? " + key + "\n: 1\n? " + key + "\n: 2\n"},
		"1 MB unknown field":            {"e": "? " + key + "\n: 1\n"},
		"1 MB quoted number":            {"e": `kvCacheThreshold: "` + strings.Repeat("1", 1<<20) + `"`},
		"1 MB string threshold":         {"e": "kvCacheThreshold: " + key},
		"1 MB tag":                      {"e": "kvCacheThreshold: !" + key + " 1"},
		"1 MB number":                   {"e": "queueLengthThreshold: 0" + strings.Repeat("1", 1<<20)},
		"1 MB boolean-like string":      {"e": "model_id: " + key},
		"1 MB key holding NaN":          {"e": "? " + key + "\n: .nan\n"},
		"1 MB path to a NaN":            {"e": "kvCacheThreshold:\n  ? " + key + "\n  : [.nan]\n"},
		"1 MB key that is not a string": {"e": "? [" + key + "]\n: 1\n"},
		"1 MB after a second document":  {"e": "kvCacheThreshold: 0.8\n---\n" + key + ": 1\n"},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			errs := Parse(data, "1").Errors()
			if len(errs) == 0 {
				t.Fatalf("Parse accepted %s", name)
			}
			for _, e := range errs {
				if n := len(e.Error()); n > maxReason {
					t.Errorf("reason for key %q is %d bytes long, want at most %d: %.300s…", e.Key, n, maxReason, e.Error())
				}
			}
		})
	}
}

// TestReasonsHaveNoGoSyntax: no reason shows Go formatting or Go types.
func TestReasonsHaveNoGoSyntax(t *testing.T) {
	for _, text := range []string{"null: 1", "? [a, b]\n: c", "a: {~: 1}", "? {a: 1}\n: 2", "18446744073709551615: 1", "kvCacheThreshold: [.nan, {? [x] : 1}]"} {
		_, err := DecodeEntry(text)
		if err == nil {
			t.Errorf("DecodeEntry(%q) accepted it", text)
			continue
		}
		for _, leak := range []string{"%!", "interface {}", "<nil>", "[]"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("DecodeEntry(%q) error %q contains %q", text, err, leak)
			}
		}
	}
}

// TestDecodeEntryManyUnknownFields: an entry of 40,000 unknown fields
// reports the first few, with suggestions, and counts the others.
func TestDecodeEntryManyUnknownFields(t *testing.T) {
	_, err := DecodeEntry(manyFields("kvCacheTreshold", 40000))
	got := summarize(err)
	if len(got) != maxReported {
		t.Fatalf("DecodeEntry reported %d field errors, want %d", len(got), maxReported)
	}
	want := fieldErrorSummary{"kvCacheTreshold00000", "unknown field", `unknown field "kvCacheTreshold00000"` + validFields}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("first problem: -want +got:\n%s", diff)
	}
	if want := "; and 39992 more problems"; !strings.HasSuffix(EntryError{Err: err}.Error(), want) {
		t.Errorf("reason does not end with %q", want)
	}
}

func TestEditDistance(t *testing.T) {
	cases := map[string]struct {
		a, b string
		want int
	}{
		"equal":    {"namespace", "namespace", 0},
		"one edit": {"kvcachetreshold", "kvcachethreshold", 1},
		"empty":    {"", "abc", 3},
		"long b":   {"a", strings.Repeat("a", 100), 99},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := EditDistance(tc.a, tc.b); got != tc.want {
				t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
	if allocs := testing.AllocsPerRun(100, func() { suggestField("kvCacheTreshold") }); allocs > 1 {
		t.Errorf("suggestField allocates %.0f times per call, want at most 1 (the normalized name)", allocs)
	}
}
