//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/install"
	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 17: the controller pod is killed in the middle of a reload. The
// ConfigMap is updated and, at once, the controller's pod is deleted with
// grace period 0; a second update lands while the Deployment replaces it.
// The new pod serves the latest ConfigMap: it logs that it loaded that
// resourceVersion, every VariantAutoscaling shows it and its values, and
// nothing the killed pod had in flight overwrites them afterwards.
func TestControllerKilledMidReload(t *testing.T) {
	f := fixture.New(suite, "kill")
	var (
		vas           []fixture.VA
		old           cluster.ControllerIdentity
		first, second fixture.Change // the update before the kill, the one after
		killed        fixture.Change // the controller pod's delete
		replacement   cluster.ControllerIdentity
		killToLatest  time.Duration
		wholeLog      fixture.Change // zero: the controller's log from its start
	)
	// What every VariantAutoscaling should show: the last update.
	latest := func() v1alpha1.AppliedCapacityConfig {
		return fixture.Applied("0.66", 12, "0.16", 5, v1alpha1.ConfigSourceDefault, second.ResourceVersion)
	}

	feature := features.New("controller killed mid-reload: the new pod serves the latest ConfigMap").
		WithLabel("area", "faults").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		// Whatever happens below, leave the controller available.
		WithSetup("the controller available at teardown", f.ControllerAvailableAtTeardown(spec.RolloutDeadline)).
		WithSetup("VariantAutoscalings on a ConfigMap", f.VAsOnDefaultConfigMap(&vas, nil, func(ns string) []fixture.VA {
			return []fixture.VA{
				{Namespace: ns, Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
				{Namespace: ns, Name: "mistral", Model: "mistral/mistral-7b"},
			}
		})).
		WithSetup("the controller's pod", f.ControllerIdentified(&old)).
		Assess("update the ConfigMap, kill the controller pod at once, update again", fixture.Steps(
			f.ConfigMapPut(&first, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.74",
				"queueLengthThreshold: 11",
				"kvSpareTrigger: 0.14",
				"queueSpareTrigger: 6",
			)}),
			controllerKilledAfter(&first, &old, &killed),
			f.ConfigMapPut(&second, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.66",
				"queueLengthThreshold: 12",
				"kvSpareTrigger: 0.16",
				"queueSpareTrigger: 5",
			)}),
			controllerPodsAfterKill(&second, &killed),
		)).
		Assess("the new pod loads the latest resourceVersion and every VariantAutoscaling shows it", fixture.Steps(
			controllerReplacedWithin(spec.RolloutDeadline, &killed, &old, &replacement),
			// logLoaded runs at startup and after every reload: whichever
			// way the new pod got the last update, it says so.
			f.ControllerLogsOfWithin(spec.ApplyDeadline, &wholeLog, nil, func() []zaplog.Query {
				return []zaplog.Query{{Level: spec.LevelInfo, Msg: spec.MsgLoaded,
					Fields: map[string]string{"resourceVersion": second.ResourceVersion}}}
			}),
			f.VAsConsistentWithin(spec.RolloutDeadline, waits.Fast, &killed, "every VariantAutoscaling on the latest ConfigMap, status consistent", &vas, latest,
				func(took time.Duration) {
					killToLatest = took
					suite.Measure("feature 17: controller pod killed mid-reload -> %d VariantAutoscalings on the latest ConfigMap", took, len(vas))
				}),
			controllerKillReported(&replacement, &killToLatest),
		)).
		Assess("nothing overwrites it: the VariantAutoscalings stay on the latest ConfigMap", fixture.Steps(
			f.VAsHold(2*time.Second, waits.Fast, "every VariantAutoscaling stays on the latest resourceVersion", fixture.All(&vas, latest)),
			f.ControllerNothingFatal(&wholeLog.At, nil),
		)).
		WithTeardown("wait for the controller, delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// controllerKilledAfter is a step, run right after the update c, that
// deletes the controller's pod *old with grace period 0 and records when in
// killed. The replacement starts with the ConfigMap present.
func controllerKilledAfter(c *fixture.Change, old *cluster.ControllerIdentity, killed *fixture.Change) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		updatedAt := time.Now()
		err := suite.Kube.CoreV1().Pods(manifests.Namespace).Delete(ctx, old.Pod, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0),
			Preconditions:      &metav1.Preconditions{UID: &old.Uid},
		})
		if err != nil {
			t.Fatalf("deleting controller pod %s: %v", old.Pod, err)
		}
		killed.At = time.Now()
		// The replacement starts with the ConfigMap present (feature 1
		// needs to know).
		suite.Mu.Lock()
		suite.StartedWithConfigMap = true
		suite.Mu.Unlock()
		t.Logf("update %s, then pod %s deleted with grace period 0 %s later", c.ResourceVersion, old.Pod, killed.At.Sub(updatedAt).Round(time.Millisecond))
		return ctx
	}
}

// controllerPodsAfterKill is a step, run right after the update c, that
// logs how long after the kill it landed and the controller's pods then.
func controllerPodsAfterKill(c, killed *fixture.Change) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		pods, err := suite.ControllerPods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("update %s %s after the kill; controller pods then: %s", c.ResourceVersion, time.Since(killed.At).Round(time.Millisecond), install.PodSummary(pods))
		return ctx
	}
}

// controllerReplacedWithin is a step that fails unless a controller pod
// other than *old is Ready within d of the kill, and records it in
// *replacement.
func controllerReplacedWithin(d time.Duration, killed *fixture.Change, old, replacement *cluster.ControllerIdentity) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		took := waits.Since(ctx, t, "a new controller pod Ready", killed.At, d, waits.Rollout,
			func(ctx context.Context) (bool, string, error) {
				pod, err := suite.CurrentControllerPod(ctx)
				if err != nil {
					return false, err.Error(), nil
				}
				if pod.UID == old.Uid {
					return false, "the killed pod " + pod.Name + " still runs", nil
				}
				if *replacement, err = cluster.IdentityOf(pod); err != nil {
					return false, err.Error(), nil
				}
				return podReady(pod), fmt.Sprintf("pod %s ready=%t", pod.Name, podReady(pod)), nil
			})
		suite.Measure("feature 17: controller pod killed -> replacement available", took)
		return ctx
	}
}

// controllerKillReported is a step that logs the feature's summary line
// (controller-kill replacement=... kill-to-latest=...).
func controllerKillReported(replacement *cluster.ControllerIdentity, killToLatest *time.Duration) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		t.Logf("controller-kill replacement=%s kill-to-latest=%s", replacement.Pod, killToLatest.Round(time.Millisecond))
		return ctx
	}
}
