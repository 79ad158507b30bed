package capacity

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHintsAtAMisnamedDefaultKey(t *testing.T) {
	const required = `model_id is required: an override entry must name the model_id and namespace it applies to (only the "default" entry omits them); ` +
		`namespace is required: an override entry must name the model_id and namespace it applies to (only the "default" entry omits them)`
	cases := map[string]struct {
		data     map[string]string
		want     snapshotSummary
		wantHint bool
	}{
		"upper case": {
			data:     map[string]string{"DEFAULT": "kvCacheThreshold: 0.9"},
			want:     snapshotSummary{Errors: map[string]string{"DEFAULT": defaultKeyHintText("DEFAULT") + "; " + required}},
			wantHint: true,
		},
		"a leading blank": {
			data:     map[string]string{" default": "kvCacheThreshold: 0.9"},
			want:     snapshotSummary{Errors: map[string]string{" default": defaultKeyHintText(" default") + "; " + required}},
			wantHint: true,
		},
		"a valid override under such a key gets no hint": {
			data: map[string]string{"Default": granite},
			want: snapshotSummary{Entries: 1},
		},
		"another key gets no hint": {
			data: map[string]string{"defaults": "kvCacheThreshold: 0.9"},
			want: snapshotSummary{Errors: map[string]string{"defaults": required}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := Parse(tc.data, "1")
			if diff := cmp.Diff(tc.want, summarizeSnapshot(s)); diff != "" {
				t.Errorf("Parse: -want +got:\n%s", diff)
			}
			for _, e := range s.Errors() {
				if got := errors.Is(e, ErrDefaultKeyMisspelt); got != tc.wantHint || !errors.Is(e, ErrMissingField) {
					t.Errorf("errors.Is(%v, ErrDefaultKeyMisspelt) = %t, want %t (and ErrMissingField)", e, got, tc.wantHint)
				}
			}
		})
	}
}

func defaultKeyHintText(key string) string {
	return `the key "` + key + `" is not "default" (did you mean default?): only the key "default", in lower case and without blanks, ` +
		`holds the global defaults, so this entry is read as an override`
}

func TestIgnoredBinaryDataKeys(t *testing.T) {
	cases := map[string]struct {
		in   map[string][]byte
		want []string
	}{
		"nil":   {nil, nil},
		"empty": {map[string][]byte{}, nil},
		"keys":  {map[string][]byte{"default": []byte("x"), "a-model": nil}, []string{"a-model", "default"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, IgnoredBinaryDataKeys(tc.in)); diff != "" {
				t.Errorf("IgnoredBinaryDataKeys: -want +got:\n%s", diff)
			}
		})
	}
}
