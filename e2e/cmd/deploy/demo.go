package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/poll"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// vaResource is the resource of VariantAutoscalings.
var vaResource = v1alpha1.GroupVersion.WithResource("variantautoscalings")

// demoResult describes a deployed demo.
type demoResult struct {
	objects     int
	deployments []string // "namespace/name", in apply order
	vas         []string // "namespace/name", in apply order
	available   time.Duration
	metrics     time.Duration
}

// deployDemo renders the demo kustomization dir (relative to root), applies
// it and waits, within timeout each, until its Deployments have rolled out
// and every VariantAutoscaling it holds reports MetricsAvailable=True from
// an analysis that ran after the apply: then Prometheus scrapes the model
// and the (possibly just restarted) controller reads it, the loop is
// closed.
func deployDemo(ctx context.Context, applier *apply.Applier, kube kubernetes.Interface, dyn dynamic.Interface, root, dir string, timeout time.Duration) (demoResult, error) {
	objs, err := manifests.Render(manifests.OSPath(root, dir))
	if err != nil {
		return demoResult{}, fmt.Errorf("demo: %w", err)
	}
	res := demoResult{objects: len(objs)}
	for _, o := range objs {
		id := o.GetNamespace() + "/" + o.GetName()
		switch o.GetKind() {
		case "Deployment":
			res.deployments = append(res.deployments, id)
		case "VariantAutoscaling":
			res.vas = append(res.vas, id)
		}
	}
	// The controller's clock is the node's: on kind, this machine's. Status
	// times have whole seconds.
	applied := time.Now().Truncate(time.Second)
	if err := applier.Apply(ctx, objs, apply.Options{}); err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}

	start := time.Now()
	for _, id := range res.deployments {
		ns, name, _ := strings.Cut(id, "/")
		if _, err := apply.WaitDeploymentAvailable(ctx, kube, ns, name, timeout, time.Second); err != nil {
			return res, fmt.Errorf("demo: %w", err)
		}
	}
	res.available = time.Since(start)

	start = time.Now()
	for _, id := range res.vas {
		ns, name, _ := strings.Cut(id, "/")
		if err := waitMetricsAvailable(ctx, dyn, ns, name, applied, timeout); err != nil {
			return res, fmt.Errorf("demo: %w", err)
		}
	}
	res.metrics = time.Since(start)
	return res, nil
}

// waitMetricsAvailable waits until the VariantAutoscaling namespace/name
// has condition MetricsAvailable=True and an analysis that ran at or after
// since; on timeout the error shows what was last seen.
func waitMetricsAvailable(ctx context.Context, dyn dynamic.Interface, namespace, name string, since time.Time, timeout time.Duration) error {
	_, err := poll.Until(ctx, clock.RealClock{}, timeout, time.Second, func(ctx context.Context) (bool, string, error) {
		u, err := dyn.Resource(vaResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Sprintf("get failed: %v", err), nil
		}
		return metricsAvailable(u, since)
	})
	if err != nil {
		return fmt.Errorf("VariantAutoscaling %s/%s: no MetricsAvailable=True (is Prometheus scraping the model, and does the controller run with --prometheus-url?): %w",
			namespace, name, err)
	}
	return nil
}

// metricsAvailable reports whether the VariantAutoscaling u has condition
// MetricsAvailable=True and status.lastAnalysis from since or later (so
// that a status left by an earlier controller does not count), with what
// it saw.
func metricsAvailable(u *unstructured.Unstructured, since time.Time) (bool, string, error) {
	var va v1alpha1.VariantAutoscaling
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &va); err != nil {
		return false, "", fmt.Errorf("decoding VariantAutoscaling %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	c := meta.FindStatusCondition(va.Status.Conditions, v1alpha1.ConditionMetricsAvailable)
	if c == nil {
		return false, "no MetricsAvailable condition yet", nil
	}
	seen := fmt.Sprintf("MetricsAvailable=%s %s: %s", c.Status, c.Reason, c.Message)
	a := va.Status.LastAnalysis
	switch {
	case c.Status != metav1.ConditionTrue:
		return false, seen, nil
	case a.IsZero():
		return false, seen + "; no analysis yet", nil
	case a.Time.Time.Before(since):
		return false, seen + "; last analysis at " + a.Time.UTC().Format(time.RFC3339) + ", before the apply", nil
	}
	return true, seen, nil
}

// printDemoHelp tells how to watch the demo and draw its timeline.
func printDemoHelp(kubeconfig string) {
	fmt.Printf(`
The demo runs in namespace %[2]s: the load generator plays its cycle
against the model and WVA scales the variants. Watch it:
  export KUBECONFIG=%[1]s
  kubectl get va -n %[2]s -w
  kubectl get deploy -n %[2]s -w
Draw the timeline of the last minutes (CSV and PNG): make plot
`, kubeconfig, manifests.DemoNamespace)
}
