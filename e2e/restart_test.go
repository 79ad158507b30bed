//go:build e2e

package e2e

import (
	"testing"
	"time"

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
		vas     []fixture.VA
		oldPod  string
		before  v1alpha1.AppliedCapacityConfig // what the VAs show before the restart
		down    fixture.Change                 // the change made while the controller is down
		started fixture.Change                 // the controller scaled back to 1
	)

	feature := features.New("ConfigMap changed while the controller is down").
		WithLabel("area", "faults").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		// Whatever happens below, leave the controller running.
		WithSetup("the controller restored at teardown", f.ControllerRunningAtTeardown).
		WithSetup("VariantAutoscalings on a ConfigMap", f.VAsOnDefaultConfigMap(&vas, &before, func(ns string) []fixture.VA {
			return []fixture.VA{
				{Namespace: ns, Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
			}
		})).
		Assess("scale the controller to 0 and wait until its pod is gone", f.ControllerScaledAwayWithin(spec.RolloutDeadline, &oldPod)).
		Assess("change the ConfigMap while the controller is down", fixture.Steps(
			f.ConfigMapPut(&down, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.85",
				"queueLengthThreshold: 6",
				"kvSpareTrigger: 0.12",
				"queueSpareTrigger: 2",
			)}),
			// Nobody applies it while the controller is down.
			f.VAsHold(time.Second, waits.Slow, "VariantAutoscalings stay on the old resourceVersion",
				fixture.All(&vas, func() v1alpha1.AppliedCapacityConfig { return before })),
		)).
		Assess("scale back to 1: the new pod logs that it loaded the configuration", fixture.Steps(
			f.ControllerStartedWithin(spec.RolloutDeadline, &started, &oldPod),
			// The line is written at startup, after the scale-up.
			f.ControllerLogsWithin(spec.ApplyDeadline, &started, nil, zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgLoaded}),
		)).
		Assess("the VariantAutoscalings show the new values and resourceVersion", f.VAsApplyConfigWithin(spec.RolloutDeadline, waits.Fast, &started,
			"status.appliedConfig at the resourceVersion written while down",
			fixture.All(&vas, func() v1alpha1.AppliedCapacityConfig {
				return fixture.Applied("0.85", 6, "0.12", 2, v1alpha1.ConfigSourceDefault, down.ResourceVersion)
			}),
			func(took time.Duration) {
				suite.Measure("feature 9: scale 0 -> 1 -> %d VariantAutoscalings on the new config", took, len(vas))
			})).
		WithTeardown("restore the controller, delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
