//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 9: a ConfigMap change made while the controller is down is picked
// up at its next start: the new pod logs that it loaded the configuration,
// and the VariantAutoscalings show the new values and resourceVersion.
func TestChangeWhileControllerDown(t *testing.T) {
	f := suite.newFixture("restart")
	var (
		vas       []va
		oldPod    string
		before    v1alpha1.AppliedCapacityConfig // what the VAs show before the restart
		rv        string                         // resourceVersion of the change made while down
		startedAt time.Time
	)

	feature := features.New("ConfigMap changed while the controller is down").
		WithLabel("area", "faults").WithLabel("size", "small").
		WithSetup("register cleanup", f.setup).
		WithSetup("VariantAutoscalings on a ConfigMap", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			f.withoutConfigMap(ctx, t)
			// Whatever happens below, leave the controller running.
			f.onTeardown("restoring the controller", func(ctx context.Context) error {
				_, err := suite.startController(ctx, rolloutDeadline)
				return err
			})
			ns := f.namespace(ctx, t)
			vas = []va{
				{namespace: ns, name: "granite", model: "ibm/granite-13b"},
				{namespace: ns, name: "llama", model: "meta/llama-70b"},
			}
			before = f.onDefaultConfigMap(ctx, t, vas)
			return ctx
		}).
		Assess("scale the controller to 0 and wait until its pod is gone", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			pod, err := suite.currentControllerPod(ctx)
			if err != nil {
				t.Fatal(err)
			}
			oldPod = pod.Name
			if err := suite.scaleController(ctx, 0); err != nil {
				t.Fatal(err)
			}
			took, err := suite.waitControllerGone(ctx, rolloutDeadline)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("controller pod %s gone after %s", oldPod, took.Round(time.Millisecond))
			return ctx
		}).
		Assess("change the ConfigMap while the controller is down", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			cm, err := suite.putConfigMap(ctx, map[string]string{"default": entry(
				"kvCacheThreshold: 0.85",
				"queueLengthThreshold: 6",
				"kvSpareTrigger: 0.12",
				"queueSpareTrigger: 2",
			)})
			if err != nil {
				t.Fatal(err)
			}
			rv = cm.ResourceVersion
			// Nobody applies it while the controller is down.
			holdFor(ctx, t, "VariantAutoscalings stay on the old resourceVersion", time.Second, slowPoll, f.appliedConfigs(expectAll(vas, before)))
			return ctx
		}).
		Assess("scale back to 1: the new pod logs that it loaded the configuration", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			startedAt = time.Now()
			took, err := suite.startController(ctx, rolloutDeadline)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("controller available %s after scaling up", took.Round(time.Millisecond))
			pod, err := suite.currentControllerPod(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if pod.Name == oldPod {
				t.Fatalf("controller pod %s is the one that was scaled away", pod.Name)
			}
			// The whole log of the new pod: the line is written at startup.
			suite.waitLogs(ctx, t, time.Time{}, applyDeadline, zaplog.Query{Level: levelInfo, Msg: msgLoaded})
			return ctx
		}).
		Assess("the VariantAutoscalings show the new values and resourceVersion", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			took := waitSince(ctx, t, "status.appliedConfig at the resourceVersion written while down", startedAt, rolloutDeadline, fastPoll,
				f.appliedConfigs(expectAll(vas, applied("0.85", 6, "0.12", 2, v1alpha1.ConfigSourceDefault, rv))))
			suite.measure("feature 9: scale 0 -> 1 -> %d VariantAutoscalings on the new config", took, len(vas))
			return ctx
		}).
		WithTeardown("restore the controller, delete the ConfigMap and the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}
