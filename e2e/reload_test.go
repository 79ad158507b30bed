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
	"github.com/wva-project/wva/e2e/internal/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 2: applying the ConfigMap is logged within 2 s (changed, cache
// updated, reconciliation triggered) and reaches every VariantAutoscaling's
// status within 5 s, including one whose target Deployment does not exist.
func TestConfigMapApplyReachesEveryVA(t *testing.T) {
	f := fixture.New(suite, "reload")
	var (
		ns       string
		vas      []fixture.VA
		noTarget fixture.VA
		created  fixture.Change // the VariantAutoscalings' creates
		applied  fixture.Change // the ConfigMap's creation
	)

	feature := features.New("apply the ConfigMap: hot reload").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		WithSetup("a namespace", f.NamespaceCreated(&ns)).
		WithSetup("a running target Deployment", f.DeploymentAvailableWithin(spec.RolloutDeadline, &ns, "granite-l4", 1, nil)).
		WithSetup("create VariantAutoscalings, one with a running target", f.VAsCreated(&created, &vas, 0, 0, func([]string) []fixture.VA {
			noTarget = fixture.VA{Namespace: ns, Name: "granite-a100", Model: "ibm/granite-13b", Target: "does-not-exist"}
			return []fixture.VA{
				{Namespace: ns, Name: "granite-l4", Model: "ibm/granite-13b", Target: "granite-l4"},
				noTarget,
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
			}
		})).
		// Reconciled once on the built-in defaults, so that what follows
		// measures the reload, not a first reconcile.
		WithSetup("the VariantAutoscalings on the built-in defaults", f.VAsApplyConfigWithin(spec.ReconcileDeadline, waits.Slow, &created,
			"VariantAutoscalings on the built-in defaults", fixture.AllBuiltin(&vas), nil)).
		Assess("the reload is logged within 2s", fixture.Steps(
			f.ConfigMapPut(&applied, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.75",
				"queueLengthThreshold: 10",
				"kvSpareTrigger: 0.15",
				"queueSpareTrigger: 5",
			)}),
			f.ControllerLogsWithin(spec.ReloadLogDeadline, &applied, func(t *testing.T, lines []zaplog.Entry) {
				logged := fixture.CheckReloadLines(t, lines, applied.At, len(vas))
				suite.Measure("feature 2: ConfigMap create -> reload logged (runtime timestamps)", logged)
			}, fixture.ReloadQueries()...),
		)).
		Assess("every VariantAutoscaling shows the new resourceVersion and values within 5s", f.VAsApplyConfigWithin(spec.ApplyDeadline, waits.Fast, &applied,
			"status.appliedConfig at the new resourceVersion",
			fixture.All(&vas, func() v1alpha1.AppliedCapacityConfig {
				return fixture.Applied("0.75", 10, "0.15", 5, v1alpha1.ConfigSourceDefault, applied.ResourceVersion)
			}),
			func(took time.Duration) {
				suite.Measure("feature 2: ConfigMap create -> %d VariantAutoscalings updated", took, len(vas))
			})).
		Assess("the VariantAutoscaling without a target says so", f.VAsShowConditionsWithin(spec.ApplyDeadline, waits.Fast,
			func() map[types.NamespacedName][]fixture.ConditionWant {
				return map[types.NamespacedName][]fixture.ConditionWant{noTarget.Key(): {
					{Type: v1alpha1.ConditionTargetResolved, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonTargetNotFound},
				}}
			})).
		WithTeardown("delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
