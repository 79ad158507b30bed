package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// fakeAPIServer answers /version on loopback after failing the first `failures` requests.
func fakeAPIServer(t *testing.T, failures int32) *httptest.Server {
	t.Helper()
	var seen atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		if seen.Add(1) <= failures {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestProbe(t *testing.T) {
	cases := map[string]struct {
		failures     int32
		timeout      time.Duration
		wantOut      string
		wantAttempts string
		wantErr      bool
	}{
		"answers at once":      {failures: 0, timeout: 10 * time.Second, wantOut: "server version: v1.37.2", wantAttempts: "attempts=1"},
		"answers after errors": {failures: 2, timeout: 10 * time.Second, wantOut: "server version: v1.37.2", wantAttempts: "attempts=3"},
		"never answers":        {failures: 1 << 30, timeout: 300 * time.Millisecond, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := fakeAPIServer(t, tc.failures)
			cfg := &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			var out, log bytes.Buffer
			err := probe(ctx, cfg, 20*time.Millisecond, &out, &log)
			if tc.wantErr {
				if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), srv.URL) {
					t.Fatalf("probe: want a deadline error naming %s, got %v", srv.URL, err)
				}
				if out.Len() != 0 {
					t.Errorf("probe printed a result without an answer: %q", out.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("probe: %v (log: %s)", err, log.String())
			}
			for _, want := range []string{"host=" + srv.URL, tc.wantOut, tc.wantAttempts} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output %q lacks %q", out.String(), want)
				}
			}
		})
	}
}
