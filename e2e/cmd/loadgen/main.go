// Command loadgen offers completion requests to a model server at a rate
// that follows a profile, open loop, meant to run in the cluster as a Job
// against a model's Service:
//
//	loadgen -target http://granite:8000 -model ibm/granite-13b \
//	    -profile ramp:0-12:60s,hold:12:120s,hold:0:30s
//
// It prints a JSON progress line every -progress-interval and one JSON
// summary line at the end, serves its counters on /metrics for Prometheus,
// and exits 0 when the error rate is at most -max-error-percent. See
// README.md for the profile syntax, the flags (each with a LOADGEN_*
// environment variable) and the output.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(1)
	}
}

// errTooManyErrors is returned by run when the error rate exceeds
// -max-error-percent.
var errTooManyErrors = errors.New("error rate above the limit")

// run parses args, plays the profile and writes the JSON lines to out and
// its log to log. It stops early, with a summary, when ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, out, log io.Writer) error {
	cfg, err := parseConfig(args, getenv, log)
	if err != nil {
		return err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = cfg.maxOutstanding
	transport.DisableKeepAlives = !cfg.keepAlive
	url := cfg.target + paths[cfg.api]
	runner, err := loadgen.New(loadgen.Config{
		URL:              url,
		Body:             requestBody(cfg.api, cfg.model, cfg.promptTokens, cfg.maxTokens),
		MaxOutstanding:   cfg.maxOutstanding,
		Timeout:          cfg.requestTimeout,
		ProgressInterval: cfg.progressInterval,
	}, cfg.schedule, &http.Client{Transport: transport}, clock.RealClock{})
	if err != nil {
		return err
	}

	metricsAddr := "off"
	if cfg.metricsListen != "" {
		stopMetrics, addr, err := serveMetrics(cfg.metricsListen, runner)
		if err != nil {
			return err
		}
		defer stopMetrics()
		metricsAddr = addr
	}
	_, _ = fmt.Fprintf(log, "loadgen: POST %s, profile %s, repeat %d, metrics on %s\n",
		url, cfg.schedule.Profile, cfg.schedule.Repeat, metricsAddr)

	enc := json.NewEncoder(out)
	summary := runner.Run(ctx, func(p loadgen.Progress) { _ = enc.Encode(p) })
	if err := enc.Encode(summary); err != nil {
		return fmt.Errorf("writing the summary: %w", err)
	}
	if summary.ErrorRatePercent > cfg.maxErrorPercent {
		return fmt.Errorf("%w: %.2f%% of %d requests failed or were skipped, above -max-error-percent=%g (last error: %s)",
			errTooManyErrors, summary.ErrorRatePercent, summary.Scheduled-summary.Canceled, cfg.maxErrorPercent, summary.LastError)
	}
	return nil
}

// serveMetrics serves the runner's metrics on addr until the returned stop
// is called; it returns the address it listens on.
func serveMetrics(addr string, runner *loadgen.Runner) (stop func(), listening string, err error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(runner.Progress))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("-metrics-listen=%q: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }() // returns ErrServerClosed on stop
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, ln.Addr().String(), nil
}
