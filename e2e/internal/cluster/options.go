package cluster

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/flags"
)

// Modes of the suite.
const (
	// modeKind creates a kind cluster, loads the controller image, deploys
	// the kind overlay without the ConfigMap, runs the features and deletes
	// the cluster.
	modeKind = "kind"
	// modeExisting runs the features against the cluster of -kubeconfig,
	// where the controller is already deployed (see README: prerequisites).
	modeExisting = "existing"
)

// Options configure the suite. Each flag defaults to an environment variable
// so that `make test-e2e` can configure every package's test binary of
// `go test ./...` without passing flags that the other binaries would reject.
// -kubeconfig is e2e-framework's own flag (KUBECONFIG when unset).
type Options struct {
	mode          string
	clusterName   string
	kindBinary    string
	kindVersion   string
	nodeImage     string
	kindConfig    string
	kubeconfigOut string
	imageArchive  string
	// Images of feature 10 and the tarballs to load them from (kind mode).
	StubImage        string
	stubImageArchive string
	PromImage        string
	promImageArchive string
	// Images of the load features (11-13): the vLLM emulator and the load
	// generator, and their tarballs.
	EmulatorImage        string
	emulatorImageArchive string
	LoadgenImage         string
	loadgenImageArchive  string
	keepCluster          bool
	artifactsDir         string
	deployTimeout        time.Duration
	// labels and skipLabels select features by label (E2E_LABELS,
	// E2E_SKIP_LABELS: make's LABELS and SKIP_LABELS), as e2e-framework's
	// -labels and -skip-labels do; see FeatureLabels.
	labels, skipLabels flags.LabelsMap

	// envErrs holds the environment variables that did not parse.
	envErrs []error
}

