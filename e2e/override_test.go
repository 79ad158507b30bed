//go:build e2e

package e2e

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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
			f.VAsShowConditionsWithin(spec.ApplyDeadline, waits.Fast, func() map[types.NamespacedName][]fixture.ConditionWant {
				resolved := func(reason string) []fixture.ConditionWant {
					return []fixture.ConditionWant{{Type: v1alpha1.ConditionConfigResolved, Status: metav1.ConditionTrue, Reason: reason}}
				}
				return map[types.NamespacedName][]fixture.ConditionWant{
					matching().Key():   resolved(v1alpha1.ReasonConfigOverride),
					partial().Key():    resolved(v1alpha1.ReasonConfigOverride),
					otherNS().Key():    resolved(v1alpha1.ReasonConfigDefault),
					otherModel().Key(): resolved(v1alpha1.ReasonConfigDefault),
				}
			}),
		)).
		// The kind overlay runs the controller with debug logs.
		Assess("the override is logged at DEBUG for the matching model and namespace", fixture.Steps(
			f.ControllerLogsOfWithin(spec.ApplyDeadline, &applied, nil, func() []zaplog.Query {
				return []zaplog.Query{{
					Level:  spec.LevelDebug,
					Msg:    spec.MsgAppliedOverride,
					Fields: map[string]string{"key": "granite-a", "modelID": matching().Model, "namespace": matching().Namespace},
				}}
			}),
			f.ControllerLogLacksAny(&applied, func() []zaplog.Query {
				var qs []zaplog.Query
				for _, wrong := range []fixture.VA{otherNS(), otherModel()} {
					qs = append(qs, zaplog.Query{Msg: spec.MsgAppliedOverride, Fields: map[string]string{"modelID": wrong.Model, "namespace": wrong.Namespace}})
				}
				return qs
			}),
		)).
		WithTeardown("delete the ConfigMap and the namespaces", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
