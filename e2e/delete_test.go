//go:build e2e

package e2e

import (
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 5: deleting the ConfigMap puts every VariantAutoscaling back on
// the built-in defaults (0.80 / 5 / 0.10 / 3), without a restart.
func TestConfigMapDeleteRestoresBuiltinDefaults(t *testing.T) {
	f := fixture.New(suite, "delete")
	var (
		vas     []fixture.VA
		deleted fixture.Change // the ConfigMap's delete
	)

	feature := features.New("delete the ConfigMap: back to built-in defaults").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		WithSetup("VariantAutoscalings on a ConfigMap", f.VAsOnDefaultConfigMap(&vas, nil, func(ns string) []fixture.VA {
			return []fixture.VA{
				{Namespace: ns, Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
			}
		})).
		Assess("after the delete every VariantAutoscaling is on the built-in defaults", fixture.Steps(
			f.ConfigMapDeleted(&deleted),
			f.VAsApplyConfigWithin(spec.ApplyDeadline, waits.Fast, &deleted, "status.appliedConfig = builtin (0.80/5/0.10/3, no resourceVersion)",
				fixture.All(&vas, func() v1alpha1.AppliedCapacityConfig { return fixture.Builtin }),
				func(took time.Duration) {
					suite.Measure("feature 5: ConfigMap delete -> %d VariantAutoscalings on built-in defaults", took, len(vas))
				}),
		)).
		WithTeardown("delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
