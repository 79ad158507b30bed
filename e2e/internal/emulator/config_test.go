package emulator

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestConfigValidate(t *testing.T) {
	valid := Config{KVCacheTokens: 100, MaxNumSeqs: 1, PrefillTokensPerSecond: 1, DecodeTokensPerSecond: 1}
	cases := map[string]struct {
		cfg     Config
		wantErr []string // one substring per problem
	}{
		"valid": {cfg: valid},
		"every problem named": {
			cfg: Config{KVCacheTokens: 0, MaxNumSeqs: -1, PrefillTokensPerSecond: math.Inf(1), DecodeTokensPerSecond: math.NaN()},
			wantErr: []string{
				"KVCacheTokens=0: must be at least 1",
				"MaxNumSeqs=-1: must be at least 1",
				"PrefillTokensPerSecond=+Inf: must be a finite number > 0",
				"DecodeTokensPerSecond=NaN: must be a finite number > 0",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: no error, want %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestDurations(t *testing.T) {
	cfg := Config{KVCacheTokens: 100, MaxNumSeqs: 1, PrefillTokensPerSecond: 4000, DecodeTokensPerSecond: 40}
	r := Request{PromptTokens: 1000, OutputTokens: 100}
	got := []time.Duration{cfg.prefill(r), cfg.decode(r)}
	want := []time.Duration{250 * time.Millisecond, 2500 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("prefill, decode (-want +got):\n%s", diff)
	}
}
