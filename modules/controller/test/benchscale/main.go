package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// logger reports progress on stderr; the measurements go to stdout.
var logger = slog.New(slog.NewTextHandler(os.Stderr, nil))

func main() { os.Exit(run()) }

func run() int {
	var (
		b           bench
		fanouts     string
		memoryVAs   int
		configMaps  int
		pods        int
		deployments int
		idleVAs     int
		idleWindow  time.Duration
		extra       string
		timeout     time.Duration
	)
	flag.StringVar(&b.controllerBin, "controller", "../../bin/wva-controller", "Path of the wva-controller binary (make build-controller).")
	flag.StringVar(&b.crdDir, "crd-dir", "../../deploy/kustomize/base/crd", "Directory of the VariantAutoscaling CRD.")
	flag.StringVar(&fanouts, "fanout", "200,1000,2000", "VariantAutoscaling counts of the fan-out runs, comma-separated (empty: none).")
	flag.IntVar(&memoryVAs, "memory-vas", 100, "VariantAutoscalings of the memory run (0: no memory run).")
	flag.IntVar(&configMaps, "foreign-configmaps", 10000, "Foreign 10 KB ConfigMaps of the memory run.")
	flag.IntVar(&pods, "foreign-pods", 10000, "Foreign pods of the memory run.")
	flag.IntVar(&deployments, "foreign-deployments", 10000, "Foreign Deployments of the memory run.")
	flag.IntVar(&idleVAs, "idle-vas", 5000, "VariantAutoscalings of the idle run (0: no idle run).")
	flag.DurationVar(&idleWindow, "idle-window", time.Minute, "Measurement window of the idle run.")
	flag.StringVar(&extra, "controller-args", "", "Extra flags for the controller, space-separated (e.g. \"--kube-api-qps=50\").")
	flag.DurationVar(&timeout, "timeout", 30*time.Minute, "Deadline of the whole benchmark.")
	flag.Parse()
	// envtest logs through controller-runtime's global logger.
	ctrllog.SetLogger(logr.FromSlogHandler(logger.Handler()))
	b.controllerArgs = strings.Fields(extra)
	counts, err := parseCounts(fanouts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchscale: -fanout: %v\n", err)
		return 2
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "benchscale: KUBEBUILDER_ASSETS is not set: run `make bench-scale`, which builds kube-apiserver and etcd")
		return 2
	}
	if b.dir, err = os.MkdirTemp("", "benchscale-"); err != nil {
		fmt.Fprintf(os.Stderr, "benchscale: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	fail := func(what string, err error) int {
		logger.Error("Benchmark failed", "run", what, "err", err, "logs", b.dir)
		return 1
	}
	for _, n := range counts {
		r, err := b.fanout(ctx, n)
		if err != nil {
			return fail("fanout", err)
		}
		fmt.Println(r)
		fmt.Println(r.detail())
	}
	if memoryVAs > 0 {
		r, err := b.memory(ctx, memoryVAs, configMaps, pods, deployments)
		if err != nil {
			return fail("memory", err)
		}
		fmt.Println(r)
		fmt.Println(r.detail())
	}
	if idleVAs > 0 {
		r, err := b.idle(ctx, idleVAs, idleWindow)
		if err != nil {
			return fail("idle", err)
		}
		fmt.Println(r)
	}
	_ = os.RemoveAll(b.dir)
	return 0
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive count", f)
		}
		out = append(out, n)
	}
	return out, nil
}
