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
		// Its namespace and target are set when the stub is deployed.
		v       = fixture.VA{Name: "saturated", Model: scaleUpModel, Min: 1, Max: 3}
		created fixture.Change // the VariantAutoscaling's create
	)

	feature := features.New("scale up on real metrics (Prometheus in the cluster)").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("load the stub and Prometheus images", f.ScaleUpImagesLoaded).
		WithSetup("Prometheus scraping a saturated vLLM stub", fixture.Steps(
			// The built-in thresholds (0.80 / 5 / 0.10 / 3) apply.
			f.NoConfigMap,
			f.ScrapedStubDeployed(&v, saturatedKv, nil, func(took time.Duration) {
				suite.Measure("feature 10: stub available -> scraped by Prometheus", took)
			}),
		)).
		WithSetup("the controller on Prometheus", fixture.Steps(
			f.ControllerOnPrometheusOf(&v.Namespace, scaleUpReconcileInterval),
			f.VACreated(&v, &created),
		)).
		Assess("the VariantAutoscaling reports MetricsAvailable=True and decides ScaleUp", f.VADecidesOnMetricsWithin(spec.ReconcileDeadline, &created,
			"MetricsAvailable=True and lastAnalysis.decision=ScaleUp", &v, v1alpha1.DecisionScaleUp)).
		Assess("the target is scaled from 1 to 2 replicas", f.StubReplicasWithin(scaleUpDeadline, waits.Slow, &created, "stub Deployment spec.replicas >= 2", &v, 2, func(took time.Duration) {
			suite.Measure("feature 10: VariantAutoscaling created -> target scaled 1 -> 2 on real metrics", took)
		})).
		Assess("the target stops at maxReplicas 3", fixture.Steps(
			f.StubReplicasWithin(scaleUpDeadline, waits.Slow, &created, "stub Deployment spec.replicas = 3 (maxReplicas)", &v, 3, func(took time.Duration) {
				suite.Measure("feature 10: VariantAutoscaling created -> target at maxReplicas 3", took)
			}),
			// Still saturated at 3: the controller keeps deciding; three
			// reconciles later the target has not gone above its maximum.
			stubHeldAtMax(f, &v, 3*scaleUpReconcileInterval),
		)).
		WithTeardown("restore the controller's args, delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// stubHeldAtMax is a step that fails if, at any poll during window, the
// target of *v leaves its maxReplicas or the VariantAutoscaling desires
// more.
func stubHeldAtMax(f *fixture.Fixture, v *fixture.VA, window time.Duration) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		waits.Hold(ctx, t, fmt.Sprintf("stub Deployment stays at %d replicas", v.Max), window, waits.Slow,
			func(ctx context.Context) (bool, string, error) {
				d, err := f.Suite.Kube.AppsV1().Deployments(v.Namespace).Get(ctx, v.Target, metav1.GetOptions{})
				if err != nil {
					return false, "", err
				}
				obj, err := f.GetVA(ctx, *v)
				if err != nil {
					return false, "", err
				}
				got, desired := fixture.ReplicasOf(d.Spec.Replicas), ptr.Deref(obj.Status.DesiredReplicas, -1)
				return got == v.Max && desired <= v.Max,
					fmt.Sprintf("spec.replicas=%d status.desiredReplicas=%d; %s", got, desired, fixture.DescribeAnalysis(obj.Status.LastAnalysis)), nil
			})
		return ctx
	}
}
