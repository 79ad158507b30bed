//go:build e2e

package e2e

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 3: a per-model override reaches only the VariantAutoscaling whose
// modelID and namespace both match; a partial override inherits the fields
// it does not set from the default entry.
func TestPerModelOverride(t *testing.T) {
	f := fixture.New(suite, "override")
	var (
		vas     []fixture.VA // matching, otherNS, otherModel, partial
		applied fixture.Change
	)
	// matching has the modelID and namespace of the full override; otherNS
	// the same modelID in another namespace; otherModel the same namespace
	// and another modelID; partial matches the partial override.
	matching, otherNS, otherModel, partial := func() fixture.VA { return vas[0] }, func() fixture.VA { return vas[1] },
		func() fixture.VA { return vas[2] }, func() fixture.VA { return vas[3] }

	feature := features.New("per-model override").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		WithSetup("create VariantAutoscalings in two namespaces", f.VAsOnBuiltin(&vas, 2, func(ns []string) []fixture.VA {
			return []fixture.VA{
				{Namespace: ns[0], Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns[1], Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns[0], Name: "llama", Model: "meta/llama-70b"},
				{Namespace: ns[0], Name: "mistral", Model: "mistralai/mistral-7b"},
			}
		})).
		Assess("apply a default, a full override and a partial override", f.ConfigMapPutOf(&applied, func() map[string]string {
			return map[string]string{
				"default": fixture.DefaultEntry,
				"granite-a": fixture.Entry(
					"model_id: ibm/granite-13b",
					"namespace: "+matching().Namespace,
					"kvCacheThreshold: 0.90",
					"queueLengthThreshold: 20",
					"kvSpareTrigger: 0.05",
					"queueSpareTrigger: 10",
				),
				"mistral-a": fixture.Entry(
					"model_id: mistralai/mistral-7b",
					"namespace: "+partial().Namespace,
					"kvCacheThreshold: 0.95",
				),
			}
		})).
		Assess("only the matching VariantAutoscalings get the overrides", fixture.Steps(
			f.VAsApplyConfigWithin(spec.ApplyDeadline, waits.Fast, &applied, "overrides applied to matching VariantAutoscalings only",
				func() map[types.NamespacedName]v1alpha1.AppliedCapacityConfig {
					rv := applied.ResourceVersion
					def := fixture.Applied("0.70", 8, "0.20", 4, v1alpha1.ConfigSourceDefault, rv)
					return map[types.NamespacedName]v1alpha1.AppliedCapacityConfig{
						matching().Key():   fixture.Applied("0.90", 20, "0.05", 10, v1alpha1.ConfigSourceOverridePrefix+"granite-a", rv),
						otherNS().Key():    def,
						otherModel().Key(): def,
						// Only kvCacheThreshold is set; the rest comes from default.
						partial().Key(): fixture.Inheriting(fixture.Applied("0.95", 8, "0.20", 4, v1alpha1.ConfigSourceOverridePrefix+"mistral-a", rv),
							"queueLengthThreshold=default,kvSpareTrigger=default,queueSpareTrigger=default"),
					}
				}, nil),
			func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
				got, err := f.ListVAs(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for v, reason := range map[fixture.VA]string{
					matching():   v1alpha1.ReasonConfigOverride,
					partial():    v1alpha1.ReasonConfigOverride,
					otherNS():    v1alpha1.ReasonConfigDefault,
					otherModel(): v1alpha1.ReasonConfigDefault,
				} {
					c := fixture.Condition(got[v.Key()], v1alpha1.ConditionConfigResolved)
					if c == nil || c.Status != "True" || c.Reason != reason {
						t.Errorf("%s: condition ConfigResolved: got %s, want True with reason %s", v.Key(), fixture.DescribeCondition(c), reason)
					}
				}
				return ctx
			},
		)).
		Assess("the override is logged at DEBUG for the matching model and namespace", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// The kind overlay runs the controller with debug logs.
			suite.WaitLogs(ctx, t, applied.At, spec.ApplyDeadline, zaplog.Query{
				Level: spec.LevelDebug,
				Msg:   spec.MsgAppliedOverride,
				Fields: map[string]string{
					"key": "granite-a", "modelID": matching().Model, "namespace": matching().Namespace,
				},
			})
			pod, err := suite.CurrentControllerPod(ctx)
			if err != nil {
				t.Fatal(err)
			}
			entries, err := suite.ControllerLog(ctx, pod.Name, applied.At)
			if err != nil {
				t.Fatal(err)
			}
			for _, wrong := range []fixture.VA{otherNS(), otherModel()} {
				q := zaplog.Query{Msg: spec.MsgAppliedOverride, Fields: map[string]string{"modelID": wrong.Model, "namespace": wrong.Namespace}}
				if e, found := zaplog.First(entries, q); found {
					t.Errorf("override logged for %s, which no override matches: %s", wrong.Key(), e)
				}
			}
			return ctx
		}).
		WithTeardown("delete the ConfigMap and the namespaces", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
