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

	"github.com/wva-project/wva/e2e/internal/apply"
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
		vas      []fixture.VA
		old      cluster.ControllerIdentity
		killedAt time.Time
		latest   v1alpha1.AppliedCapacityConfig // of the last update
	)

	feature := features.New("controller killed mid-reload: the new pod serves the latest ConfigMap").
		WithLabel("area", "faults").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		// Whatever happens below, leave the controller available.
		WithSetup("the controller available at teardown", func(ctx context.Context, _ *testing.T, _ *envconf.Config) context.Context {
			f.OnTeardown("waiting for the controller", func(ctx context.Context) error {
				_, err := apply.WaitDeploymentAvailable(ctx, suite.Kube, manifests.Namespace, manifests.DeploymentName, spec.RolloutDeadline, 250*time.Millisecond)
				return err
			})
			return ctx
		}).
		WithSetup("VariantAutoscalings on a ConfigMap", f.VAsOnDefaultConfigMap(&vas, nil, func(ns string) []fixture.VA {
			return []fixture.VA{
				{Namespace: ns, Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
				{Namespace: ns, Name: "mistral", Model: "mistral/mistral-7b"},
			}
		})).
		WithSetup("the controller's pod", f.ControllerIdentified(&old)).
		Assess("update the ConfigMap, kill the controller pod at once, update again", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			first, err := suite.PutConfigMap(ctx, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.74",
				"queueLengthThreshold: 11",
				"kvSpareTrigger: 0.14",
				"queueSpareTrigger: 6",
			)})
			if err != nil {
				t.Fatal(err)
			}
			updatedAt := time.Now()
			err = suite.Kube.CoreV1().Pods(manifests.Namespace).Delete(ctx, old.Pod, metav1.DeleteOptions{
				GracePeriodSeconds: ptr.To[int64](0),
				Preconditions:      &metav1.Preconditions{UID: &old.Uid},
			})
			if err != nil {
				t.Fatalf("deleting controller pod %s: %v", old.Pod, err)
			}
			killedAt = time.Now()
			// The replacement starts with the ConfigMap present (feature 1
			// needs to know).
			suite.Mu.Lock()
			suite.StartedWithConfigMap = true
			suite.Mu.Unlock()
			t.Logf("update %s, then pod %s deleted with grace period 0 %s later", first.ResourceVersion, old.Pod, killedAt.Sub(updatedAt).Round(time.Millisecond))

			second, err := suite.PutConfigMap(ctx, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.66",
				"queueLengthThreshold: 12",
				"kvSpareTrigger: 0.16",
				"queueSpareTrigger: 5",
			)})
			if err != nil {
				t.Fatal(err)
			}
			latest = fixture.Applied("0.66", 12, "0.16", 5, v1alpha1.ConfigSourceDefault, second.ResourceVersion)
			pods, err := suite.ControllerPods(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("update %s %s after the kill; controller pods then: %s", second.ResourceVersion, time.Since(killedAt).Round(time.Millisecond), install.PodSummary(pods))
			return ctx
		}).
		Assess("the new pod loads the latest resourceVersion and every VariantAutoscaling shows it", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			var cur cluster.ControllerIdentity
			took := waits.Since(ctx, t, "a new controller pod Ready", killedAt, spec.RolloutDeadline, 250*time.Millisecond,
				func(ctx context.Context) (bool, string, error) {
					pod, err := suite.CurrentControllerPod(ctx)
					if err != nil {
						return false, err.Error(), nil
					}
					if pod.UID == old.Uid {
						return false, "the killed pod " + pod.Name + " still runs", nil
					}
					if cur, err = cluster.IdentityOf(pod); err != nil {
						return false, err.Error(), nil
					}
					return podReady(pod), fmt.Sprintf("pod %s ready=%t", pod.Name, podReady(pod)), nil
				})
			suite.Measure("feature 17: controller pod killed -> replacement available", took)
			// logLoaded runs at startup and after every reload: whichever
			// way the new pod got the last update, it says so.
			suite.WaitLogs(ctx, t, time.Time{}, spec.ApplyDeadline, zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgLoaded,
				Fields: map[string]string{"resourceVersion": latest.ConfigMapResourceVersion}})
			took = waits.Since(ctx, t, "every VariantAutoscaling on the latest ConfigMap, status consistent", killedAt, spec.RolloutDeadline, waits.Fast,
				f.ConsistentStatus(vas, latest))
			suite.Measure("feature 17: controller pod killed mid-reload -> %d VariantAutoscalings on the latest ConfigMap", took, len(vas))
			t.Logf("controller-kill replacement=%s kill-to-latest=%s", cur.Pod, took.Round(time.Millisecond))
			return ctx
		}).
		Assess("nothing overwrites it: the VariantAutoscalings stay on the latest ConfigMap", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			waits.Hold(ctx, t, "every VariantAutoscaling stays on the latest resourceVersion", 2*time.Second, waits.Fast,
				f.AppliedConfigs(fixture.ExpectAll(vas, latest)))
			suite.CheckNothingFatal(ctx, t, time.Time{})
			return ctx
		}).
		WithTeardown("wait for the controller, delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}
