package scripts

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeMakefile has targets that append their name to $RAN, and fail (exit
// 3) when their name is in $FAIL. Target "niceness" records the niceness it
// runs at.
const fakeMakefile = `
TARGETS := ok1 ok2 build pass1 pass2 cleanup
.PHONY: $(TARGETS) niceness
$(TARGETS):
	@echo "$@" >>"$(RAN)"; echo "output of $@"; case " $(FAIL) " in *" $@ "*) exit 3;; esac
niceness:
	@echo "niceness $$(nice)" >>"$(RAN)"
`

// hackDir is the repository's hack/ directory.
func hackDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "hack")
}

// run runs script with args in a directory holding the fake Makefile, with
// targets in fail failing; it returns the exit status, the output and the
// targets that ran, in order.
func run(t *testing.T, script string, fail string, args ...string) (int, string, []string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(fakeMakefile), 0o644); err != nil {
		t.Fatal(err)
	}
	ran := filepath.Join(dir, "ran")
	cmd := exec.CommandContext(t.Context(), filepath.Join(hackDir(t), script), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MAKE=make", "MAKEFLAGS=", "RAN="+ran, "FAIL="+fail, "BUILD_LOG="+filepath.Join(dir, "build.log"))
	out, err := cmd.CombinedOutput()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", script, err)
	}
	data, err := os.ReadFile(ran)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return code, string(out), strings.Fields(string(data))
}

func TestAlongside(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make is needed to run the hack scripts: %v", err)
	}
	cases := map[string]struct {
		targets, fail string
		command       []string
		wantCode      int
		// wantRan is the set of targets run, sorted: the background make
		// and the command run at the same time.
		wantRan []string
		// wantOutput are lines the output must contain.
		wantOutput []string
	}{
		"both succeed": {
			targets: "ok1 ok2", command: []string{"make", "pass1"},
			wantRan:    []string{"ok1", "ok2", "pass1"},
			wantOutput: []string{"output of pass1", "  | output of ok1", "  | output of ok2", "'ok1 ok2' exited 0"},
		},
		"the command's failure wins, and the targets still run": {
			targets: "ok1 ok2", fail: "pass1 ok1", command: []string{"make", "pass1"},
			wantCode: 2, wantRan: []string{"ok1", "ok2", "pass1"},
			wantOutput: []string{"'make pass1' exited 2", "'ok1 ok2' exited 2"},
		},
		"a failing target fails the run, and the others still run (make -k)": {
			targets: "ok1 ok2", fail: "ok1", command: []string{"make", "pass1"},
			wantCode: 2, wantRan: []string{"ok1", "ok2", "pass1"},
			wantOutput: []string{"'make pass1' exited 0", "'ok1 ok2' exited 2"},
		},
		"no targets: the command alone, its status": {
			targets: " ", fail: "pass1", command: []string{"make", "pass1"},
			wantCode: 2, wantRan: []string{"pass1"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{tc.targets, filepath.Join(dir, "alongside.log"), "--"}, tc.command...)
			code, out, ran := run(t, "alongside.sh", tc.fail, args...)
			if code != tc.wantCode {
				t.Errorf("exit status %d, want %d; output:\n%s", code, tc.wantCode, out)
			}
			got := append([]string(nil), ran...)
			slices.Sort(got)
			if diff := cmp.Diff(tc.wantRan, got); diff != "" {
				t.Errorf("targets run: -want +got:\n%s", diff)
			}
			for _, line := range tc.wantOutput {
				if !strings.Contains(out, line) {
					t.Errorf("output lacks %q:\n%s", line, out)
				}
			}
		})
	}
}

func TestAlongsideRunsTargetsAtTheLowestPriority(t *testing.T) {
	code, out, ran := run(t, "alongside.sh", "", "niceness", filepath.Join(t.TempDir(), "log"), "--", "true")
	if code != 0 {
		t.Fatalf("exit status %d; output:\n%s", code, out)
	}
	if diff := cmp.Diff([]string{"niceness", "19"}, ran); diff != "" {
		t.Errorf("the background target's niceness: -want +got:\n%s", diff)
	}
}

func TestAlongsideUsage(t *testing.T) {
	code, out, ran := run(t, "alongside.sh", "", "ok1", "log", "true")
	if code != 2 || !strings.Contains(out, "usage:") || len(ran) != 0 {
		t.Errorf("without --: exit status %d, ran %v, output %q; want 2, nothing run and the usage", code, ran, out)
	}
}

func TestE2EOverlap(t *testing.T) {
	cases := map[string]struct {
		fail     string
		wantCode int
		// wantAfterBuild are the targets run after the build and pass1
		// (which overlap), in order.
		wantAfterBuild []string
	}{
		"every step succeeds": {wantAfterBuild: []string{"pass2"}},
		"pass1 fails: pass2 still runs, pass1's status": {
			fail: "pass1", wantCode: 2, wantAfterBuild: []string{"pass2"},
		},
		"pass2 fails: its status": {
			fail: "pass2", wantCode: 2, wantAfterBuild: []string{"pass2"},
		},
		"the build fails: no pass2, the cluster deleted": {
			fail: "build", wantCode: 2, wantAfterBuild: []string{"cleanup"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, ran := run(t, "e2e-overlap.sh", tc.fail, "build", "pass1", "pass2", "cleanup")
			if code != tc.wantCode {
				t.Errorf("exit status %d, want %d; output:\n%s", code, tc.wantCode, out)
			}
			if len(ran) < 2 {
				t.Fatalf("ran %v, want the build and pass1 first; output:\n%s", ran, out)
			}
			first := append([]string(nil), ran[:2]...)
			slices.Sort(first)
			if diff := cmp.Diff([]string{"build", "pass1"}, first); diff != "" {
				t.Errorf("first, overlapping: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantAfterBuild, ran[2:]); diff != "" {
				t.Errorf("after the build and pass1: -want +got:\n%s", diff)
			}
		})
	}
}
