package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/e2e-framework/klient/conf"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/support/kind"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/install"
	"github.com/wva-project/wva/e2e/internal/manifests"
)

// FieldManager owns what the suite applies and writes.
const FieldManager = "wva-e2e"

// Suite is the state of one run: the cluster, its clients and the outcome.
type Suite struct {
	Opts  Options
	root  string
	cfg   *envconf.Config
	Env   env.Environment
	runID string

	// Set by SetUp.
	Cluster *kind.Cluster // nil in existing mode
	REST    *rest.Config
	Kube    kubernetes.Interface
	Dyn     dynamic.Interface
	// controllerReplicas is the controller's replica count at the start,
	// restored by the features that scale it.
	controllerReplicas int32
	ready              bool

	// Failed is set when any test failed; tearDown then exports logs.
	Failed atomic.Bool

	Mu sync.Mutex
	// StartedWithConfigMap records whether the running controller pod
	// started while the ConfigMap existed (feature 1 needs it not to have).
	StartedWithConfigMap bool
	// measurements are printed at the end of the run.
	measurements []string
	// loadRuns are the summary lines of the load features, printed at the
	// end of the run.
	loadRuns []string
	// loadedImages are the image tarballs loaded into the kind cluster.
	loadedImages map[string]bool
}

func New(opts Options, root string, cfg *envconf.Config) *Suite {
	name := opts.mode
	if opts.mode == modeKind {
		name = opts.clusterName
	}
	return &Suite{
		Opts:  opts,
		root:  root,
		cfg:   cfg,
		runID: time.Now().UTC().Format("20060102-150405") + "-" + name,
	}
}

// SetUp is the suite's e2e-framework Setup function.
func (s *Suite) SetUp(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	start := time.Now()
	var err error
	if s.Opts.mode == modeKind {
		err = s.setUpKind(ctx)
	} else {
		err = s.setUpExisting(ctx)
	}
	if err != nil {
		return ctx, err
	}
	s.ready = true
	s.Measure("suite set-up (%s mode)", time.Since(start), s.Opts.mode)
	return ctx, nil
}

// setUpKind creates the kind cluster (or reuses one of the same name), loads
// the controller image and deploys the kind overlay without the
// capacity-scaling-config ConfigMap.
func (s *Suite) setUpKind(ctx context.Context) error {
	o := s.Opts
	c := kind.NewCluster(o.clusterName)
	// kind is pinned: WithPath names the binary make built, WithVersion the
	// version e2e-framework would `go install` if that binary were missing.
	c.WithPath(o.kindBinary)
	c.WithVersion(o.kindVersion)
	if o.nodeImage != "" {
		c.WithOpts(kind.WithImage(o.nodeImage))
	}
	s.Cluster = c

	existed, err := kindClusterExists(ctx, o.kindBinary, o.clusterName)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.kubeconfigOut), 0o755); err != nil {
		return fmt.Errorf("kubeconfig directory: %w", err)
	}
	step := time.Now()
	args := []string{"--kubeconfig", o.kubeconfigOut, "--wait", "3m"}
	if o.kindConfig != "" {
		args = append(args, "--config", o.kindConfig)
	}
	if _, err := c.Create(ctx, args...); err != nil {
		return fmt.Errorf("creating kind cluster %s: %w", o.clusterName, err)
	}
	if existed {
		// kind does not rewrite the kubeconfig of a cluster it did not create.
		if err := writeKindKubeconfig(ctx, o.kindBinary, o.clusterName, o.kubeconfigOut); err != nil {
			return err
		}
		logf("reusing kind cluster %s", o.clusterName)
	} else {
		s.Measure("kind create cluster %s", time.Since(step), o.clusterName)
	}
	s.cfg.WithKubeconfigFile(o.kubeconfigOut)
	if err := s.connect(o.kubeconfigOut); err != nil {
		return err
	}

	step = time.Now()
	if err := c.LoadImageArchive(ctx, o.imageArchive); err != nil {
		return fmt.Errorf("loading the controller image: %w", err)
	}
	s.Measure("kind load image-archive", time.Since(step))

	step = time.Now()
	applier, err := apply.New(s.REST, FieldManager)
	if err != nil {
		return err
	}
	res, err := install.Controller(ctx, applier, s.Kube, install.Options{
		RepoRoot:         s.root,
		Overlay:          manifests.KindOverlayDir,
		WithoutConfigMap: true,
		Timeout:          o.deployTimeout,
	})
	if err != nil {
		return err
	}
	s.Measure("deploy kind overlay (%d objects, controller available after %s)", time.Since(step), len(res.Objects), res.Rollout.Round(time.Millisecond))
	s.controllerReplicas = 1
	if existed {
		// The pod of a reused cluster runs the image loaded by an earlier
		// run; restart it onto the one just loaded.
		if err := s.RestartController(ctx, o.deployTimeout); err != nil {
			return err
		}
	}
	return nil
}

