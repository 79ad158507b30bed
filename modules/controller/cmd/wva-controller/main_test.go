package main

import (
	"strings"
	"testing"
)

func TestRunExitCodes(t *testing.T) {
	cases := map[string]struct {
		args       []string
		wantCode   int
		wantStderr string
	}{
		"help":               {args: []string{"--help"}, wantCode: 0, wantStderr: "-capacity-config-name"},
		"bad actuation":      {args: []string{"--actuation=both"}, wantCode: 2, wantStderr: `invalid value "both" for flag -actuation`},
		"bad interval":       {args: []string{"--reconcile-interval=-5s"}, wantCode: 2, wantStderr: `invalid value "-5s" for flag --reconcile-interval: must be positive`},
		"unknown flag":       {args: []string{"--metrics-addr=:8080"}, wantCode: 2, wantStderr: "flag provided but not defined: -metrics-addr"},
		"missing kubeconfig": {args: []string{"--kubeconfig=/nonexistent/kubeconfig"}, wantCode: 1, wantStderr: "Unable to load the Kubernetes client configuration"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var stderr strings.Builder
			got := run(tc.args, func(string) string { return "" }, &stderr)
			if got != tc.wantCode {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tc.args, got, tc.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantStderr, stderr.String())
			}
		})
	}
}
