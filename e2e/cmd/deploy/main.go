// Command deploy puts WVA on a cluster the way the e2e suite does (kustomize
// API + server-side apply with client-go; no kubectl), for `make up`: an
// overlay of the controller with its capacity-scaling-config ConfigMap
// (default: the kind overlay), the standalone ConfigMap file users edit, the
// example VariantAutoscalings, and optionally the demo (deploy/demo: an
// emulated model, its load and Prometheus), waiting until WVA reads the
// demo's metrics.
//
//	go run ./cmd/deploy -kubeconfig bin/kubeconfig-wva
//	go run ./cmd/deploy -kubeconfig bin/kubeconfig-wva -overlay deploy/kustomize/overlays/demo -demo deploy/demo -examples=
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/install"
	"github.com/wva-project/wva/e2e/internal/manifests"
)

// fieldManager owns what this command applies.
const fieldManager = "wva-deploy"

type options struct {
	kubeconfig       string
	root             string
	overlay          string
	withoutConfigMap bool
	configMapFile    string
	examples         string
	examplesNS       string
	demo             string
	restart          bool
	timeout          time.Duration
	demoTimeout      time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster (the one kind wrote)")
	flag.StringVar(&o.root, "root", "", "repository root (default: found from the working directory)")
	flag.StringVar(&o.overlay, "overlay", manifests.KindOverlayDir, "kustomization to deploy, relative to the repository root")
	flag.BoolVar(&o.withoutConfigMap, "without-configmap", false, "leave the capacity-scaling-config ConfigMap out (the controller starts on built-in defaults)")
	flag.StringVar(&o.configMapFile, "configmap-file", manifests.StandaloneConfigMapFile, "ConfigMap file to apply after the overlay (empty: none)")
	flag.StringVar(&o.examples, "examples", manifests.ExamplesDir+"/variantautoscaling.yaml", "comma-separated example manifests to apply (empty: none)")
	flag.StringVar(&o.examplesNS, "examples-namespace", "llm", "namespace for the examples (created if missing)")
	flag.StringVar(&o.demo, "demo", "", "demo kustomization to apply last, relative to the repository root, e.g. "+manifests.DemoDir+" (empty: none)")
	flag.BoolVar(&o.restart, "restart-controller", true, "if the controller was already deployed, restart it (scale 0 -> 1) so that it runs the image just loaded")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Minute, "deadline for the CRDs and the controller rollout")
	flag.DurationVar(&o.demoTimeout, "demo-timeout", 5*time.Minute, "deadline for the demo's Deployments to roll out, and then for its VariantAutoscalings to report MetricsAvailable")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "deploy: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.kubeconfig == "" {
		return fmt.Errorf("-kubeconfig (or KUBECONFIG) must name the cluster's kubeconfig")
	}
	if o.withoutConfigMap && o.configMapFile != "" {
		return fmt.Errorf("-without-configmap and -configmap-file=%q contradict each other (pass -configmap-file= to apply none)", o.configMapFile)
	}
	if o.root == "" {
		root, err := manifests.RepoRoot(".")
		if err != nil {
			return err
		}
		o.root = root
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", o.kubeconfig, err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	applier, err := apply.New(cfg, fieldManager)
	if err != nil {
		return err
	}

	_, err = kube.AppsV1().Deployments(manifests.Namespace).Get(ctx, manifests.DeploymentName, metav1.GetOptions{})
	existed := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deployment %s/%s: %w", manifests.Namespace, manifests.DeploymentName, err)
	}

	start := time.Now()
	res, err := install.Controller(ctx, applier, kube, install.Options{
		RepoRoot: o.root, Overlay: o.overlay, WithoutConfigMap: o.withoutConfigMap, Timeout: o.timeout,
	})
	if err != nil {
		return err
	}
	fmt.Printf("deployed %s (%d objects); controller %s/%s available after %s\n",
		o.overlay, len(res.Objects), manifests.Namespace, manifests.DeploymentName, time.Since(start).Round(time.Millisecond))
	if existed && o.restart {
		// `kind load` replaced the image behind the :dev tag, but the
		// running pod keeps the one it started with.
		start = time.Now()
		if err := install.RestartController(ctx, kube, 1, fieldManager, o.timeout); err != nil {
			return err
		}
		fmt.Printf("restarted the controller onto the loaded image in %s\n", time.Since(start).Round(time.Millisecond))
	}

	if o.configMapFile != "" {
		if err := applyFile(ctx, applier, manifests.OSPath(o.root, o.configMapFile), ""); err != nil {
			return err
		}
		fmt.Printf("applied %s\n", o.configMapFile)
	}
	if o.examples != "" {
		ns := &unstructured.Unstructured{}
		ns.SetAPIVersion("v1")
		ns.SetKind("Namespace")
		ns.SetName(o.examplesNS)
		if err := applier.Apply(ctx, []*unstructured.Unstructured{ns}, apply.Options{}); err != nil {
			return err
		}
		for _, file := range strings.Split(o.examples, ",") {
			if err := applyFile(ctx, applier, manifests.OSPath(o.root, strings.TrimSpace(file)), o.examplesNS); err != nil {
				return err
			}
			fmt.Printf("applied %s in namespace %s\n", file, o.examplesNS)
		}
	}
	if o.demo != "" {
		start = time.Now()
		res, err := deployDemo(ctx, applier, kube, dyn, o.root, o.demo, o.demoTimeout)
		if err != nil {
			return err
		}
		fmt.Printf("deployed %s (%d objects): %d Deployments available after %s, %d VariantAutoscalings with metrics %s later (%s in all)\n",
			o.demo, res.objects, len(res.deployments), res.available.Round(time.Millisecond),
			len(res.vas), res.metrics.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
	fmt.Printf("\nUse the cluster with kubectl:\n  export KUBECONFIG=%s\n  kubectl get va -A\n  kubectl -n %s logs deploy/%s\n",
		o.kubeconfig, manifests.Namespace, manifests.DeploymentName)
	if o.demo != "" {
		printDemoHelp(o.kubeconfig)
	}
	return nil
}

// applyFile applies the objects of a YAML file; namespaced objects without a
// namespace go to namespace.
func applyFile(ctx context.Context, applier *apply.Applier, path, namespace string) error {
	objs, err := manifests.ReadFile(path)
	if err != nil {
		return err
	}
	return applier.Apply(ctx, objs, apply.Options{DefaultNamespace: namespace})
}
