//go:build integration

package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wva-project/wva/modules/controller/internal/app"
	"github.com/wva-project/wva/modules/controller/internal/logging/logtest"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

// Shared by every test: one API server for the whole suite.
var (
	restConfig *rest.Config
	k8s        client.Client
	nsCounter  atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	// envtest and controller-runtime internals log through the global logger;
	// each manager under test has its own recording logger.
	ctrllog.SetLogger(logr.Discard())
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run `make test-integration`, which builds kube-apiserver and etcd (make controlplane)")
		return 1
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "..", "..", "deploy", "kustomize", "base", "crd")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest: %v\n", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
		}
	}()
	cfg.QPS, cfg.Burst = 200, 400
	restConfig = cfg
	scheme, err := app.Scheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintf(os.Stderr, "creating client: %v\n", err)
		return 1
	}
	return m.Run()
}

// namespace creates a namespace unique to the test.
func namespace(t *testing.T, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", prefix, nsCounter.Add(1))
	create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	return name
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// manager is a running wva-controller manager.
type manager struct {
	mgr  ctrl.Manager
	logs *logtest.Recorder
	stop func() // stops the manager and waits for it; idempotent
}

// managerOptions are the options of a manager for a test whose ConfigMap
// lives in configNS. The reconcile interval is an hour, so that anything a
// test sees within its deadlines came from a watch event, not a resync.
func managerOptions(configNS string) options.Options {
	o := options.Defaults(func(string) string { return "" })
	o.ConfigMapNamespace = configNS
	o.MetricsBindAddress = "0"
	o.HealthProbeBindAddress = "0"
	o.ReconcileInterval = time.Hour
	o.ScaleDownStabilization = 0
	o.MetricsScrapeInterval = 0
	// Several managers run in one process: no webhook server (one port),
	// and envtest has no Service to reach it through.
	o.ConfigAdmission = options.ConfigAdmissionOff
	return o
}

// startManager builds the manager exactly as the binary does (app.NewManager,
// which performs the startup read) and runs it until the test ends.
func startManager(t *testing.T, o options.Options, source metricsource.Source) *manager {
	t.Helper()
	return startManagerWithClock(t, o, source, nil)
}

// startManagerWithClock is startManager with the clock the manager's
// components use (nil: the real one).
func startManagerWithClock(t *testing.T, o options.Options, source metricsource.Source, clk clock.Clock) *manager {
	t.Helper()
	return startManagerOn(t, restConfig, o, source, clk)
}

// startManagerOn is startManagerWithClock on the API server base points at
// (a copy of the suite's restConfig, maybe through a proxy).
func startManagerOn(t *testing.T, base *rest.Config, o options.Options, source metricsource.Source, clk clock.Clock) *manager {
	t.Helper()
	log, rec := logtest.New()
	ctx, cancel := context.WithCancel(context.Background())
	// The binary's client limits (--kube-api-qps, --kube-api-burst), so that
	// fan-out timings mean what they would in a cluster.
	cfg := rest.CopyConfig(base)
	cfg.QPS, cfg.Burst = float32(o.KubeAPIQPS), o.KubeAPIBurst
	mgr, err := app.NewManager(ctx, app.Setup{
		Options: o, RestConfig: cfg, Logger: log, Registry: prometheus.NewRegistry(),
		MetricsSource: source, Clock: clk, SkipNameValidation: true,
	})
	if err != nil {
		cancel()
		t.Fatalf("NewManager: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("manager stopped with error: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	syncCtx, syncCancel := context.WithTimeout(ctx, 30*time.Second)
	defer syncCancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		t.Fatal("manager cache did not sync within 30s")
	}
	return &manager{mgr: mgr, logs: rec, stop: stop}
}

// eventually polls check until it returns "" (success) or the deadline
// passes, then fails with the last thing check reported.
func eventually(t *testing.T, timeout time.Duration, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := check()
	for last != "" {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s; last seen: %s", what, timeout, last)
		}
		<-tick.C
		last = check()
	}
}

// freePort returns a loopback address nothing listens on (for the probe server).
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
