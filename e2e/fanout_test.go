//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

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
	// fanOutReconcileDeadline: from the creates, every VA shows its first
	// reconcile.
	fanOutReconcileDeadline = 2 * time.Minute
)

// Feature 6: one ConfigMap update reaches 200 VariantAutoscalings across
// several namespaces within 10 s.
func TestFanOutToManyVAs(t *testing.T) {
	f := fixture.New(suite, "fanout")
	var (
		vas     []fixture.VA
		put     fixture.Change // the ConfigMap the VAs are created on
		created fixture.Change // the VAs' creates
		updated fixture.Change // the ConfigMap update
	)

	feature := features.New("fan-out to 200 VariantAutoscalings").
		WithLabel("area", "reload").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("a ConfigMap", f.NoConfigMap).
		WithSetup("create 200 VariantAutoscalings on it", fixture.Steps(
			f.ConfigMapPut(&put, map[string]string{"default": fixture.DefaultEntry}),
			f.VAsCreated(&created, &vas, fanOutNamespaces, fanOutParallel, fanOutVAs),
			f.VAsApplyConfigWithin(fanOutReconcileDeadline, waits.Slow, &created, fmt.Sprintf("%d VariantAutoscalings reconciled", fanOutNamespaces*fanOutPerNamespace),
				fixture.All(&vas, func() v1alpha1.AppliedCapacityConfig {
					return fixture.Applied("0.70", 8, "0.20", 4, v1alpha1.ConfigSourceDefault, put.ResourceVersion)
				}),
				func(took time.Duration) {
					suite.Measure("feature 6: create + first reconcile of %d VariantAutoscalings", took, len(vas))
				}),
		)).
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

// fanOutVAs are the feature's VariantAutoscalings: fanOutPerNamespace in
// each namespace of ns, over fanOutModels models.
func fanOutVAs(ns []string) []fixture.VA {
	vas := make([]fixture.VA, 0, len(ns)*fanOutPerNamespace)
	for _, n := range ns {
		for i := range fanOutPerNamespace {
			vas = append(vas, fixture.VA{
				Namespace: n,
				Name:      fmt.Sprintf("variant-%03d", i),
				Model:     fmt.Sprintf("org/model-%d", i%fanOutModels),
			})
		}
	}
	return vas
}
