// Command wva-controller runs the Workload Variant Autoscaler: it scales LLM
// inference servers on KV-cache utilization and queue length, with
// thresholds from the capacity-scaling-config ConfigMap.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wva-project/wva/modules/controller/internal/app"
	"github.com/wva-project/wva/modules/controller/internal/logging"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// run returns the process exit code: 0 on a clean stop (or -h), 2 for bad
// flags, 1 when the manager fails.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	opts, err := options.Parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "wva-controller: %v\n", err)
		return 2
	}
	opts.Zap.DestWriter = stderr
	log := logging.New(opts.Zap)
	ctrl.SetLogger(log)
	setupLog := log.WithName("setup")

	cfg, err := restConfig(opts)
	if err != nil {
		setupLog.Error(err, "Unable to load the Kubernetes client configuration")
		return 1
	}
	ctx := ctrl.SetupSignalHandler()
	if err := app.Run(ctx, app.Setup{Options: opts, RestConfig: cfg, Logger: log}); err != nil {
		setupLog.Error(err, "Controller failed")
		return 1
	}
	return 0
}

func restConfig(opts options.Options) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if opts.Kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", opts.Kubeconfig)
	} else {
		cfg, err = ctrl.GetConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.QPS = float32(opts.KubeAPIQPS)
	cfg.Burst = opts.KubeAPIBurst
	cfg.UserAgent = "wva-controller"
	return cfg, nil
}
