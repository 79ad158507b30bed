//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
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
	var v fixture.VA

	feature := features.New("no ConfigMap: built-in defaults").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("controller started without the ConfigMap", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// The one dependency on history: the WARN is logged only by a
			// controller that starts without the ConfigMap. The suite
			// deploys it that way, but another feature may have created the
			// ConfigMap or restarted the controller while it existed; then
			// delete it and restart the controller (scale 0 -> 1), so that
			// this feature passes in any order.
			exists, err := suite.ConfigMapExists(ctx)
			if err != nil {
				t.Fatal(err)
			}
			suite.Mu.Lock()
			startedWith := suite.StartedWithConfigMap
			suite.Mu.Unlock()
			if !exists && !startedWith {
				return ctx
			}
			t.Logf("ConfigMap exists: %t, controller started with it: %t: deleting it and restarting the controller", exists, startedWith)
			if err := suite.DeleteConfigMap(ctx); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := suite.RestartController(ctx, spec.RolloutDeadline); err != nil {
				t.Fatal(err)
			}
			t.Logf("controller restarted in %s", time.Since(start).Round(time.Millisecond))
			return ctx
		}).
		WithSetup("create a VariantAutoscaling", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			v = fixture.VA{Namespace: f.Namespace(ctx, t), Name: "granite", Model: "ibm/granite-13b"}
			if err := f.CreateVA(ctx, v); err != nil {
				t.Fatal(err)
			}
			return ctx
		}).
		Assess("the startup log has the not-found WARN", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// The whole log of the running pod: the line is written at startup.
			suite.WaitLogs(ctx, t, time.Time{}, spec.ReconcileDeadline, zaplog.Query{
				Level: spec.LevelWarn,
				Msg:   spec.MsgNotFound,
				Fields: map[string]string{
					"configmap": manifests.ConfigMapName,
					"namespace": manifests.Namespace,
				},
			})
			return ctx
		}).
		Assess("the VariantAutoscaling reports the built-in defaults", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			waits.For(ctx, t, "status.appliedConfig = builtin", spec.ReconcileDeadline, waits.Slow,
				f.AppliedConfigs(map[types.NamespacedName]v1alpha1.AppliedCapacityConfig{v.Key(): fixture.Builtin}))
			vas, err := f.ListVAs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c := fixture.Condition(vas[v.Key()], v1alpha1.ConditionConfigResolved)
			if c == nil || c.Status != "True" || c.Reason != v1alpha1.ReasonConfigBuiltin {
				t.Errorf("condition ConfigResolved: got %s, want True with reason %s", fixture.DescribeCondition(c), v1alpha1.ReasonConfigBuiltin)
			}
			return ctx
		}).
		WithTeardown("delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
