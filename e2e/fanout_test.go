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
	"github.com/wva-project/wva/e2e/internal/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Fan-out shape: 200 VariantAutoscalings over 4 namespaces, 5 models each.
const (
	fanOutNamespaces   = 4
	fanOutPerNamespace = 50
	fanOutModels       = 5
	// fanOutParallel bounds the creates in flight.
	fanOutParallel = 16
	// fanOutPoll is how often the update's wait lists the 200 VAs.
	fanOutPoll = 250 * time.Millisecond
)

// Feature 6: one ConfigMap update reaches 200 VariantAutoscalings across
// several namespaces within 10 s.
func TestFanOutToManyVAs(t *testing.T) {
	f := fixture.New(suite, "fanout")
	var (
		vas     []fixture.VA
		updated fixture.Change // the ConfigMap update
	)

	feature := features.New("fan-out to 200 VariantAutoscalings").
		WithLabel("area", "reload").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("a ConfigMap", f.NoConfigMap).
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
		Assess("an update reaches all of them within 10s", fixture.Steps(
			f.ConfigMapPut(&updated, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.72",
				"queueLengthThreshold: 9",
				"kvSpareTrigger: 0.18",
				"queueSpareTrigger: 4",
			)}),
			f.VAsApplyConfigWithin(spec.FanOutDeadline, fanOutPoll, &updated, fmt.Sprintf("%d VariantAutoscalings at the new resourceVersion", fanOutNamespaces*fanOutPerNamespace),
				fixture.All(&vas, func() v1alpha1.AppliedCapacityConfig {
					return fixture.Applied("0.72", 9, "0.18", 4, v1alpha1.ConfigSourceDefault, updated.ResourceVersion)
				}),
				func(took time.Duration) {
					suite.Measure("feature 6: ConfigMap update -> %d VariantAutoscalings updated (fan-out)", took, len(vas))
				}),
			f.ControllerLogsWithin(spec.FanOutDeadline, &updated, func(t *testing.T, lines []zaplog.Entry) {
				logged := fixture.CheckReloadLines(t, lines, updated.At, len(vas))
				suite.Measure("feature 6: ConfigMap update -> reload logged (runtime timestamps)", logged)
			}, fixture.ReloadQueries()...),
		)).
		WithTeardown("delete the ConfigMap and the namespaces", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
