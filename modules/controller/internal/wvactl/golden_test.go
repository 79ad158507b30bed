package wvactl

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// testNow is the "now" of every transcript: a Wednesday, 08:00 UTC.
var testNow = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files with the current output")

// transcript runs kubectl-wva with args and stdin and returns what a
// terminal would show: the command line, its standard output, its standard
// error (after a "stderr:" line) and its exit status.
func transcript(t *testing.T, args []string, stdin string, newClient func(ClusterFlags) (client.Reader, string, error)) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := Run(args, Env{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, NewClient: newClient,
		Now: func() time.Time { return testNow }})
	var b strings.Builder
	fmt.Fprintf(&b, "$ kubectl wva %s\n%s", strings.Join(args, " "), stdout.String())
	if stderr.Len() > 0 {
		fmt.Fprintf(&b, "stderr:\n%s", stderr.String())
	}
	fmt.Fprintf(&b, "exit status %d\n", status)
	return b.String()
}

// checkGolden compares got with testdata/<name>.golden, or rewrites the
// file with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("output differs from %s (go test -update rewrites it): -want +got:\n%s", path, diff)
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noCluster fails a test that reaches for a cluster.
func noCluster(t *testing.T) func(ClusterFlags) (client.Reader, string, error) {
	return func(ClusterFlags) (client.Reader, string, error) {
		t.Error("the command connected to a cluster")
		return nil, "", fmt.Errorf("no cluster in this test")
	}
}

func TestGolden(t *testing.T) {
	cases := map[string]struct {
		args       []string
		stdinFile  string // testdata file given on standard input
		wantStatus int
	}{
		"validate-valid":          {args: []string{"validate", "-f", "testdata/valid.yaml"}},
		"validate-invalid":        {args: []string{"validate", "-f", "testdata/invalid.yaml"}, wantStatus: ExitInvalid},
		"validate-kustomize":      {args: []string{"validate", "-f", "testdata/kustomize.yaml"}},
		"validate-stdin":          {args: []string{"validate", "-f", "-"}, stdinFile: "kustomize.yaml"},
		"validate-list":           {args: []string{"validate", "--filename", "testdata/list.json"}},
		"validate-list-namespace": {args: []string{"validate", "-f", "testdata/list.json", "--config-namespace", "wva-prod"}},
		"validate-other-name":     {args: []string{"validate", "-f", "testdata/other-name.yaml"}, wantStatus: ExitInvalid},
		"validate-two-configmaps": {args: []string{"validate", "-f", "testdata/two-configmaps.yaml"}, wantStatus: ExitUsage},
		"validate-no-configmap":   {args: []string{"validate", "-f", "testdata/no-configmap.yaml"}, wantStatus: ExitUsage},
		"validate-not-string":     {args: []string{"validate", "-f", "testdata/not-string.yaml"}, wantStatus: ExitUsage},
		"validate-missing-file":   {args: []string{"validate", "-f", "testdata/nonexistent.yaml"}, wantStatus: ExitUsage},
		"validate-no-file":        {args: []string{"validate"}, wantStatus: ExitUsage},
		"explain-override": {args: []string{"explain", "--model", "ibm/granite-13b", "--namespace", "production",
			"-f", "testdata/valid.yaml"}},
		"explain-partial-override": {args: []string{"explain", "-f", "testdata/valid.yaml", "--model", "meta/llama-70b",
			"-n", "development"}},
		"explain-no-override": {args: []string{"explain", "-f", "testdata/valid.yaml", "--model", "ibm/granite-13b",
			"-n", "staging"}},
		"explain-skipped-override": {args: []string{"explain", "-f", "testdata/invalid.yaml", "--model", "ibm/granite-13b",
			"-n", "production"}},
		"explain-explicit-zero": {args: []string{"explain", "-f", "-", "--model", "mistral/mistral-7b", "-n", "lab"},
			stdinFile: "invalid.yaml"},
		"explain-builtin": {args: []string{"explain", "-f", "testdata/list.json", "--config-namespace", "wva-staging",
			"--model", "m", "-n", "ns"}},
		"explain-two-configmaps": {args: []string{"explain", "-f", "testdata/list.json", "--model", "m", "-n", "ns"},
			wantStatus: ExitUsage},
		"explain-no-model": {args: []string{"explain", "-f", "testdata/valid.yaml", "-n", "ns"}, wantStatus: ExitUsage},
		// Scheduled windows (testdata/schedule.yaml).
		"explain-window-active": {args: []string{"explain", "-f", "testdata/schedule.yaml", "--model", "ibm/granite-13b",
			"-n", "production", "--at", "2026-12-02T09:00:00+01:00"}},
		"explain-window-inactive": {args: []string{"explain", "-f", "testdata/schedule.yaml", "--model", "ibm/granite-13b",
			"-n", "production", "--at", "2026-12-02T07:59:00+01:00"}},
		"explain-window-default-now": {args: []string{"explain", "-f", "testdata/schedule.yaml", "--model", "ibm/granite-13b",
			"-n", "production"}},
		"explain-window-inherited": {args: []string{"explain", "-f", "testdata/schedule.yaml", "--model", "meta/llama-70b",
			"-n", "lab", "--at", "2026-12-02T23:00:00Z"}},
		"explain-window-opted-out": {args: []string{"explain", "-f", "testdata/schedule.yaml", "--model", "fixed/model",
			"-n", "lab", "--at", "2026-12-02T23:00:00Z", "--timeline"}},
		"explain-timeline": {args: []string{"explain", "-f", "testdata/schedule.yaml", "--model", "ibm/granite-13b",
			"-n", "production", "--at", "2026-12-05T12:00:00+01:00", "--timeline"}},
		"explain-timeline-inherited": {args: []string{"explain", "-f", "testdata/schedule.yaml", "--model", "meta/llama-70b",
			"-n", "lab", "--timeline"}},
		"explain-bad-at": {args: []string{"explain", "-f", "testdata/schedule.yaml", "--model", "m", "-n", "ns",
			"--at", "tomorrow"}, wantStatus: ExitUsage},
		"usage":           {args: nil, wantStatus: ExitUsage},
		"unknown-command": {args: []string{"frobnicate"}, wantStatus: ExitUsage},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			stdin := ""
			if tc.stdinFile != "" {
				stdin = readTestdata(t, tc.stdinFile)
			}
			got := transcript(t, tc.args, stdin, noCluster(t))
			if want := fmt.Sprintf("exit status %d\n", tc.wantStatus); !strings.HasSuffix(got, want) {
				t.Errorf("want %q, got:\n%s", want, got)
			}
			checkGolden(t, name, got)
		})
	}
}