// Register defines the suite's flags on fs, with defaults from the
// environment.
func (o *Options) Register(fs *flag.FlagSet) {
	fs.StringVar(&o.mode, "mode", envOr("E2E_MODE", modeKind),
		"kind: create a kind cluster and deploy the controller; existing: use the cluster of -kubeconfig as it is (env E2E_MODE)")
	fs.StringVar(&o.clusterName, "kind-cluster", envOr("E2E_KIND_CLUSTER", "wva-e2e"),
		"name of the kind cluster to create; an existing cluster of that name is reused (env E2E_KIND_CLUSTER)")
	fs.StringVar(&o.kindBinary, "kind-binary", envOr("E2E_KIND", "kind"),
		"kind binary, e.g. bin/kind/v0.33.0/kind as built by make (env E2E_KIND)")
	fs.StringVar(&o.kindVersion, "kind-version", envOr("E2E_KIND_VERSION", "v0.33.0"),
		"kind version that e2e-framework installs if -kind-binary is not found (env E2E_KIND_VERSION)")
	fs.StringVar(&o.nodeImage, "kind-node-image", os.Getenv("E2E_KIND_NODE_IMAGE"),
		"kind node image, e.g. localhost/kindest/node:v1.37.2-offline; empty: kind's default (env E2E_KIND_NODE_IMAGE)")
	fs.StringVar(&o.kindConfig, "kind-config", os.Getenv("E2E_KIND_CONFIG"),
		"kind cluster configuration file, e.g. kind/cluster-offline.yaml (env E2E_KIND_CONFIG)")
	fs.StringVar(&o.kubeconfigOut, "kind-kubeconfig", os.Getenv("E2E_KIND_KUBECONFIG"),
		"where kind writes the cluster's kubeconfig; default bin/kubeconfig-<cluster> (env E2E_KIND_KUBECONFIG)")
	fs.StringVar(&o.imageArchive, "controller-image-archive", os.Getenv("E2E_CONTROLLER_IMAGE_TAR"),
		"docker-archive tarball of ghcr.io/wva-project/wva-controller:dev to load into the cluster (env E2E_CONTROLLER_IMAGE_TAR)")
	fs.StringVar(&o.StubImage, "vllmstub-image", envOr("E2E_VLLMSTUB_IMAGE", "localhost/wva-e2e/vllmstub:dev"),
		"image of the vLLM metrics stub, feature 10 (env E2E_VLLMSTUB_IMAGE)")
	fs.StringVar(&o.stubImageArchive, "vllmstub-image-archive", os.Getenv("E2E_VLLMSTUB_IMAGE_TAR"),
		"docker-archive tarball of -vllmstub-image to load in kind mode; make e2e-images writes it (env E2E_VLLMSTUB_IMAGE_TAR)")
	fs.StringVar(&o.PromImage, "prometheus-image", envOr("E2E_PROMETHEUS_IMAGE", "localhost/wva-e2e/prometheus:dev"),
		"image of the Prometheus server, feature 10 (env E2E_PROMETHEUS_IMAGE)")
	fs.StringVar(&o.promImageArchive, "prometheus-image-archive", os.Getenv("E2E_PROMETHEUS_IMAGE_TAR"),
		"docker-archive tarball of -prometheus-image to load in kind mode; make e2e-images writes it (env E2E_PROMETHEUS_IMAGE_TAR)")
	fs.StringVar(&o.EmulatorImage, "vllm-emulator-image", envOr("E2E_EMULATOR_IMAGE", "localhost/wva-e2e/vllm-emulator:dev"),
		"image of the vLLM emulator, features 11-13 (env E2E_EMULATOR_IMAGE)")
	fs.StringVar(&o.emulatorImageArchive, "vllm-emulator-image-archive", os.Getenv("E2E_EMULATOR_IMAGE_TAR"),
		"docker-archive tarball of -vllm-emulator-image to load in kind mode; make e2e-images writes it (env E2E_EMULATOR_IMAGE_TAR)")
	fs.StringVar(&o.LoadgenImage, "loadgen-image", envOr("E2E_LOADGEN_IMAGE", "localhost/wva-e2e/loadgen:dev"),
		"image of the load generator, features 11-13 (env E2E_LOADGEN_IMAGE)")
	fs.StringVar(&o.loadgenImageArchive, "loadgen-image-archive", os.Getenv("E2E_LOADGEN_IMAGE_TAR"),
		"docker-archive tarball of -loadgen-image to load in kind mode; make e2e-images writes it (env E2E_LOADGEN_IMAGE_TAR)")
	fs.BoolVar(&o.keepCluster, "keep-cluster", o.envBool("E2E_KEEP_CLUSTER"),
		"keep the kind cluster after the run, for debugging (env E2E_KEEP_CLUSTER=1)")
	fs.StringVar(&o.artifactsDir, "artifacts", os.Getenv("E2E_ARTIFACTS"),
		"directory for the logs exported on failure; default e2e/_artifacts (env E2E_ARTIFACTS)")
	fs.DurationVar(&o.deployTimeout, "deploy-timeout", o.envDuration("E2E_DEPLOY_TIMEOUT", 3*time.Minute),
		"deadline for the CRDs to be Established and the controller to become available (env E2E_DEPLOY_TIMEOUT)")
}

// LabelsFromEnv parses E2E_LABELS and E2E_SKIP_LABELS ("area=reload,size=small").
func (o *Options) LabelsFromEnv() {
	for _, l := range []struct {
		env string
		to  *flags.LabelsMap
	}{{"E2E_LABELS", &o.labels}, {"E2E_SKIP_LABELS", &o.skipLabels}} {
		raw := os.Getenv(l.env)
		if raw == "" {
			continue
		}
		m := flags.LabelsMap{}
		if err := m.Set(raw); err != nil {
			o.envErrs = append(o.envErrs, fmt.Errorf("%s=%q: %w", l.env, raw, err))
			continue
		}
		for key, values := range m {
			for _, v := range values {
				if !slices.Contains(FeatureLabels[key], v) {
					o.envErrs = append(o.envErrs, fmt.Errorf("%s=%q: no feature has label %s=%s (labels: %s)", l.env, raw, key, v, describeLabels()))
				}
			}
		}
		*l.to = m
	}
}

