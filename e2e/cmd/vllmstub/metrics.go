package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Names of the gauges, as vLLM exports them and WVA queries them.
const (
	metricKvCacheUsage = "vllm:kv_cache_usage_perc"
	metricQueueLength  = "vllm:num_requests_waiting"
)

// gauges are the values the stub reports for its one model.
type gauges struct {
	Model              string
	KvCacheUsage       float64
	NumRequestsWaiting float64
}

// writeExposition writes g in the Prometheus text format (version 0.0.4),
// one gauge per metric with model_name as its only label, as vLLM does.
func writeExposition(w io.Writer, g gauges) error {
	// Label values escape backslash, double quote and line feed.
	model := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(g.Model)
	for _, m := range []struct {
		name, help string
		value      float64
	}{
		{metricKvCacheUsage, "KV-cache usage. 1 means 100 percent usage.", g.KvCacheUsage},
		{metricQueueLength, "Number of requests waiting to be processed.", g.NumRequestsWaiting},
	} {
		_, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s{model_name=\"%s\"} %s\n",
			m.name, m.help, m.name, m.name, model, strconv.FormatFloat(m.value, 'g', -1, 64))
		if err != nil {
			return fmt.Errorf("writing %s: %w", m.name, err)
		}
	}
	return nil
}

// newHandler serves /metrics and /healthz.
func newHandler(g gauges) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = writeExposition(w, g) // a failed write is the client gone
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}
