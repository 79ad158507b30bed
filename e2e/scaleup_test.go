//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Deadlines and settings of feature 10.
const (
	// scaleUpDeadline: from the VariantAutoscaling's creation, the
	// saturated target is scaled to 2 replicas (and on to its maximum 3).
	scaleUpDeadline = 90 * time.Second
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
	f := fixture.New(suite, "scaleup")
	var (
		v         fixture.VA
		createdAt time.Time // of the VariantAutoscaling
	)

	feature := features.New("scale up on real metrics (Prometheus in the cluster)").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("load the stub and Prometheus images", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			suite.LoadScaleUpImages(ctx, t)
			return ctx
		}).
		WithSetup("Prometheus scraping a saturated vLLM stub", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// The built-in thresholds (0.80 / 5 / 0.10 / 3) apply.
			f.WithoutConfigMap(ctx, t)
			ns := f.Namespace(ctx, t)
			took := fixture.DeployScrapedStub(ctx, t, suite, ns, scaleUpModel, saturatedKv)
			suite.Measure("feature 10: stub available -> scraped by Prometheus", took)
			v = fixture.VA{Namespace: ns, Name: "saturated", Model: scaleUpModel, Target: fixture.StubName, Min: 1, Max: 3}
			return ctx
		}).
		WithSetup("the controller on Prometheus", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			f.ControllerOnPrometheus(ctx, t, v.Namespace, scaleUpReconcileInterval)
			if err := f.CreateVA(ctx, v); err != nil {
				t.Fatal(err)
			}
			createdAt = time.Now()
			return ctx
		}).
		Assess("the VariantAutoscaling reports MetricsAvailable=True and decides ScaleUp", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			waits.Since(ctx, t, "MetricsAvailable=True and lastAnalysis.decision=ScaleUp", createdAt, spec.ReconcileDeadline, waits.Fast,
				func(ctx context.Context) (bool, string, error) {
					obj, err := f.GetVA(ctx, v)
					if err != nil {
						return false, err.Error(), nil
					}
					metrics := fixture.Condition(obj, v1alpha1.ConditionMetricsAvailable)
					ok := metrics != nil && metrics.Status == metav1.ConditionTrue &&
						!obj.Status.LastAnalysis.IsZero() && obj.Status.LastAnalysis.Decision == v1alpha1.DecisionScaleUp
					return ok, fixture.DescribeCondition(metrics) + "; " + fixture.DescribeAnalysis(obj.Status.LastAnalysis), nil
				})
			return ctx
		}).
		Assess("the target is scaled from 1 to 2 replicas", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			took := waits.Since(ctx, t, "stub Deployment spec.replicas >= 2", createdAt, scaleUpDeadline, waits.Slow, fixture.StubReplicas(suite, v, 2))
			suite.Measure("feature 10: VariantAutoscaling created -> target scaled 1 -> 2 on real metrics", took)
			return ctx
		}).
		Assess("the target stops at maxReplicas 3", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			took := waits.Since(ctx, t, "stub Deployment spec.replicas = 3 (maxReplicas)", createdAt, scaleUpDeadline, waits.Slow, fixture.StubReplicas(suite, v, 3))
			suite.Measure("feature 10: VariantAutoscaling created -> target at maxReplicas 3", took)
			// Still saturated at 3: the controller keeps deciding; three
			// reconciles later the target has not gone above its maximum.
			waits.Hold(ctx, t, "stub Deployment stays at 3 replicas", 3*scaleUpReconcileInterval, waits.Slow,
				func(ctx context.Context) (bool, string, error) {
					d, err := suite.Kube.AppsV1().Deployments(v.Namespace).Get(ctx, v.Target, metav1.GetOptions{})
					if err != nil {
						return false, "", err
					}
					obj, err := f.GetVA(ctx, v)
					if err != nil {
						return false, "", err
					}
					got := fixture.ReplicasOf(d.Spec.Replicas)
					return got == 3 && ptr.Deref(obj.Status.DesiredReplicas, -1) <= 3,
						fmt.Sprintf("spec.replicas=%d status.desiredReplicas=%d; %s", got, ptr.Deref(obj.Status.DesiredReplicas, -1), fixture.DescribeAnalysis(obj.Status.LastAnalysis)), nil
				})
			return ctx
		}).
		WithTeardown("restore the controller's args, delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
