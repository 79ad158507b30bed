//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/apply"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Deadlines and settings of feature 10.
const (
	// scaleUpDeadline: from the VariantAutoscaling's creation, the
	// saturated target is scaled to 2 replicas (and on to its maximum 3).
	scaleUpDeadline = 90 * time.Second
	// scrapeDeadline: Prometheus has scraped the stub's gauges.
	scrapeDeadline = time.Minute
	// scaleUpReconcileInterval is the controller's --reconcile-interval
	// during the feature; the hold at the maximum spans three of them.
	scaleUpReconcileInterval = 5 * time.Second
	scaleUpModel             = "e2e/saturated-model"
	// saturatedKv is above the built-in kvCacheThreshold 0.80: every
	// replica of the stub is saturated, whatever the replica count.
	saturatedKv = 0.95
)

// Feature 10: the whole loop on real metrics. A vLLM stub reports a KV-cache
// usage of 0.95, Prometheus in the cluster scrapes it, the controller (with
// --prometheus-url) reads it, decides ScaleUp and scales the Deployment from
// 1 replica to 2, and to no more than maxReplicas 3.
func TestScaleUpOnRealMetrics(t *testing.T) {
	f := suite.newFixture("scaleup")
	var (
		v         va
		createdAt time.Time // of the VariantAutoscaling
	)

	feature := features.New("scale up on real metrics (Prometheus in the cluster)").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.setup).
		WithSetup("load the stub and Prometheus images", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			suite.loadScaleUpImages(ctx, t)
			return ctx
		}).
		WithSetup("Prometheus scraping a saturated vLLM stub", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// The built-in thresholds (0.80 / 5 / 0.10 / 3) apply.
			f.withoutConfigMap(ctx, t)
			ns := f.namespace(ctx, t)
			took := deployScrapedStub(ctx, t, ns, scaleUpModel, saturatedKv)
			suite.measure("feature 10: stub available -> scraped by Prometheus", took)
			v = va{namespace: ns, name: "saturated", model: scaleUpModel, target: stubName, min: 1, max: 3}
			return ctx
		}).
		WithSetup("the controller on Prometheus", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			f.controllerOnPrometheus(ctx, t, v.namespace, scaleUpReconcileInterval)
			if err := f.createVA(ctx, v); err != nil {
				t.Fatal(err)
			}
			createdAt = time.Now()
			return ctx
		}).
		Assess("the VariantAutoscaling reports MetricsAvailable=True and decides ScaleUp", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			waitSince(ctx, t, "MetricsAvailable=True and lastAnalysis.decision=ScaleUp", createdAt, reconcileDeadline, fastPoll,
				func(ctx context.Context) (bool, string, error) {
					obj, err := f.getVA(ctx, v)
					if err != nil {
						return false, err.Error(), nil
					}
					metrics := condition(obj, v1alpha1.ConditionMetricsAvailable)
					ok := metrics != nil && metrics.Status == metav1.ConditionTrue &&
						obj.Status.LastAnalysis != nil && obj.Status.LastAnalysis.Decision == v1alpha1.DecisionScaleUp
					return ok, describeCondition(metrics) + "; " + describeAnalysis(obj.Status.LastAnalysis), nil
				})
			return ctx
		}).
		Assess("the target is scaled from 1 to 2 replicas", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			took := waitSince(ctx, t, "stub Deployment spec.replicas >= 2", createdAt, scaleUpDeadline, slowPoll, stubReplicas(v, 2))
			suite.measure("feature 10: VariantAutoscaling created -> target scaled 1 -> 2 on real metrics", took)
			return ctx
		}).
		Assess("the target stops at maxReplicas 3", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			took := waitSince(ctx, t, "stub Deployment spec.replicas = 3 (maxReplicas)", createdAt, scaleUpDeadline, slowPoll, stubReplicas(v, 3))
			suite.measure("feature 10: VariantAutoscaling created -> target at maxReplicas 3", took)
			// Still saturated at 3: the controller keeps deciding; three
			// reconciles later the target has not gone above its maximum.
			holdFor(ctx, t, "stub Deployment stays at 3 replicas", 3*scaleUpReconcileInterval, slowPoll,
				func(ctx context.Context) (bool, string, error) {
					d, err := suite.kube.AppsV1().Deployments(v.namespace).Get(ctx, v.target, metav1.GetOptions{})
					if err != nil {
						return false, "", err
					}
					obj, err := f.getVA(ctx, v)
					if err != nil {
						return false, "", err
					}
					got := replicasOf(d.Spec.Replicas)
					return got == 3 && obj.Status.DesiredReplicas <= 3,
						fmt.Sprintf("spec.replicas=%d status.desiredReplicas=%d; %s", got, obj.Status.DesiredReplicas, describeAnalysis(obj.Status.LastAnalysis)), nil
				})
			return ctx
		}).
		WithTeardown("restore the controller's args, delete the ConfigMap and the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}

// deployScrapedStub deploys, in namespace, Prometheus scraping one replica
// of the vLLM stub that reports kv as the KV-cache usage of model (and an
// empty queue), waits until Prometheus has the value, and returns how long
// that took from the stub's availability.
func deployScrapedStub(ctx context.Context, t *testing.T, ns, model string, kv float64) time.Duration {
	t.Helper()
	if err := deployPrometheus(ctx, ns, suite.opts.promImage, scrapeWorkloads); err != nil {
		t.Fatal(err)
	}
	d := stubDeployment(ns, suite.opts.stubImage, model, kv, 0, 1)
	if _, err := suite.kube.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
		t.Fatalf("creating Deployment %s/%s: %v", ns, d.Name, err)
	}
	for _, name := range []string{promName, stubName} {
		took, err := apply.WaitDeploymentAvailable(ctx, suite.kube, ns, name, rolloutDeadline, slowPoll)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Deployment %s/%s available after %s", ns, name, took.Round(time.Millisecond))
	}
	// The controller's own query, through the API server's service proxy.
	query := fmt.Sprintf("max by (pod) (vllm:kv_cache_usage_perc{namespace=%q,model_name=%q})", ns, model)
	return waitFor(ctx, t, "Prometheus has the stub's KV-cache usage", scrapeDeadline, slowPoll,
		func(ctx context.Context) (bool, string, error) {
			pods, err := stubPods(ctx, ns)
			if err != nil {
				return false, err.Error(), nil
			}
			got, err := promQuery(ctx, ns, query)
			if err != nil {
				return false, err.Error(), nil
			}
			ok := len(pods) == 1 && len(got) == 1 && got[pods[0]] == kv
			return ok, fmt.Sprintf("pods %v, %s -> %v", pods, query, got), nil
		})
}