// setUpExisting connects to the cluster of -kubeconfig and checks the
// prerequisites: the controller is deployed and available.
func (s *Suite) setUpExisting(ctx context.Context) error {
	path := s.cfg.KubeconfigFile()
	if path == "" {
		path = conf.ResolveKubeConfigFile()
	}
	if err := s.connect(path); err != nil {
		return err
	}
	d, err := s.controllerDeployment(ctx)
	if err != nil {
		return fmt.Errorf("existing mode needs the controller deployed with the kind overlay: %w", err)
	}
	s.controllerReplicas = 1
	if d.Spec.Replicas != nil && *d.Spec.Replicas > 0 {
		s.controllerReplicas = *d.Spec.Replicas
	}
	if _, err := apply.WaitDeploymentAvailable(ctx, s.Kube, manifests.Namespace, manifests.DeploymentName, s.Opts.deployTimeout, time.Second); err != nil {
		return fmt.Errorf("existing mode: %w", err)
	}
	logf("existing cluster of %s: controller %s/%s available", path, manifests.Namespace, manifests.DeploymentName)
	return nil
}

// connect builds the clients from the kubeconfig at path (the suite never
// reaches the API server any other way). QPS is raised above client-go's
// default of 5 so that the fan-out feature can create and poll 200 objects.
func (s *Suite) connect(path string) error {
	cfg, err := conf.New(path)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	cfg.UserAgent = "wva-e2e"
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	s.REST, s.Kube, s.Dyn = cfg, kube, dyn
	return nil
}

// AfterTest records failures, so that tearDown knows to export logs.
func (s *Suite) AfterTest(ctx context.Context, _ *envconf.Config, t *testing.T) (context.Context, error) {
	if t.Failed() {
		s.Failed.Store(true)
	}
	return ctx, nil
}

// TearDown is the suite's Finish function: it exports logs when set-up or a
// test failed, and deletes the kind cluster unless asked to keep it.
func (s *Suite) TearDown(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	if s.Failed.Load() || !s.ready {
		dir := s.ArtifactPath("suite")
		if err := s.exportLogs(ctx, dir); err != nil {
			logf("exporting logs: %v", err)
		}
		logf("logs of the failed run: %s", dir)
	}
	s.printMeasurements()
	if s.Cluster == nil {
		return ctx, nil
	}
	if s.Opts.keepCluster {
		logf("keeping kind cluster %s: export KUBECONFIG=%s (delete it with: %s delete cluster --name %s)",
			s.Opts.clusterName, s.Opts.kubeconfigOut, s.Opts.kindBinary, s.Opts.clusterName)
		return ctx, nil
	}
	start := time.Now()
	if err := s.Cluster.Destroy(ctx); err != nil {
		return ctx, fmt.Errorf("deleting kind cluster %s: %w", s.Opts.clusterName, err)
	}
	if err := os.Remove(s.Opts.kubeconfigOut); err != nil && !os.IsNotExist(err) {
		return ctx, fmt.Errorf("removing %s: %w", s.Opts.kubeconfigOut, err)
	}
	logf("deleted kind cluster %s in %s", s.Opts.clusterName, time.Since(start).Round(time.Millisecond))
	return ctx, nil
}

// Measure records a timing for the summary printed at the end of the run.
func (s *Suite) Measure(format string, d time.Duration, args ...any) {
	line := fmt.Sprintf("%-10s %s", d.Round(time.Millisecond), fmt.Sprintf(format, args...))
	s.Mu.Lock()
	s.measurements = append(s.measurements, line)
	s.Mu.Unlock()
}

// ReportLoadRun records the summary line of a load run for the end of the
// run.
func (s *Suite) ReportLoadRun(line string) {
	s.Mu.Lock()
	s.loadRuns = append(s.loadRuns, line)
	s.Mu.Unlock()
}

func (s *Suite) printMeasurements() {
	s.Mu.Lock()
	lines := slices.Clone(s.measurements)
	runs := slices.Clone(s.loadRuns)
	s.Mu.Unlock()
	if len(lines) > 0 {
		fmt.Printf("\ne2e measurements (%s):\n  %s\n", s.runID, strings.Join(lines, "\n  "))
	}
	if len(runs) > 0 {
		fmt.Printf("\ne2e load runs (%s):\n  %s\n", s.runID, strings.Join(runs, "\n  "))
	}
}

// logf prints suite-level progress (outside any test).
func logf(format string, args ...any) {
	fmt.Printf("e2e: %s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}
