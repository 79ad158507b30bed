// Command vllmstub stands in for a vLLM server in the e2e suite: it serves
// /metrics in the Prometheus text format with the two gauges WVA scales on,
// at fixed values, and /healthz. It has no dependencies beyond the standard
// library and is built static, so its image is the binary FROM scratch.
//
//	vllmstub -model ibm/granite-13b -kv-cache-usage 0.95 -num-requests-waiting 0
//
// Every flag defaults to an environment variable (VLLMSTUB_LISTEN,
// VLLMSTUB_MODEL, VLLMSTUB_KV_CACHE_USAGE, VLLMSTUB_NUM_REQUESTS_WAITING), so
// a Deployment can set them either way.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "vllmstub: %v\n", err)
		os.Exit(1)
	}
}

// run parses args and serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, log io.Writer) error {
	cfg, err := parseConfig(args, getenv, log)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.listen,
		Handler:           newHandler(cfg.gauges),
		ReadHeaderTimeout: 5 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	_, _ = fmt.Fprintf(log, "vllmstub: serving model %q (kv_cache_usage_perc=%g, num_requests_waiting=%g) on %s\n",
		cfg.gauges.Model, cfg.gauges.KvCacheUsage, cfg.gauges.NumRequestsWaiting, cfg.listen)
	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", cfg.listen, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}
