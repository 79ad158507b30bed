//go:build e2e

package e2e

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/pkg/features"

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
	const (
		target   = "granite-l4"
		replicas = 2
		// unscaledFor is watched on top of the first reconcile for a late
		// /scale write.
		unscaledFor = 5 * time.Second
	)
	var (
		ns         string
		vas        []fixture.VA
		created    fixture.Change
		generation int64 // of the target, once rolled out
	)

	feature := features.New("no Prometheus: no metrics, no scaling").
		WithLabel("area", "scaling").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("a namespace", f.NamespaceCreated(&ns)).
		WithSetup("a running Deployment", f.DeploymentAvailableWithin(spec.RolloutDeadline, &ns, target, replicas, &generation)).
		// min < replicas < max: any scaling decision could act.
		WithSetup("a VariantAutoscaling of it", f.VAsCreated(&created, &vas, 0, 0, func([]string) []fixture.VA {
			return []fixture.VA{{Namespace: ns, Name: target, Model: "ibm/granite-13b", Target: target, Min: 1, Max: 4}}
		})).
		Assess("the VariantAutoscaling reports MetricsAvailable=False with a reason", f.VAsShowConditionsWithin(spec.ReconcileDeadline, waits.Slow,
			func() map[types.NamespacedName][]fixture.ConditionWant {
				return map[types.NamespacedName][]fixture.ConditionWant{vas[0].Key(): {
					{Type: v1alpha1.ConditionTargetResolved, Status: metav1.ConditionTrue},
					{Type: v1alpha1.ConditionMetricsAvailable, Status: metav1.ConditionFalse},
				}}
			})).
		// The controller has reconciled the VariantAutoscaling (above) and
		// would have scaled by now.
		Assess("the target's replicas are not changed", f.DeploymentUnscaledFor(unscaledFor, &ns, target, replicas, &generation)).
		WithTeardown("delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