// controllerOnPrometheus rolls the controller out reading the Prometheus of
// namespace ns, re-analysing every reconcileInterval, and restores its args
// at teardown.
func (f *fixture) controllerOnPrometheus(ctx context.Context, t *testing.T, ns string, reconcileInterval time.Duration) {
	t.Helper()
	orig, err := suite.controllerArgs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Registered first: restored whatever happens below.
	f.onTeardown("restoring the controller's args", func(ctx context.Context) error {
		took, err := suite.setControllerArgs(ctx, orig, rolloutDeadline)
		if err == nil {
			t.Logf("controller rolled back to args %q in %s", orig, took.Round(time.Millisecond))
		}
		return err
	})
	args := withFlags(orig,
		fmt.Sprintf("--prometheus-url=http://%s.%s.svc:%d", promName, ns, promPort),
		"--reconcile-interval="+reconcileInterval.String(),
		// A new replica counts once Prometheus has scraped it.
		"--metrics-scrape-interval="+promScrapeTime)
	took, err := suite.setControllerArgs(ctx, args, rolloutDeadline)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("controller rolled out with args %q in %s", args, took.Round(time.Millisecond))
}

// loadScaleUpImages loads the stub and Prometheus images into the kind
// cluster (once per run). In existing mode the cluster must have them
// already (README).
func (s *Suite) loadScaleUpImages(ctx context.Context, t *testing.T) {
	t.Helper()
	s.loadImages(ctx, t,
		image{"vllmstub-image-archive", s.opts.stubImage, s.opts.stubImageArchive},
		image{"prometheus-image-archive", s.opts.promImage, s.opts.promImageArchive})
}

// getVA returns the fixture's VariantAutoscaling v.
func (f *fixture) getVA(ctx context.Context, v va) (v1alpha1.VariantAutoscaling, error) {
	vas, err := f.listVAs(ctx)
	if err != nil {
		return v1alpha1.VariantAutoscaling{}, err
	}
	obj, ok := vas[v.key()]
	if !ok {
		return v1alpha1.VariantAutoscaling{}, fmt.Errorf("VariantAutoscaling %s not found", v.key())
	}
	return obj, nil
}

// stubReplicas is a poll.Condition that holds once the target of v has at
// least want replicas; it fails at once if it has more than v's maximum.
func stubReplicas(v va, want int32) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		d, err := suite.kube.AppsV1().Deployments(v.namespace).Get(ctx, v.target, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		got := replicasOf(d.Spec.Replicas)
		seen := fmt.Sprintf("spec.replicas=%d (ready %d)", got, d.Status.ReadyReplicas)
		if got > v.max {
			return false, seen, fmt.Errorf("%s/%s has %d replicas, above maxReplicas %d", v.namespace, v.target, got, v.max)
		}
		return got >= want, seen, nil
	}
}

func replicasOf(p *int32) int32 {
	if p == nil {
		return 1 // the API server's default
	}
	return *p
}

func describeAnalysis(a *v1alpha1.CapacityAnalysis) string {
	if a == nil {
		return "lastAnalysis <none>"
	}
	return "lastAnalysis.decision=" + a.Decision
}

// stubPods returns the names of the stub's running pods.
func stubPods(ctx context.Context, namespace string) ([]string, error) {
	list, err := suite.kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: stubAppLabel + "=" + stubName})
	if err != nil {
		return nil, fmt.Errorf("listing the stub's pods: %w", err)
	}
	var names []string
	for _, p := range list.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			names = append(names, p.Name)
		}
	}
	return names, nil
}

// promQuery runs an instant query on the Prometheus of namespace through the
// API server's service proxy and returns the value of each series by its pod
// label.
func promQuery(ctx context.Context, namespace, query string) (map[string]float64, error) {
	raw, err := suite.kube.CoreV1().Services(namespace).
		ProxyGet("http", promName, strconv.Itoa(promPort), "/api/v1/query", map[string]string{"query": query}).
		DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("querying Prometheus: %w", err)
	}
	var resp struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("decoding Prometheus response %q: %w", raw, err)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("prometheus query %q: status %s: %s", query, resp.Status, resp.Error)
	}
	out := make(map[string]float64, len(resp.Data.Result))
	for _, r := range resp.Data.Result {
		s, ok := r.Value[1].(string)
		if !ok {
			return nil, fmt.Errorf("prometheus query %q: value %v is not a string", query, r.Value[1])
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("prometheus query %q: value %q: %w", query, s, err)
		}
		out[r.Metric["pod"]] = v
	}
	return out, nil
}
