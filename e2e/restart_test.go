//go:build e2e

package e2e

import (
	"context"
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

// Feature 9: a ConfigMap change made while the controller is down is picked
// up at its next start: the new pod logs that it loaded the configuration,
// and the VariantAutoscalings show the new values and resourceVersion.
func TestChangeWhileControllerDown(t *testing.T) {
	f := fixture.New(suite, "restart")
	var (
		vas       []fixture.VA
		oldPod    string
		before    v1alpha1.AppliedCapacityConfig // what the VAs show before the restart
		rv        string                         // resourceVersion of the change made while down
		startedAt time.Time
	)

	feature := features.New("ConfigMap changed while the controller is down").
		WithLabel("area", "faults").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("VariantAutoscalings on a ConfigMap", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			f.WithoutConfigMap(ctx, t)
			// Whatever happens below, leave the controller running.
			f.OnTeardown("restoring the controller", func(ctx context.Context) error {
				_, err := suite.StartController(ctx, spec.RolloutDeadline)
				return err
			})
			ns := f.Namespace(ctx, t)
			vas = []fixture.VA{
				{Namespace: ns, Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
			}
			before = f.OnDefaultConfigMap(ctx, t, vas)
			return ctx
		}).
		Assess("scale the controller to 0 and wait until its pod is gone", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			pod, err := suite.CurrentControllerPod(ctx)
			if err != nil {
				t.Fatal(err)
			}
			oldPod = pod.Name
			if err := suite.ScaleController(ctx, 0); err != nil {
				t.Fatal(err)
			}
			took, err := suite.WaitControllerGone(ctx, spec.RolloutDeadline)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("controller pod %s gone after %s", oldPod, took.Round(time.Millisecond))
			return ctx
		}).
		Assess("change the ConfigMap while the controller is down", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			cm, err := suite.PutConfigMap(ctx, map[string]string{"default": fixture.Entry(
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
			waits.Hold(ctx, t, "VariantAutoscalings stay on the old resourceVersion", time.Second, waits.Slow, f.AppliedConfigs(fixture.ExpectAll(vas, before)))
			return ctx
		}).
		Assess("scale back to 1: the new pod logs that it loaded the configuration", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			startedAt = time.Now()
			took, err := suite.StartController(ctx, spec.RolloutDeadline)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("controller available %s after scaling up", took.Round(time.Millisecond))
			pod, err := suite.CurrentControllerPod(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if pod.Name == oldPod {
				t.Fatalf("controller pod %s is the one that was scaled away", pod.Name)
			}
			// The whole log of the new pod: the line is written at startup.
			suite.WaitLogs(ctx, t, time.Time{}, spec.ApplyDeadline, zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgLoaded})
			return ctx
		}).
		Assess("the VariantAutoscalings show the new values and resourceVersion", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			took := waits.Since(ctx, t, "status.appliedConfig at the resourceVersion written while down", startedAt, spec.RolloutDeadline, waits.Fast,
				f.AppliedConfigs(fixture.ExpectAll(vas, fixture.Applied("0.85", 6, "0.12", 2, v1alpha1.ConfigSourceDefault, rv))))
			suite.Measure("feature 9: scale 0 -> 1 -> %d VariantAutoscalings on the new config", took, len(vas))
			return ctx
		}).
		WithTeardown("restore the controller, delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
