package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/poll"
)

// lineWriter hands each write (a log line) to a channel.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

func TestRun(t *testing.T) {
	getenv := func(string) string { return "" }
	t.Run("invalid flags", func(t *testing.T) {
		err := run(t.Context(), []string{"-model", "m", "-max-num-seqs", "0"}, getenv, io.Discard)
		want := `-max-num-seqs="0": must be at least 1`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("run: error %v, want one containing %q", err, want)
		}
	})
	t.Run("address in use", func(t *testing.T) {
		busy := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(busy.Close)
		addr := strings.TrimPrefix(busy.URL, "http://")
		err := run(t.Context(), []string{"-model", "m", "-listen", addr}, getenv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "serving on "+addr) {
			t.Errorf("run: error %v, want one naming %s", err, addr)
		}
	})
	t.Run("stops when the context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var log strings.Builder
		if err := run(ctx, []string{"-model", "m", "-listen", "127.0.0.1:0"}, getenv, &log); err != nil {
			t.Errorf("run: %v", err)
		}
		if want := `serving model "m" on 127.0.0.1:`; !strings.Contains(log.String(), want) {
			t.Errorf("log %q lacks %q", log.String(), want)
		}
	})
}

// TestGracefulShutdown cancels run while a completion is in flight: the
// completion is still answered, then run returns.
func TestGracefulShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	log := make(lineWriter, 10)
	done := make(chan error, 1)
	// One request: 1 prompt token, then 2 output tokens at 10/s: 200ms.
	args := []string{"-model", "m", "-listen", "127.0.0.1:0", "-prompt-tokens", "1", "-default-max-tokens", "2",
		"-decode-tokens-per-second", "10", "-shutdown-timeout", "5s"}
	go func() { done <- run(ctx, args, func(string) string { return "" }, log) }()
	line := <-log
	addr := regexp.MustCompile(`on (127\.0\.0\.1:\d+)`).FindStringSubmatch(line)
	if addr == nil {
		t.Fatalf("log line %q names no address", line)
	}
	base := "http://" + addr[1]

	status := make(chan int, 1)
	go func() {
		resp, err := http.Post(base+"/v1/completions", "application/json", strings.NewReader(`{"prompt": "hi"}`))
		if err != nil {
			status <- -1
			return
		}
		_ = resp.Body.Close()
		status <- resp.StatusCode
	}()
	_, err := poll.Until(t.Context(), clock.RealClock{}, 5*time.Second, time.Millisecond, func(context.Context) (bool, string, error) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return false, err.Error(), nil
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		running := regexp.MustCompile(`(?m)^vllm:num_requests_running\{.*\} (\S+)$`).FindSubmatch(body)
		if running == nil {
			return false, "no vllm:num_requests_running", nil
		}
		return string(running[1]) == "1", fmt.Sprintf("%s running", running[1]), nil
	})
	if err != nil {
		t.Fatalf("waiting for the completion to run: %v", err)
	}
	cancel()
	if got := <-status; got != http.StatusOK {
		t.Errorf("in-flight completion: status %d, want 200", got)
	}
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
