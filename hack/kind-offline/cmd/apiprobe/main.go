// Command apiprobe is the smoke test's in-cluster workload: it calls the API
// server's /version through the `kubernetes` Service with the pod's service
// account (in-cluster config), prints the version and exits 0. Reaching the
// Service's cluster IP proves the pod network, kube-proxy's rules and the
// service account token all work. It retries until -timeout, then exits 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

func main() {
	timeout := flag.Duration("timeout", time.Minute, "give up after this long")
	interval := flag.Duration("interval", 2*time.Second, "wait this long between attempts")
	flag.Parse()
	cfg, err := rest.InClusterConfig()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		err = probe(ctx, cfg, *interval, os.Stdout, os.Stderr)
		cancel()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "apiprobe: %v\n", err)
		os.Exit(1)
	}
}

// probe asks the API server at cfg.Host for its version every interval until
// it answers or ctx ends, then prints one line naming the host and version.
func probe(ctx context.Context, cfg *rest.Config, interval time.Duration, out, log io.Writer) error {
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = 10 * time.Second
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("discovery client: %w", err)
	}
	start := time.Now()
	attempts := 0
	var lastErr error
	err = wait.PollUntilContextCancel(ctx, interval, true, func(context.Context) (bool, error) {
		attempts++
		v, err := dc.ServerVersion()
		if err != nil {
			lastErr = err
			_, _ = fmt.Fprintf(log, "attempt %d: %v\n", attempts, err)
			return false, nil
		}
		_, err = fmt.Fprintf(out, "apiprobe: host=%s server version: %s (attempts=%d, %.2fs)\n",
			cfg.Host, v.GitVersion, attempts, time.Since(start).Seconds())
		return true, err
	})
	if err != nil {
		return fmt.Errorf("no answer from %s after %d attempts in %.1fs: %w",
			cfg.Host, attempts, time.Since(start).Seconds(), errors.Join(err, lastErr))
	}
	return nil
}
