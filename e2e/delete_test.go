//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// Feature 5: deleting the ConfigMap puts every VariantAutoscaling back on
// the built-in defaults (0.80 / 5 / 0.10 / 3), without a restart.
func TestConfigMapDeleteRestoresBuiltinDefaults(t *testing.T) {
	f := suite.newFixture("delete")
	var vas []va

	feature := features.New("delete the ConfigMap: back to built-in defaults").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.setup).
		WithSetup("no ConfigMap", f.noConfigMap).
		WithSetup("VariantAutoscalings on a ConfigMap", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			ns := f.namespace(ctx, t)
			vas = []va{
				{namespace: ns, name: "granite", model: "ibm/granite-13b"},
				{namespace: ns, name: "llama", model: "meta/llama-70b"},
			}
			f.onDefaultConfigMap(ctx, t, vas)
			return ctx
		}).
		Assess("after the delete every VariantAutoscaling is on the built-in defaults", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			deletedAt := time.Now()
			if err := suite.deleteConfigMap(ctx); err != nil {
				t.Fatal(err)
			}
			took := waitSince(ctx, t, "status.appliedConfig = builtin (0.80/5/0.10/3, no resourceVersion)", deletedAt, applyDeadline, fastPoll,
				f.appliedConfigs(expectAll(vas, builtin)))
			suite.measure("feature 5: ConfigMap delete -> %d VariantAutoscalings on built-in defaults", took, len(vas))
			return ctx
		}).
		WithTeardown("delete the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}
