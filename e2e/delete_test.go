//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
)

// Feature 5: deleting the ConfigMap puts every VariantAutoscaling back on
// the built-in defaults (0.80 / 5 / 0.10 / 3), without a restart.
func TestConfigMapDeleteRestoresBuiltinDefaults(t *testing.T) {
	f := fixture.New(suite, "delete")
	var vas []fixture.VA

	feature := features.New("delete the ConfigMap: back to built-in defaults").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		WithSetup("VariantAutoscalings on a ConfigMap", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			ns := f.Namespace(ctx, t)
			vas = []fixture.VA{
				{Namespace: ns, Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
			}
			f.OnDefaultConfigMap(ctx, t, vas)
			return ctx
		}).
		Assess("after the delete every VariantAutoscaling is on the built-in defaults", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			deletedAt := time.Now()
			if err := suite.DeleteConfigMap(ctx); err != nil {
				t.Fatal(err)
			}
			took := waits.Since(ctx, t, "status.appliedConfig = builtin (0.80/5/0.10/3, no resourceVersion)", deletedAt, spec.ApplyDeadline, waits.Fast,
				f.AppliedConfigs(fixture.ExpectAll(vas, fixture.Builtin)))
			suite.Measure("feature 5: ConfigMap delete -> %d VariantAutoscalings on built-in defaults", took, len(vas))
			return ctx
		}).
		WithTeardown("delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
