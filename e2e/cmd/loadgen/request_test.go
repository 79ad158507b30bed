package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRequestBody(t *testing.T) {
	prompt := strings.Repeat("tok ", 3)
	cases := map[string]struct {
		api  string
		want map[string]any
	}{
		"completions": {
			api:  "completions",
			want: map[string]any{"model": "m", "prompt": prompt, "max_tokens": 7.0},
		},
		"chat": {
			api: "chat",
			want: map[string]any{"model": "m", "max_tokens": 7.0,
				"messages": []any{map[string]any{"role": "user", "content": prompt}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got map[string]any
			if err := json.Unmarshal(requestBody(tc.api, "m", 3, 7), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPromptText checks the length the emulator's estimate (4 characters a
// token) turns back into the requested token count.
func TestPromptText(t *testing.T) {
	for _, n := range []int{1, 100, 1000} {
		if got := len(promptText(n)); got != 4*n {
			t.Errorf("promptText(%d): %d characters, want %d", n, got, 4*n)
		}
	}
}
