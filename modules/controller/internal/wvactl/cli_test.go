package wvactl

import (
	"flag"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseInterspersed(t *testing.T) {
	cases := map[string]struct {
		args           []string
		wantPositional []string
		wantN          string
	}{
		"flags first":           {[]string{"-n", "ns", "va"}, []string{"va"}, "ns"},
		"flags last":            {[]string{"va", "--n", "ns"}, []string{"va"}, "ns"},
		"flags around":          {[]string{"a", "-n=ns", "b"}, []string{"a", "b"}, "ns"},
		"after -- positional":   {[]string{"-n", "ns", "--", "-n", "x"}, []string{"-n", "x"}, "ns"},
		"stdin dash positional": {[]string{"-", "-n", "ns"}, []string{"-"}, "ns"},
		"nothing":               {nil, nil, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			n := fs.String("n", "", "")
			got, err := parseInterspersed(fs, tc.args)
			if err != nil {
				t.Fatalf("parseInterspersed(%q): %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.wantPositional, got); diff != "" {
				t.Errorf("positional: -want +got:\n%s", diff)
			}
			if *n != tc.wantN {
				t.Errorf("-n = %q, want %q", *n, tc.wantN)
			}
		})
	}
}

func TestHelpAndBadFlags(t *testing.T) {
	cases := map[string]struct {
		args       []string
		wantStatus int
	}{
		"help":             {[]string{"help"}, ExitOK},
		"validate -h":      {[]string{"validate", "-h"}, ExitOK},
		"explain --help":   {[]string{"explain", "--help"}, ExitOK},
		"unknown flag":     {[]string{"validate", "--bogus"}, ExitUsage},
		"validate extra":   {[]string{"validate", "-f", "testdata/valid.yaml", "extra"}, ExitUsage},
		"explain two VAs":  {[]string{"explain", "a", "b"}, ExitUsage},
		"explain -f + VA":  {[]string{"explain", "-f", "testdata/valid.yaml", "--model", "m", "-n", "ns", "va"}, ExitUsage},
		"explain no input": {[]string{"explain"}, ExitUsage},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status := Run(tc.args, Env{Stdout: io.Discard, Stderr: io.Discard, NewClient: noCluster(t)})
			if status != tc.wantStatus {
				t.Errorf("Run(%q) = %d, want %d", tc.args, status, tc.wantStatus)
			}
		})
	}
}

func TestSameDecimal(t *testing.T) {
	cases := map[string]struct {
		status string
		v      float64
		want   bool
	}{
		"equal":               {"0.80", 0.8, true},
		"rounded by status":   {"0.76", 0.755, true},
		"different":           {"0.80", 0.7, false},
		"more decimals equal": {"0.755", 0.755, true},
		"not a number":        {"", 0, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := sameDecimal(tc.status, tc.v); got != tc.want {
				t.Errorf("sameDecimal(%q, %v) = %t, want %t", tc.status, tc.v, got, tc.want)
			}
		})
	}
}
