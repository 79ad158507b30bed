// Command deploy installs KEDA on a cluster from the manifests of its Go
// module, the way the e2e feature "KEDA runs" does (package keda: kustomize
// API + server-side apply with client-go; no kubectl), for `make
// keda-deploy`. The images must be on the nodes already (`make keda-deploy`
// loads them into the kind cluster first).
//
//	go run ./cmd/keda-deploy -kubeconfig bin/kubeconfig-wva -version v2.21.0
//	go run ./cmd/keda-deploy -version v2.21.0 -print | kubectl apply --server-side -f -
//	go run ./cmd/keda-deploy -kubeconfig bin/kubeconfig-wva -version v2.21.0 -uninstall
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/wva-project/wva/e2e/internal/keda"
)

// fieldManager owns what this command applies.
const fieldManager = "wva-keda-deploy"

type options struct {
	kubeconfig         string
	version            string
	configDir          string
	operatorImage      string
	metricsServerImage string
	print              bool
	uninstall          bool
	timeout            time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster (the one kind wrote)")
	flag.StringVar(&o.version, "version", os.Getenv("KEDA_VERSION"), "KEDA module version, e.g. v2.21.0 (hack/versions.mk; env KEDA_VERSION)")
	flag.StringVar(&o.configDir, "config-dir", "", "config/ directory of the KEDA module (default: found with go mod download -json)")
	flag.StringVar(&o.operatorImage, "operator-image", "", "operator image (default localhost/wva-e2e/keda:<version without v>, as make keda-images tags it)")
	flag.StringVar(&o.metricsServerImage, "metrics-server-image", "", "metrics API server image (default localhost/wva-e2e/keda-metrics-apiserver:<version without v>)")
	flag.BoolVar(&o.print, "print", false, "print the manifests as YAML instead of applying them")
	flag.BoolVar(&o.uninstall, "uninstall", false, "remove KEDA (its custom resources first) instead of installing it")
	flag.DurationVar(&o.timeout, "timeout", 4*time.Minute, "deadline of each wait (CRDs, each Deployment, the APIService)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "keda deploy: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.version == "" {
		return errors.New("-version (or KEDA_VERSION) must be set, e.g. v2.21.0")
	}
	if o.print && o.uninstall {
		return errors.New("-print and -uninstall contradict each other")
	}
	tag := strings.TrimPrefix(o.version, "v")
	if o.operatorImage == "" {
		o.operatorImage = "localhost/wva-e2e/keda:" + tag
	}
	if o.metricsServerImage == "" {
		o.metricsServerImage = "localhost/wva-e2e/keda-metrics-apiserver:" + tag
	}
	if o.configDir == "" {
		dir, err := keda.ModuleDir(ctx, "", o.version)
		if err != nil {
			return err
		}
		o.configDir = filepath.Join(dir, "config")
	}
	opts := keda.Options{ConfigDir: o.configDir, Version: tag, OperatorImage: o.operatorImage, MetricsServerImage: o.metricsServerImage}
	if o.print {
		out, err := keda.RenderYAML(opts)
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(out)
		return err
	}

	if o.kubeconfig == "" {
		return errors.New("-kubeconfig (or KUBECONFIG) must name the cluster's kubeconfig")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", o.kubeconfig, err)
	}
	objs, err := keda.Render(opts)
	if err != nil {
		return err
	}
	installOpts := keda.InstallOptions{FieldManager: fieldManager, Timeout: o.timeout}
	start := time.Now()
	if o.uninstall {
		if err := keda.Uninstall(ctx, cfg, objs, installOpts); err != nil {
			return err
		}
		fmt.Printf("uninstalled KEDA %s in %s\n", o.version, time.Since(start).Round(time.Millisecond))
		return nil
	}
	res, err := keda.Install(ctx, cfg, objs, installOpts)
	if err != nil {
		return err
	}
	fmt.Printf("installed KEDA %s (%d objects from %s) in %s: applied in %s, then operator available after %s, "+
		"metrics server after %s, APIService %s Available after %s\n",
		o.version, len(objs), o.configDir, time.Since(start).Round(time.Millisecond), res.Applied.Round(time.Millisecond),
		res.OperatorAvailable.Round(time.Millisecond), res.MetricsServerAvailable.Round(time.Millisecond),
		keda.APIServiceName, res.APIServiceAvailable.Round(time.Millisecond))
	// The HPA scales to ceil(value / threshold): threshold 1 makes it follow
	// wva_desired_replicas exactly (KEDA's default metricType AverageValue).
	fmt.Print("\nScale a Deployment on WVA's gauge with a ScaledObject trigger such as\n" +
		"  {type: prometheus, metadata: {serverAddress: http://<prometheus>:9090, threshold: \"1\",\n" +
		"   query: 'max(wva_desired_replicas{namespace=\"<ns>\",variant_name=\"<va>\"})'}}\n" +
		"and read what the HPA reads with\n" +
		"  kubectl get --raw '/apis/" + keda.ExternalMetricsGroupVersion + "/namespaces/<ns>/s0-prometheus?labelSelector=scaledobject.keda.sh%2Fname%3D<scaledobject>'\n")
	return nil
}
