//go:build e2e

package e2e

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 4: an invalid entry is skipped with the spec's WARN naming its key
// and the error; the valid entries of the same ConfigMap still apply.
func TestInvalidEntrySkipped(t *testing.T) {
	f := fixture.New(suite, "invalid")
	var (
		vas     []fixture.VA // the one the invalid override would match, then one a valid override matches
		applied fixture.Change
	)
	invalidTarget := func() fixture.VA { return vas[0] }
	validTarget := func() fixture.VA { return vas[1] }

	feature := features.New("invalid entry skipped").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		WithSetup("create VariantAutoscalings", f.VAsOnBuiltin(&vas, 1, func(ns []string) []fixture.VA {
			return []fixture.VA{
				{Namespace: ns[0], Name: "test-model", Model: "test/model"},
				{Namespace: ns[0], Name: "granite", Model: "ibm/granite-13b"},
			}
		})).
		Assess("apply a ConfigMap with one invalid entry", f.ConfigMapPutOf(&applied, func() map[string]string {
			return map[string]string{
				"default": fixture.DefaultEntry,
				// The spec's example: kvCacheThreshold must be <= 1.0.
				"invalid-config": fixture.Entry(
					"model_id: test/model",
					"namespace: "+invalidTarget().Namespace,
					"kvCacheThreshold: 1.5",
				),
				"granite-override": fixture.Entry(
					"model_id: ibm/granite-13b",
					"namespace: "+validTarget().Namespace,
					"queueLengthThreshold: 12",
				),
			}
		})).
		Assess("the invalid entry is skipped with a WARN naming its key and error", f.ControllerLogsWithin(spec.ApplyDeadline, &applied, nil,
			zaplog.Query{Level: spec.LevelWarn, Msg: spec.MsgInvalidEntry, Fields: map[string]string{
				"key":   "invalid-config",
				"error": "kvCacheThreshold must be between 0 and 1, got 1.50",
			}},
			// default and granite-override; not invalid-config.
			zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgCacheUpdated, Fields: map[string]string{"entries": "2", "has_default": "true"}},
		)).
		Assess("the other entries apply", f.VAsApplyConfigWithin(spec.ApplyDeadline, waits.Fast, &applied,
			"valid entries applied, invalid one ignored",
			func() map[types.NamespacedName]v1alpha1.AppliedCapacityConfig {
				rv := applied.ResourceVersion
				return map[types.NamespacedName]v1alpha1.AppliedCapacityConfig{
					invalidTarget().Key(): fixture.Applied("0.70", 8, "0.20", 4, v1alpha1.ConfigSourceDefault, rv),
					validTarget().Key(): fixture.Inheriting(fixture.Applied("0.70", 12, "0.20", 4, v1alpha1.ConfigSourceOverridePrefix+"granite-override", rv),
						"kvCacheThreshold=default,kvSpareTrigger=default,queueSpareTrigger=default"),
				}
			}, nil)).
		WithTeardown("delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
