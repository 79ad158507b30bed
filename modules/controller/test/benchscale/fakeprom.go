package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// emptyVector is the Prometheus HTTP API's answer to an instant query that
// matches no series.
const emptyVector = `{"status":"success","data":{"resultType":"vector","result":[]}}`

// fakePrometheus serves the Prometheus HTTP API the controller's metrics
// source queries (/api/v1/query), answering every query with no series:
// envtest runs no pods, so there is nothing to report, and the controller
// still runs its full analysis pass (two queries per model and pass).
type fakePrometheus struct {
	server  *http.Server
	url     string
	queries atomic.Int64
}

func startFakePrometheus() (*fakePrometheus, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the fake Prometheus: %w", err)
	}
	p := &fakePrometheus{url: "http://" + l.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/query", func(w http.ResponseWriter, _ *http.Request) {
		p.queries.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(emptyVector))
	})
	p.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := p.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("Fake Prometheus stopped", "err", err)
		}
	}()
	return p, nil
}

func (p *fakePrometheus) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.server.Shutdown(ctx)
}
