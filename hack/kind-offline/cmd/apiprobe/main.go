// Command apiprobe is the smoke test's in-cluster workload: it calls the API
// server's /version through the `kubernetes` Service with the pod's service
// account (in-cluster config), prints the version and exits 0. Reaching the
// Service's cluster IP proves the pod network, kube-proxy's rules and the
// service account token all work. It retries until -timeout, then exits 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

func main() {
	timeout := flag.Duration("timeout", time.Minute, "give up after this long")
	flag.Parse()
	if err := run(*timeout); err != nil {
		fmt.Fprintf(os.Stderr, "apiprobe: %v\n", err)
		os.Exit(1)
	}
}

func run(timeout time.Duration) error {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return fmt.Errorf("in-cluster config: %w", err)
	}
	cfg.Timeout = 10 * time.Second
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("discovery client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	attempts := 0
	var lastErr error
	err = wait.PollUntilContextCancel(ctx, 2*time.Second, true, func(context.Context) (bool, error) {
		attempts++
		v, err := dc.ServerVersion()
		if err != nil {
			lastErr = err
			fmt.Fprintf(os.Stderr, "attempt %d: %v\n", attempts, err)
			return false, nil
		}
		fmt.Printf("apiprobe: host=%s server version: %s (attempts=%d, %.2fs)\n",
			cfg.Host, v.GitVersion, attempts, time.Since(start).Seconds())
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("no answer from %s after %d attempts in %s: %w (last error: %v)", cfg.Host, attempts, timeout, err, lastErr)
	}
	return nil
}
