//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 8: without Prometheus (the kind overlay sets no --prometheus-url),
// a VariantAutoscaling of a running Deployment reports that it has no
// metrics, and the controller leaves the Deployment's replicas alone.
func TestNoMetricsNoScaling(t *testing.T) {
	f := fixture.New(suite, "nometrics")
	const replicas = 2
	var (
		v          fixture.VA
		generation int64 // of the target, once rolled out
	)

	feature := features.New("no Prometheus: no metrics, no scaling").
		WithLabel("area", "scaling").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("a running Deployment", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			ns := f.Namespace(ctx, t)
			d := fixture.PauseDeployment(ns, "granite-l4", replicas)
			if _, err := suite.Kube.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{FieldManager: cluster.FieldManager}); err != nil {
				t.Fatalf("creating Deployment: %v", err)
			}
			took, err := apply.WaitDeploymentAvailable(ctx, suite.Kube, ns, d.Name, spec.RolloutDeadline, waits.Slow)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("Deployment %s/%s available with %d replicas after %s", ns, d.Name, replicas, took.Round(time.Millisecond))
			cur, err := suite.Kube.AppsV1().Deployments(ns).Get(ctx, d.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			generation = cur.Generation
			// min < replicas < max: any scaling decision could act.
			v = fixture.VA{Namespace: ns, Name: "granite-l4", Model: "ibm/granite-13b", Target: d.Name, Min: 1, Max: 4}
			if err := f.CreateVA(ctx, v); err != nil {
				t.Fatal(err)
			}
			return ctx
		}).
		Assess("the VariantAutoscaling reports MetricsAvailable=False with a reason", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			waits.For(ctx, t, "conditions TargetResolved=True and MetricsAvailable=False", spec.ReconcileDeadline, waits.Slow,
				func(ctx context.Context) (bool, string, error) {
					vas, err := f.ListVAs(ctx)
					if err != nil {
						return false, err.Error(), nil
					}
					obj := vas[v.Key()]
					target := fixture.Condition(obj, v1alpha1.ConditionTargetResolved)
					metrics := fixture.Condition(obj, v1alpha1.ConditionMetricsAvailable)
					ok := target != nil && target.Status == metav1.ConditionTrue &&
						metrics != nil && metrics.Status == metav1.ConditionFalse && metrics.Reason != "" &&
						metrics.ObservedGeneration == obj.Generation
					return ok, fixture.DescribeCondition(target) + "; " + fixture.DescribeCondition(metrics), nil
				})
			return ctx
		}).
		Assess("the target's replicas are not changed", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// The controller has reconciled the VariantAutoscaling (above)
			// and would have scaled by now; watch a bounded window on top
			// for a late /scale write, which would change both fields.
			waits.Hold(ctx, t, "Deployment keeps its replicas and generation", 5*time.Second, waits.Slow,
				func(ctx context.Context) (bool, string, error) {
					d, err := suite.Kube.AppsV1().Deployments(v.Namespace).Get(ctx, v.Target, metav1.GetOptions{})
					if err != nil {
						return false, "", err
					}
					got := int32(-1)
					if d.Spec.Replicas != nil {
						got = *d.Spec.Replicas
					}
					return got == replicas && d.Generation == generation,
						fmt.Sprintf("spec.replicas=%d generation=%d (want %d, %d)", got, d.Generation, replicas, generation), nil
				})
			return ctx
		}).
		WithTeardown("delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
