// Command plot draws the timeline of the demo of deploy/demo (`make plot`).
// It reads the demo's Prometheus for the last -since through the API
// server's service proxy (the cluster is reached through its kubeconfig
// only) and writes, with the e2e suite's timeline writers
// (e2e/internal/timeline):
//
//   - <out>.csv: one row per sample (every -step), one column per value;
//   - <out>.png: the offered load and the requests running and waiting in
//     the model's replicas, their mean KV-cache usage (with the thresholds
//     the VariantAutoscalings apply), and each variant's current and desired
//     replicas, over one time axis.
//
// It prints the load cycles it finds (when the load rose, the first
// scale-up, the peak replicas, the time back to the starting replicas) and
// marks them on the PNG. Times are UTC.
//
//	go run ./cmd/plot -kubeconfig ../bin/kubeconfig-wva -since 15m -out ../bin/plot/wva-demo
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/promrange"
	"github.com/wva-project/wva/e2e/internal/timeline"
)

type options struct {
	kubeconfig    string
	namespace     string
	service       string
	port          int
	since         time.Duration
	step          time.Duration
	out           string
	width, height int
	timeout       time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster (the one kind wrote)")
	flag.StringVar(&o.namespace, "namespace", manifests.DemoNamespace, "namespace of the demo and its Prometheus Service")
	flag.StringVar(&o.service, "prometheus-service", "prometheus", "name of the Prometheus Service")
	flag.IntVar(&o.port, "prometheus-port", 9090, "port of the Prometheus Service")
	flag.DurationVar(&o.since, "since", 15*time.Minute, "how far back the timeline goes")
	flag.DurationVar(&o.step, "step", 5*time.Second, "time between samples (the scrape interval is 5s)")
	flag.StringVar(&o.out, "out", "wva-demo", "output path without extension: writes <out>.csv and <out>.png")
	flag.IntVar(&o.width, "width", 1200, "PNG width in pixels")
	flag.IntVar(&o.height, "height", 1100, "PNG height in pixels")
	flag.DurationVar(&o.timeout, "timeout", time.Minute, "deadline for all the queries")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "plot: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.kubeconfig == "" {
		return fmt.Errorf("-kubeconfig (or KUBECONFIG) must name the cluster's kubeconfig")
	}
	if o.out == "" {
		return fmt.Errorf("-out must name the output files")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", o.kubeconfig, err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	prom := promrange.Client{REST: kube.CoreV1().RESTClient(), Namespace: o.namespace, Service: o.service, Port: o.port}

	// Sample times on multiples of the step, as Prometheus aligns them.
	end := time.Now().Truncate(o.step)
	r := promrange.Range{Start: end.Add(-o.since), End: end, Step: o.step}
	if err := r.Validate(); err != nil {
		return fmt.Errorf("-since %s, -step %s: %w", o.since, o.step, err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	data, err := readPromData(ctx, prom, o.namespace, r)
	if err != nil {
		return err
	}
	series := data.series(r)
	found := cycles(series)

	plot := timeline.PlotOptions{
		Title:  fmt.Sprintf("WVA demo (namespace %s): %s to %s UTC", o.namespace, r.Start.UTC().Format("2006-01-02 15:04:05"), r.End.UTC().Format("15:04:05")),
		Width:  o.width,
		Height: o.height,
		Marks:  marks(found),
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	refs, err := kvReferences(ctx, dyn, o.namespace)
	if err != nil {
		fmt.Fprintf(os.Stderr, "plot: drawing without the KV-cache thresholds: %v\n", err)
	}
	plot.KVLines = refs

	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return fmt.Errorf("creating the output directory: %w", err)
	}
	if err := writeFile(o.out+".csv", func(f *os.File) error { return series.WriteCSV(f) }); err != nil {
		return err
	}
	if err := writeFile(o.out+".png", func(f *os.File) error { return plottable(series).WritePNG(f, plot) }); err != nil {
		return err
	}
	fmt.Printf("wrote %s.csv and %s.png: %s to %s UTC, every %s, variants %v\n", o.out, o.out,
		r.Start.UTC().Format("15:04:05"), r.End.UTC().Format("15:04:05"), o.step, series.Variants)
	if len(found) == 0 {
		fmt.Println("no load cycle in the window (the load never rose from idle); try a larger -since")
	}
	for i, c := range found {
		fmt.Printf("cycle %d: %s", i+1, c.describe(series))
	}
	return nil
}

// writeFile creates path, lets write fill it and closes it, reporting the
// first error.
func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}
