//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 3: a per-model override reaches only the VariantAutoscaling whose
// modelID and namespace both match; a partial override inherits the fields
// it does not set from the default entry.
func TestPerModelOverride(t *testing.T) {
	f := suite.newFixture("override")
	var (
		matching   va // modelID and namespace of the full override
		otherNS    va // same modelID, another namespace
		otherModel va // same namespace, another modelID
		partial    va // matches the partial override
		appliedAt  time.Time
		rv         string
	)

	feature := features.New("per-model override").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.setup).
		WithSetup("no ConfigMap", f.noConfigMap).
		WithSetup("create VariantAutoscalings in two namespaces", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			nsA, nsB := f.namespace(ctx, t), f.namespace(ctx, t)
			matching = va{namespace: nsA, name: "granite", model: "ibm/granite-13b"}
			otherNS = va{namespace: nsB, name: "granite", model: "ibm/granite-13b"}
			otherModel = va{namespace: nsA, name: "llama", model: "meta/llama-70b"}
			partial = va{namespace: nsA, name: "mistral", model: "mistralai/mistral-7b"}
			all := []va{matching, otherNS, otherModel, partial}
			f.createVAs(ctx, t, len(all), all...)
			waitFor(ctx, t, "VariantAutoscalings on the built-in defaults", reconcileDeadline, slowPoll, f.appliedConfigs(expectAll(all, builtin)))
			return ctx
		}).
		Assess("apply a default, a full override and a partial override", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			appliedAt = time.Now()
			cm, err := suite.putConfigMap(ctx, map[string]string{
				"default": defaultEntry,
				"granite-a": entry(
					"model_id: ibm/granite-13b",
					"namespace: "+matching.namespace,
					"kvCacheThreshold: 0.90",
					"queueLengthThreshold: 20",
					"kvSpareTrigger: 0.05",
					"queueSpareTrigger: 10",
				),
				"mistral-a": entry(
					"model_id: mistralai/mistral-7b",
					"namespace: "+partial.namespace,
					"kvCacheThreshold: 0.95",
				),
			})
			if err != nil {
				t.Fatal(err)
			}
			rv = cm.ResourceVersion
			return ctx
		}).
		Assess("only the matching VariantAutoscalings get the overrides", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			def := applied("0.70", 8, "0.20", 4, v1alpha1.ConfigSourceDefault, rv)
			waitSince(ctx, t, "overrides applied to matching VariantAutoscalings only", appliedAt, applyDeadline, fastPoll,
				f.appliedConfigs(map[types.NamespacedName]v1alpha1.AppliedCapacityConfig{
					matching.key():   applied("0.90", 20, "0.05", 10, v1alpha1.ConfigSourceOverridePrefix+"granite-a", rv),
					otherNS.key():    def,
					otherModel.key(): def,
					// Only kvCacheThreshold is set; the rest comes from default.
					partial.key(): inheriting(applied("0.95", 8, "0.20", 4, v1alpha1.ConfigSourceOverridePrefix+"mistral-a", rv),
						"queueLengthThreshold=default,kvSpareTrigger=default,queueSpareTrigger=default"),
				}))
			got, err := f.listVAs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for v, reason := range map[va]string{
				matching:   v1alpha1.ReasonConfigOverride,
				partial:    v1alpha1.ReasonConfigOverride,
				otherNS:    v1alpha1.ReasonConfigDefault,
				otherModel: v1alpha1.ReasonConfigDefault,
			} {
				c := condition(got[v.key()], v1alpha1.ConditionConfigResolved)
				if c == nil || c.Status != "True" || c.Reason != reason {
					t.Errorf("%s: condition ConfigResolved: got %s, want True with reason %s", v.key(), describeCondition(c), reason)
				}
			}
			return ctx
		}).
		Assess("the override is logged at DEBUG for the matching model and namespace", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// The kind overlay runs the controller with debug logs.
			suite.waitLogs(ctx, t, appliedAt, applyDeadline, zaplog.Query{
				Level: levelDebug,
				Msg:   msgAppliedOverride,
				Fields: map[string]string{
					"key": "granite-a", "modelID": matching.model, "namespace": matching.namespace,
				},
			})
			pod, err := suite.currentControllerPod(ctx)
			if err != nil {
				t.Fatal(err)
			}
			entries, err := suite.controllerLog(ctx, pod.Name, appliedAt)
			if err != nil {
				t.Fatal(err)
			}
			for _, wrong := range []va{otherNS, otherModel} {
				q := zaplog.Query{Msg: msgAppliedOverride, Fields: map[string]string{"modelID": wrong.model, "namespace": wrong.namespace}}
				if e, found := zaplog.First(entries, q); found {
					t.Errorf("override logged for %s, which no override matches: %s", wrong.key(), e)
				}
			}
			return ctx
		}).
		WithTeardown("delete the ConfigMap and the namespaces", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}
