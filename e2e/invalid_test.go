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
		invalidTarget fixture.VA // would match the invalid override
		validTarget   fixture.VA // matches a valid override
		appliedAt     time.Time
		rv            string
	)

	feature := features.New("invalid entry skipped").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		WithSetup("create VariantAutoscalings", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			ns := f.Namespace(ctx, t)
			invalidTarget = fixture.VA{Namespace: ns, Name: "test-model", Model: "test/model"}
			validTarget = fixture.VA{Namespace: ns, Name: "granite", Model: "ibm/granite-13b"}
			f.CreateVAs(ctx, t, 2, invalidTarget, validTarget)
			waits.For(ctx, t, "VariantAutoscalings on the built-in defaults", spec.ReconcileDeadline, waits.Slow,
				f.AppliedConfigs(fixture.ExpectAll([]fixture.VA{invalidTarget, validTarget}, fixture.Builtin)))
			return ctx
		}).
		Assess("apply a ConfigMap with one invalid entry", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			appliedAt = time.Now()
			cm, err := suite.PutConfigMap(ctx, map[string]string{
				"default": fixture.DefaultEntry,
				// The spec's example: kvCacheThreshold must be <= 1.0.
				"invalid-config": fixture.Entry(
					"model_id: test/model",
					"namespace: "+invalidTarget.Namespace,
					"kvCacheThreshold: 1.5",
				),
				"granite-override": fixture.Entry(
					"model_id: ibm/granite-13b",
					"namespace: "+validTarget.Namespace,
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
			suite.WaitLogs(ctx, t, appliedAt, spec.ApplyDeadline,
				zaplog.Query{Level: spec.LevelWarn, Msg: spec.MsgInvalidEntry, Fields: map[string]string{
					"key":   "invalid-config",
					"error": "kvCacheThreshold must be between 0 and 1, got 1.50",
				}},
				// default and granite-override; not invalid-config.
				zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgCacheUpdated, Fields: map[string]string{"entries": "2", "has_default": "true"}},
			)
			return ctx
		}).
		Assess("the other entries apply", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			waits.Since(ctx, t, "valid entries applied, invalid one ignored", appliedAt, spec.ApplyDeadline, waits.Fast,
				f.AppliedConfigs(map[types.NamespacedName]v1alpha1.AppliedCapacityConfig{
					invalidTarget.Key(): fixture.Applied("0.70", 8, "0.20", 4, v1alpha1.ConfigSourceDefault, rv),
					validTarget.Key(): fixture.Inheriting(fixture.Applied("0.70", 12, "0.20", 4, v1alpha1.ConfigSourceOverridePrefix+"granite-override", rv),
						"kvCacheThreshold=default,kvSpareTrigger=default,queueSpareTrigger=default"),
				}))
			return ctx
		}).
		WithTeardown("delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
