package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wva-project/wva/e2e/internal/loadgen"
)

func TestParseConfig(t *testing.T) {
	hold := loadgen.Profile{{From: 5, To: 5, Duration: time.Minute}}
	defaults := config{
		target: "http://granite:8000", api: "completions", model: "m",
		schedule:     loadgen.Schedule{Profile: hold, Repeat: 1},
		promptTokens: 100, maxTokens: 128, maxOutstanding: 256,
		requestTimeout: time.Minute, progressInterval: 10 * time.Second, maxErrorPercent: 1,
		metricsListen: ":9090",
	}
	required := []string{"-target", "http://granite:8000", "-model", "m", "-profile", "hold:5:60s"}
	cases := map[string]struct {
		args    []string
		env     map[string]string
		want    config
		wantErr []string // substrings of the error, one per problem
	}{
		"defaults": {args: required, want: defaults},
		"flags": {
			args: append(required, "-target", "https://svc.ns:8443/prefix/", "-api", "chat", "-repeat", "0",
				"-prompt-tokens", "10", "-max-tokens", "20", "-max-outstanding", "3", "-request-timeout", "5s",
				"-progress-interval", "1s", "-max-error-percent", "2.5", "-metrics-listen", "", "-keep-alive", "true"),
			want: config{
				target: "https://svc.ns:8443/prefix", api: "chat", model: "m",
				schedule:     loadgen.Schedule{Profile: hold, Repeat: 0},
				promptTokens: 10, maxTokens: 20, maxOutstanding: 3,
				requestTimeout: 5 * time.Second, progressInterval: time.Second, maxErrorPercent: 2.5,
				metricsListen: "", keepAlive: true,
			},
		},
		"environment": {
			env: map[string]string{
				"LOADGEN_TARGET": "http://granite:8000", "LOADGEN_MODEL": "m", "LOADGEN_PROFILE": "hold:5:1m",
				"LOADGEN_REPEAT": "3", "LOADGEN_METRICS_LISTEN": ":8080",
			},
			want: func() config {
				c := defaults
				c.schedule.Repeat, c.metricsListen = 3, ":8080"
				return c
			}(),
		},
		"every problem named": {
			args: []string{"-target", "granite:8000", "-api", "embeddings", "-profile", "hold:5", "-repeat", "-1",
				"-prompt-tokens", "0", "-max-tokens", "x", "-max-outstanding", "0", "-request-timeout", "0s",
				"-progress-interval", "soon", "-max-error-percent", "101", "-keep-alive", "maybe"},
			wantErr: []string{
				`-target="granite:8000": want an http or https URL with a host, like http://granite:8000`,
				`-api="embeddings": want completions or chat`,
				"-model: must not be empty",
				`-profile="hold:5": invalid profile: segment 1 "hold:5": want hold:RATE:DURATION or ramp:FROM-TO:DURATION`,
				`-repeat="-1": must be at least 0`,
				`-prompt-tokens="0": must be at least 1`,
				`-max-tokens="x": not an integer`,
				`-max-outstanding="0": must be at least 1`,
				`-request-timeout="0s": must be positive`,
				`-progress-interval="soon": not a duration like 30s or 2m`,
				`-max-error-percent="101": must be in [0, 100]`,
				`-keep-alive="maybe": want true or false`,
			},
		},
		"missing target and profile": {
			args:    []string{"-model", "m"},
			wantErr: []string{"-target: must not be empty", `-profile="": invalid profile: empty`},
		},
		"bad segment from the environment": {
			args:    []string{"-target", "http://x", "-model", "m"},
			env:     map[string]string{"LOADGEN_PROFILE": "ramp:0-12:60s,hold:12"},
			wantErr: []string{`segment 2 "hold:12"`},
		},
		"positional argument": {
			args:    append(required, "extra"),
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
