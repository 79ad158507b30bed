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

// Feature 4: an invalid entry is skipped with the spec's WARN naming its key
// and the error; the valid entries of the same ConfigMap still apply.
func TestInvalidEntrySkipped(t *testing.T) {
	f := suite.newFixture("invalid")
	var (
		invalidTarget va // would match the invalid override
		validTarget   va // matches a valid override
		appliedAt     time.Time
		rv            string
	)

	feature := features.New("invalid entry skipped").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.setup).
		WithSetup("no ConfigMap", f.noConfigMap).
		WithSetup("create VariantAutoscalings", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			ns := f.namespace(ctx, t)
			invalidTarget = va{namespace: ns, name: "test-model", model: "test/model"}
			validTarget = va{namespace: ns, name: "granite", model: "ibm/granite-13b"}
			f.createVAs(ctx, t, 2, invalidTarget, validTarget)
			waitFor(ctx, t, "VariantAutoscalings on the built-in defaults", reconcileDeadline, slowPoll,
				f.appliedConfigs(expectAll([]va{invalidTarget, validTarget}, builtin)))
			return ctx
		}).
		Assess("apply a ConfigMap with one invalid entry", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			appliedAt = time.Now()
			cm, err := suite.putConfigMap(ctx, map[string]string{
				"default": defaultEntry,
				// The spec's example: kvCacheThreshold must be <= 1.0.
				"invalid-config": entry(
					"model_id: test/model",
					"namespace: "+invalidTarget.namespace,
					"kvCacheThreshold: 1.5",
				),
				"granite-override": entry(
					"model_id: ibm/granite-13b",
					"namespace: "+validTarget.namespace,
					"queueLengthThreshold: 12",
				),
			})
			if err != nil {
				t.Fatal(err)
			}
			rv = cm.ResourceVersion
			return ctx
		}).
		Assess("the invalid entry is skipped with a WARN naming its key and error", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			suite.waitLogs(ctx, t, appliedAt, applyDeadline,
				zaplog.Query{Level: levelWarn, Msg: msgInvalidEntry, Fields: map[string]string{
					"key":   "invalid-config",
					"error": "kvCacheThreshold must be between 0 and 1, got 1.50",
				}},
				// default and granite-override; not invalid-config.
				zaplog.Query{Level: levelInfo, Msg: msgCacheUpdated, Fields: map[string]string{"entries": "2", "has_default": "true"}},
			)
			return ctx
		}).
		Assess("the other entries apply", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			waitSince(ctx, t, "valid entries applied, invalid one ignored", appliedAt, applyDeadline, fastPoll,
				f.appliedConfigs(map[types.NamespacedName]v1alpha1.AppliedCapacityConfig{
					invalidTarget.key(): applied("0.70", 8, "0.20", 4, v1alpha1.ConfigSourceDefault, rv),
					validTarget.key(): inheriting(applied("0.70", 12, "0.20", 4, v1alpha1.ConfigSourceOverridePrefix+"granite-override", rv),
						"kvCacheThreshold=default,kvSpareTrigger=default,queueSpareTrigger=default"),
				}))
			return ctx
		}).
		WithTeardown("delete the ConfigMap and the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}
