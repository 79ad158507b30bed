//go:build e2e

package e2e

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 1: without the ConfigMap the controller says so at startup (WARN)
// and every VariantAutoscaling runs on the built-in defaults.
func TestBuiltinDefaultsWithoutConfigMap(t *testing.T) {
	f := fixture.New(suite, "builtin")
	var (
		vas     []fixture.VA
		created fixture.Change // the VariantAutoscaling's create
		// startup is the zero change: the running pod's whole log, where
		// the WARN is written at its start.
		startup fixture.Change
	)

	feature := features.New("no ConfigMap: built-in defaults").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("controller started without the ConfigMap", f.ControllerStartedWithoutConfigMap).
		WithSetup("create a VariantAutoscaling", f.VAsCreated(&created, &vas, 1, 0, func(ns []string) []fixture.VA {
			return []fixture.VA{{Namespace: ns[0], Name: "granite", Model: "ibm/granite-13b"}}
		})).
		Assess("the startup log has the not-found WARN", f.ControllerLogsWithin(spec.ReconcileDeadline, &startup, nil, zaplog.Query{
			Level: spec.LevelWarn,
			Msg:   spec.MsgNotFound,
			Fields: map[string]string{
				"configmap": manifests.ConfigMapName,
				"namespace": manifests.Namespace,
			},
		})).
		Assess("the VariantAutoscaling reports the built-in defaults", fixture.Steps(
			f.VAsApplyConfigWithin(spec.ReconcileDeadline, waits.Slow, &created, "status.appliedConfig = builtin",
				fixture.AllBuiltin(&vas), nil),
			f.VAsShowConditionsWithin(spec.ApplyDeadline, waits.Slow, func() map[types.NamespacedName][]fixture.ConditionWant {
				return map[types.NamespacedName][]fixture.ConditionWant{vas[0].Key(): {
					{Type: v1alpha1.ConditionConfigResolved, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonConfigBuiltin},
				}}
			}),
		)).
		WithTeardown("delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
