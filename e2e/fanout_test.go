//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

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
	f := suite.newFixture("fanout")
	var vas []va

	feature := features.New("fan-out to 200 VariantAutoscalings").
		WithLabel("area", "reload").WithLabel("size", "large").
		WithSetup("register cleanup", f.setup).
		WithSetup("a ConfigMap", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			f.withoutConfigMap(ctx, t)
			return ctx
		}).
		WithSetup("create 200 VariantAutoscalings on it", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			cm, err := suite.putConfigMap(ctx, map[string]string{"default": defaultEntry})
			if err != nil {
				t.Fatal(err)
			}
			for range fanOutNamespaces {
				ns := f.namespace(ctx, t)
				for i := range fanOutPerNamespace {
					vas = append(vas, va{
						namespace: ns,
						name:      fmt.Sprintf("variant-%03d", i),
						model:     fmt.Sprintf("org/model-%d", i%fanOutModels),
					})
				}
			}
			start := time.Now()
			f.createVAs(ctx, t, fanOutParallel, vas...)
			took := waitSince(ctx, t, fmt.Sprintf("%d VariantAutoscalings reconciled", len(vas)), start, 2*time.Minute, slowPoll,
				f.appliedConfigs(expectAll(vas, applied("0.70", 8, "0.20", 4, v1alpha1.ConfigSourceDefault, cm.ResourceVersion))))
			suite.measure("feature 6: create + first reconcile of %d VariantAutoscalings", took, len(vas))
			return ctx
		}).
		Assess("an update reaches all of them within 10s", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			updatedAt := time.Now()
			cm, err := suite.putConfigMap(ctx, map[string]string{"default": entry(
				"kvCacheThreshold: 0.72",
				"queueLengthThreshold: 9",
				"kvSpareTrigger: 0.18",
				"queueSpareTrigger: 4",
			)})
			if err != nil {
				t.Fatal(err)
			}
			took := waitSince(ctx, t, fmt.Sprintf("%d VariantAutoscalings at the new resourceVersion", len(vas)), updatedAt, fanOutDeadline, 250*time.Millisecond,
				f.appliedConfigs(expectAll(vas, applied("0.72", 9, "0.18", 4, v1alpha1.ConfigSourceDefault, cm.ResourceVersion))))
			suite.measure("feature 6: ConfigMap update -> %d VariantAutoscalings updated (fan-out)", took, len(vas))

			lines := suite.waitLogs(ctx, t, updatedAt, fanOutDeadline,
				zaplog.Query{Level: levelInfo, Msg: msgChanged},
				zaplog.Query{Level: levelInfo, Msg: msgCacheUpdated, Fields: map[string]string{"entries": "1", "has_default": "true"}},
				zaplog.Query{Level: levelInfo, Msg: msgTriggerAll},
			)
			logged := checkReloadLines(t, lines, updatedAt, len(vas))
			suite.measure("feature 6: ConfigMap update -> reload logged (runtime timestamps)", logged)
			return ctx
		}).
		WithTeardown("delete the ConfigMap and the namespaces", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}
