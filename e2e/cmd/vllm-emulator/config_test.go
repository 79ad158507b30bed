package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wva-project/wva/e2e/internal/emulator"
)

func TestParseConfig(t *testing.T) {
	defaults := config{
		listen:           ":8000",
		model:            "m",
		engine:           emulator.Config{KVCacheTokens: 16384, MaxNumSeqs: 256, PrefillTokensPerSecond: 8000, DecodeTokensPerSecond: 40},
		defaultMaxTokens: 128,
		shutdownTimeout:  10 * time.Second,
	}
	with := func(f func(*config)) config {
		c := defaults
		f(&c)
		return c
	}
	cases := map[string]struct {
		args    []string
		env     map[string]string
		want    config
		wantErr []string // substrings of the error, one per problem
	}{
		"defaults": {
			args: []string{"-model", "m"},
			want: defaults,
		},
		"flags": {
			args: []string{"-model", "m", "-listen", ":9000", "-kv-cache-tokens", "1000", "-max-num-seqs", "8",
				"-prefill-tokens-per-second", "2500.5", "-decode-tokens-per-second", "12", "-default-max-tokens", "64",
				"-prompt-tokens", "100", "-startup-delay", "30s", "-shutdown-timeout", "1m"},
			want: config{
				listen: ":9000", model: "m",
				engine:           emulator.Config{KVCacheTokens: 1000, MaxNumSeqs: 8, PrefillTokensPerSecond: 2500.5, DecodeTokensPerSecond: 12},
				defaultMaxTokens: 64, promptTokens: 100, startupDelay: 30 * time.Second, shutdownTimeout: time.Minute,
			},
		},
		"environment": {
			env: map[string]string{
				"VLLM_EMULATOR_MODEL": "m", "VLLM_EMULATOR_KV_CACHE_TOKENS": "2048", "VLLM_EMULATOR_MAX_NUM_SEQS": "4",
				"VLLM_EMULATOR_STARTUP_DELAY": "5s", "VLLM_EMULATOR_LISTEN": ":1234",
			},
			want: with(func(c *config) {
				c.listen, c.engine.KVCacheTokens, c.engine.MaxNumSeqs, c.startupDelay = ":1234", 2048, 4, 5*time.Second
			}),
		},
		"flag over environment": {
			args: []string{"-max-num-seqs", "2"},
			env:  map[string]string{"VLLM_EMULATOR_MODEL": "m", "VLLM_EMULATOR_MAX_NUM_SEQS": "4"},
			want: with(func(c *config) { c.engine.MaxNumSeqs = 2 }),
		},
		"every problem named": {
			args: []string{"-listen", "", "-kv-cache-tokens", "0", "-max-num-seqs", "many", "-prefill-tokens-per-second", "0",
				"-decode-tokens-per-second", "Inf", "-default-max-tokens", "-1", "-prompt-tokens", "-2",
				"-startup-delay", "10", "-shutdown-timeout", "-1s"},
			wantErr: []string{
				"-listen: must not be empty",
				"-model: must not be empty",
				`-kv-cache-tokens="0": must be at least 1`,
				`-max-num-seqs="many": not an integer`,
				`-prefill-tokens-per-second="0": must be a finite number > 0`,
				`-decode-tokens-per-second="Inf": must be a finite number > 0`,
				`-default-max-tokens="-1": must be at least 1`,
				`-prompt-tokens="-2": must be at least 0`,
				`-startup-delay="10": not a duration like 30s or 2m`,
				`-shutdown-timeout="-1s": must not be negative`,
			},
		},
		"bad environment value names the flag": {
			env:     map[string]string{"VLLM_EMULATOR_MODEL": "m", "VLLM_EMULATOR_DECODE_TOKENS_PER_SECOND": "fast"},
			wantErr: []string{`-decode-tokens-per-second="fast": not a number`},
		},
		"positional argument": {
			args:    []string{"-model", "m", "extra"},
			wantErr: []string{`unexpected arguments ["extra"]`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("parseConfig: %v", err)
				}
				if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(config{})); diff != "" {
					t.Errorf("config (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseConfig: no error, want %q", tc.wantErr)
			}
			var missing []string
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					missing = append(missing, w)
				}
			}
			if len(missing) > 0 {
				t.Errorf("error %q lacks %q", err, missing)
			}
		})
	}
}
