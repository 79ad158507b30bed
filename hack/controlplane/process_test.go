package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// process is one control-plane binary running for the duration of a test.
// It is stopped with SIGTERM (then SIGKILL) in t.Cleanup, and its output is
// kept in a file that is printed when the test fails.
type process struct {
	name   string
	cmd    *exec.Cmd
	output string
	done   chan struct{}
	err    error // set before done is closed
}

// stopGrace is how long a process gets between SIGTERM and SIGKILL.
const stopGrace = 15 * time.Second

func startProcess(t *testing.T, name, path string, args ...string) *process {
	t.Helper()
	output := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(output)
	if err != nil {
		t.Fatalf("creating the log of %s: %v", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so that a terminal's Ctrl-C reaches the test
	// first and the test's cleanup stops the process.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, output: output, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("errors and last output of %s:\n%s", name, p.tail(30))
		}
	})
	return p
}

func (p *process) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("stopping %s: %v", p.name, err)
	}
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		t.Errorf("%s did not stop within %s of SIGTERM; killing it", p.name, stopGrace)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// exited reports the process's exit as an error while it should be running.
func (p *process) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v", p.name, p.err)
	default:
		return nil
	}
}

// errorLine matches klog error and fatal lines and zap's JSON error levels:
// the reason a component exited is seldom among its last lines.
var errorLine = regexp.MustCompile(`^[EF]\d{4} |"level":"(error|fatal|panic)"`)

// tail returns the error lines of the output followed by its last lines.
func (p *process) tail(lines int) string {
	out, err := os.ReadFile(p.output)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", p.output, err)
	}
	all := strings.Split(string(bytes.TrimRight(out, "\n")), "\n")
	var picked []string
	for _, l := range all {
		if errorLine.MatchString(l) {
			picked = append(picked, l)
		}
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(append(append(picked, "..."), all...), "\n")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago; envtest
// picks its ports the same way.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// pollUntil calls check every interval until it returns nil, the process dies
// or ctx ends; the error then names the last failure seen.
func pollUntil(ctx context.Context, p *process, interval time.Duration, check func(context.Context) error) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		last := check(ctx)
		if last == nil {
			return nil
		}
		if err := p.exited(); err != nil {
			return fmt.Errorf("%w (last check: %v)", err, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last check: %v)", p.name, ctx.Err(), last)
		case <-ticker.C:
		}
	}
}
