// Command vllm-emulator stands in for a vLLM server under load in the e2e
// suite. It serves vLLM's OpenAI-compatible API (/v1/completions,
// /v1/chat/completions, /v1/models), /health and /metrics, and answers each
// completion after the time an engine of the configured KV-cache size,
// batch limit and speeds would take, queueing what does not fit (see
// e2e/internal/emulator). Its gauges, vllm:kv_cache_usage_perc and
// vllm:num_requests_waiting among them, follow the offered load, so an
// autoscaler scaling on them can be tested without GPUs.
//
//	vllm-emulator -model ibm/granite-13b -kv-cache-tokens 16384 -max-num-seqs 256
//
// Every flag defaults to an environment variable (VLLM_EMULATOR_*); see
// README.md. It needs nothing beyond the standard library and the
// Prometheus client, and is built static, so its image is the binary FROM
// scratch.
package main

import (
	"context"
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

	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "vllm-emulator: %v\n", err)
		os.Exit(1)
	}
}

// run parses args and serves until ctx is done, then gives in-flight
// requests -shutdown-timeout to finish.
func run(ctx context.Context, args []string, getenv func(string) string, log io.Writer) error {
	cfg, err := parseConfig(args, getenv, log)
	if err != nil {
		return err
	}
	clk := clock.RealClock{}
	engine, err := emulator.New(cfg.engine, clk)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.listen,
		Handler:           newServer(cfg, engine, clk).handler(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("serving on %s: %w", cfg.listen, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	_, _ = fmt.Fprintf(log, "vllm-emulator: serving model %q on %s (kv-cache-tokens=%d max-num-seqs=%d prefill=%g/s decode=%g/s per sequence, ready after %s)\n",
		cfg.model, ln.Addr(), cfg.engine.KVCacheTokens, cfg.engine.MaxNumSeqs,
		cfg.engine.PrefillTokensPerSecond, cfg.engine.DecodeTokensPerSecond, cfg.startupDelay)
	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", cfg.listen, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close() // cut the requests still running
		return fmt.Errorf("shutting down (-shutdown-timeout=%s): %w", cfg.shutdownTimeout, err)
	}
	return nil
}
