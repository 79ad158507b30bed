package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wva-project/wva/e2e/internal/loadgen"
)

// completionServer answers /v1/completions like vLLM, or with status when
// it is not 200, and counts the requests.
func completionServer(t *testing.T, status int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		var body struct {
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Model != "m" || body.MaxTokens != 2 {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"object": "text_completion"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &n
}

// lines splits the JSON lines of out into progress reports and the last
// line, the summary.
func lines(t *testing.T, out string) ([]loadgen.Progress, loadgen.Summary) {
	t.Helper()
	all := strings.Split(strings.TrimSpace(out), "\n")
	var progress []loadgen.Progress
	for _, l := range all[:len(all)-1] {
		var p loadgen.Progress
		if err := json.Unmarshal([]byte(l), &p); err != nil || p.Kind != "progress" {
			t.Errorf("line %q: not a progress report (%v)", l, err)
		}
		progress = append(progress, p)
	}
	var s loadgen.Summary
	if err := json.Unmarshal([]byte(all[len(all)-1]), &s); err != nil {
		t.Fatalf("last line %q: %v", all[len(all)-1], err)
	}
	return progress, s
}

// A short real-time run: 40 requests per second for 250ms are 10 requests.
func args(target string, extra ...string) []string {
	return append([]string{"-target", target, "-model", "m", "-profile", "hold:40:250ms", "-max-tokens", "2",
		"-progress-interval", "100ms", "-metrics-listen", "127.0.0.1:0"}, extra...)
}

var ignoreTimes = cmpopts.IgnoreFields(loadgen.Summary{}, "DurationSeconds", "WallSeconds", "OfferedRPS", "AchievedRPS", "LatencySeconds", "LastError")

func TestRun(t *testing.T) {
	getenv := func(string) string { return "" }
	t.Run("succeeds", func(t *testing.T) {
		srv, n := completionServer(t, http.StatusOK)
		var out, log bytes.Buffer
		if err := run(t.Context(), args(srv.URL), getenv, &out, &log); err != nil {
			t.Fatalf("run: %v\nlog: %s", err, log.String())
		}
		_, got := lines(t, out.String())
		want := loadgen.Summary{Kind: "summary", Profile: "hold:40:250ms", Repeat: 1,
			Counts: loadgen.Counts{Scheduled: 10, Sent: 10, Succeeded: 10}}
		if diff := cmp.Diff(want, got, ignoreTimes); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
		if got.DurationSeconds != 0.25 || got.OfferedRPS != 40 {
			t.Errorf("summary: %gs at %g rps offered, want 0.25s at 40", got.DurationSeconds, got.OfferedRPS)
		}
		if n.Load() != 10 {
			t.Errorf("server got %d requests, want 10", n.Load())
		}
		if want := "loadgen: POST " + srv.URL + "/v1/completions, profile hold:40:250ms, repeat 1, metrics on 127.0.0.1:"; !strings.Contains(log.String(), want) {
			t.Errorf("log %q lacks %q", log.String(), want)
		}
	})
	t.Run("fails above the error limit", func(t *testing.T) {
		srv, _ := completionServer(t, http.StatusServiceUnavailable)
		var out bytes.Buffer
		err := run(t.Context(), args(srv.URL), getenv, &out, io.Discard)
		if !errors.Is(err, errTooManyErrors) {
			t.Fatalf("run: error %v, want %v", err, errTooManyErrors)
		}
		if want := "100.00% of 10 requests failed or were skipped, above -max-error-percent=1"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
		_, got := lines(t, out.String())
		if got.ErrorRatePercent != 100 || got.Failed != 10 {
			t.Errorf("summary: %+v, want 10 failed, 100%%", got)
		}
	})
	t.Run("errors within the limit", func(t *testing.T) {
		srv, _ := completionServer(t, http.StatusServiceUnavailable)
		if err := run(t.Context(), args(srv.URL, "-max-error-percent", "100"), getenv, io.Discard, io.Discard); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	t.Run("stops when the context ends", func(t *testing.T) {
		srv, _ := completionServer(t, http.StatusOK)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var out bytes.Buffer
		if err := run(ctx, args(srv.URL, "-repeat", "0"), getenv, &out, io.Discard); err != nil {
			t.Fatalf("run: %v", err)
		}
		if _, got := lines(t, out.String()); !got.Interrupted {
			t.Errorf("summary: %+v, want interrupted", got)
		}
	})
	t.Run("invalid flags", func(t *testing.T) {
		err := run(t.Context(), []string{"-target", "http://x", "-model", "m", "-profile", "hold:1:1s,ramp:1:1s"}, getenv, io.Discard, io.Discard)
		if want := `segment 2 "ramp:1:1s"`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("run: error %v, want one naming %s", err, want)
		}
	})
	t.Run("metrics address in use", func(t *testing.T) {
		busy := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(busy.Close)
		addr := strings.TrimPrefix(busy.URL, "http://")
		err := run(t.Context(), []string{"-target", "http://x", "-model", "m", "-profile", "hold:1:1s", "-metrics-listen", addr},
			getenv, io.Discard, io.Discard)
		if want := "-metrics-listen=\"" + addr + "\""; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("run: error %v, want one naming %s", err, want)
		}
	})
}