// ApplyLabels hands the selection to e2e-framework, unless its own
// -labels / -skip-labels flags were given.
func (o *Options) ApplyLabels(cfg *envconf.Config) {
	if len(o.labels) > 0 && len(cfg.Labels()) == 0 {
		cfg.WithLabels(o.labels)
	}
	if len(o.skipLabels) > 0 && len(cfg.SkipLabels()) == 0 {
		cfg.WithSkipLabels(o.skipLabels)
	}
}

// describeLabels lists FeatureLabels as "area=reload|scaling|..., size=...".
func describeLabels() string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(FeatureLabels)) {
		out = append(out, key+"="+strings.Join(FeatureLabels[key], "|"))
	}
	return strings.Join(out, ", ")
}

// Complete fills the defaults that depend on the repository root.
func (o *Options) Complete(root string) {
	if o.artifactsDir == "" {
		o.artifactsDir = filepath.Join(root, "e2e", "_artifacts")
	}
	if o.kubeconfigOut == "" {
		o.kubeconfigOut = filepath.Join(root, "bin", "kubeconfig-"+o.clusterName)
	}
}

// Validate reports every unusable option, naming the flag and its value.
func (o *Options) Validate() error {
	errs := append([]error(nil), o.envErrs...)
	bad := func(flag, value, why string) {
		errs = append(errs, fmt.Errorf("-%s=%q: %s", flag, value, why))
	}
	switch o.mode {
	case modeExisting:
		return errors.Join(errs...)
	case modeKind:
	default:
		bad("mode", o.mode, "must be kind or existing")
		return errors.Join(errs...)
	}
	if o.clusterName == "" {
		bad("kind-cluster", o.clusterName, "must not be empty")
	}
	if o.imageArchive == "" {
		bad("controller-image-archive", o.imageArchive, "must be set in kind mode (make image writes bin/images/wva-controller-dev.tar)")
	} else if _, err := os.Stat(o.imageArchive); err != nil {
		bad("controller-image-archive", o.imageArchive, err.Error())
	}
	for _, a := range []struct{ flag, path string }{
		{"vllmstub-image-archive", o.stubImageArchive},
		{"prometheus-image-archive", o.promImageArchive},
		{"vllm-emulator-image-archive", o.emulatorImageArchive},
		{"loadgen-image-archive", o.loadgenImageArchive},
	} {
		if a.path == "" {
			continue // the features that need it fail, naming the flag
		}
		if _, err := os.Stat(a.path); err != nil {
			bad(a.flag, a.path, err.Error())
		}
	}
	if o.kindConfig != "" {
		if _, err := os.Stat(o.kindConfig); err != nil {
			bad("kind-config", o.kindConfig, err.Error())
		}
	}
	if o.deployTimeout <= 0 {
		bad("deploy-timeout", o.deployTimeout.String(), "must be positive")
	}
	return errors.Join(errs...)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (o *Options) envBool(name string) bool {
	raw := os.Getenv(name)
	if raw == "" {
		return false
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		o.envErrs = append(o.envErrs, fmt.Errorf("%s=%q: not a boolean (use 1 or 0)", name, raw))
	}
	return v
}

func (o *Options) envDuration(name string, def time.Duration) time.Duration {
	raw := os.Getenv(name)
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		o.envErrs = append(o.envErrs, fmt.Errorf("%s=%q: not a duration (e.g. 3m)", name, raw))
		return def
	}
	return d
}

// FeatureLabels are the labels every feature carries, with their values:
// `make test-e2e LABELS=area=reload` runs one area, LABELS=size=small the
// quick features (README.md, "Run a subset").
var FeatureLabels = map[string][]string{
	"area": {"reload", "scaling", "security", "faults", "schedule"},
	"size": {"small", "large"},
}
