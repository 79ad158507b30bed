package main

import (
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	cases := map[string]struct {
		args    []string
		env     map[string]string
		want    config
		wantErr []string // substrings of the error, one per problem
	}{
		"flags": {
			args: []string{"-model", "m", "-kv-cache-usage", "0.95", "-num-requests-waiting", "3", "-listen", ":9000"},
			want: config{listen: ":9000", gauges: gauges{Model: "m", KvCacheUsage: 0.95, NumRequestsWaiting: 3}},
		},
		"environment": {
			env:  map[string]string{"VLLMSTUB_MODEL": "m", "VLLMSTUB_KV_CACHE_USAGE": "0.5", "VLLMSTUB_NUM_REQUESTS_WAITING": "7"},
			want: config{listen: ":8000", gauges: gauges{Model: "m", KvCacheUsage: 0.5, NumRequestsWaiting: 7}},
		},
		"flag over environment": {
			args: []string{"-kv-cache-usage", "0.9"},
			env:  map[string]string{"VLLMSTUB_MODEL": "m", "VLLMSTUB_KV_CACHE_USAGE": "0.5"},
			want: config{listen: ":8000", gauges: gauges{Model: "m", KvCacheUsage: 0.9}},
		},
		"every problem named": {
			args: []string{"-listen", "", "-kv-cache-usage", "1.5", "-num-requests-waiting", "-1"},
			wantErr: []string{
				"-listen: must not be empty",
				"-model: must not be empty",
				`-kv-cache-usage="1.5": must be in [0, 1]`,
				`-num-requests-waiting="-1": must be a finite number >= 0`,
			},
		},
		"not a number": {
			args:    []string{"-model", "m", "-kv-cache-usage", "high"},
			wantErr: []string{`-kv-cache-usage="high": not a number`},
		},
		"NaN": {
			args:    []string{"-model", "m", "-num-requests-waiting", "NaN"},
			wantErr: []string{`-num-requests-waiting="NaN": must be a finite number >= 0`},
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
