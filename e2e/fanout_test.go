//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Fan-out shape: 200 VariantAutoscalings over 4 namespaces, 5 models each.
const (
	fanOutNamespaces   = 4
	fanOutPerNamespace = 50
	fanOutModels       = 5
	// fanOutParallel bounds the creates in flight.
	fanOutParallel = 16
)

// Feature 6: one ConfigMap update reaches 200 VariantAutoscalings across
// several namespaces within 10 s.
func TestFanOutToManyVAs(t *testing.T) {
	f := fixture.New(suite, "fanout")
	var vas []fixture.VA

	feature := features.New("fan-out to 200 VariantAutoscalings").
		WithLabel("area", "reload").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("a ConfigMap", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			f.WithoutConfigMap(ctx, t)
			return ctx
		}).
		WithSetup("create 200 VariantAutoscalings on it", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			cm, err := suite.PutConfigMap(ctx, map[string]string{"default": fixture.DefaultEntry})
			if err != nil {
				t.Fatal(err)
			}
			for range fanOutNamespaces {
				ns := f.Namespace(ctx, t)
				for i := range fanOutPerNamespace {
					vas = append(vas, fixture.VA{
						Namespace: ns,
						Name:      fmt.Sprintf("variant-%03d", i),
						Model:     fmt.Sprintf("org/model-%d", i%fanOutModels),
					})
				}
			}
			start := time.Now()
			f.CreateVAs(ctx, t, fanOutParallel, vas...)
			took := waits.Since(ctx, t, fmt.Sprintf("%d VariantAutoscalings reconciled", len(vas)), start, 2*time.Minute, waits.Slow,
				f.AppliedConfigs(fixture.ExpectAll(vas, fixture.Applied("0.70", 8, "0.20", 4, v1alpha1.ConfigSourceDefault, cm.ResourceVersion))))
			suite.Measure("feature 6: create + first reconcile of %d VariantAutoscalings", took, len(vas))
			return ctx
		}).
		Assess("an update reaches all of them within 10s", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			updatedAt := time.Now()
			cm, err := suite.PutConfigMap(ctx, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.72",
				"queueLengthThreshold: 9",
				"kvSpareTrigger: 0.18",
				"queueSpareTrigger: 4",
			)})
			if err != nil {
				t.Fatal(err)
			}
			took := waits.Since(ctx, t, fmt.Sprintf("%d VariantAutoscalings at the new resourceVersion", len(vas)), updatedAt, spec.FanOutDeadline, 250*time.Millisecond,
				f.AppliedConfigs(fixture.ExpectAll(vas, fixture.Applied("0.72", 9, "0.18", 4, v1alpha1.ConfigSourceDefault, cm.ResourceVersion))))
			suite.Measure("feature 6: ConfigMap update -> %d VariantAutoscalings updated (fan-out)", took, len(vas))

			lines := suite.WaitLogs(ctx, t, updatedAt, spec.FanOutDeadline,
				zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgChanged},
				zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgCacheUpdated, Fields: map[string]string{"entries": "1", "has_default": "true"}},
				zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgTriggerAll},
			)
			logged := fixture.CheckReloadLines(t, lines, updatedAt, len(vas))
			suite.Measure("feature 6: ConfigMap update -> reload logged (runtime timestamps)", logged)
			return ctx
		}).
		WithTeardown("delete the ConfigMap and the namespaces", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
