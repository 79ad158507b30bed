//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/poll"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Deadlines of feature 16.
const (
	// apiServerBackDeadline bounds the kube-apiserver's outage: from the
	// kill of its container until the kubelet's new one answers /readyz
	// (kind on 2 cores: 12-23 s, mostly the new process's start).
	apiServerBackDeadline = 2 * time.Minute
	// watchResumeDeadline bounds, from the API's return, the resumption of
	// the controller's watches, which a VariantAutoscaling created then
	// waits for. An informer's reflector retries a failed watch after an
	// exponential backoff (client-go: 0.8 s doubling to a 30 s cap, each
	// delay up to twice that with its jitter), which the controller cannot
	// configure: after an outage of 10-25 s the next retry can come a
	// minute after the API is back (70 s measured). The ConfigMap does not
	// wait for it: after a watch error the controller reads the ConfigMap
	// through the API every second for 90 s (configwatch.Resync), so a change
	// made right after the restart lands within the usual 5 s.
	watchResumeDeadline = 2 * time.Minute
)

// Feature 16: the kube-apiserver restarts under a running controller. Its
// container in the control-plane node is killed (crictl, through the
// node's engine); the kubelet starts a new one. The controller keeps
// running (same pod, no container restart): a ConfigMap change made as soon
// as the API answers reaches every VariantAutoscaling within the usual 5 s
// (read through the API while the watches back off: see
// watchResumeDeadline), the next change too once they resume, a
// VariantAutoscaling created then gets its status, and the controller
// logged nothing fatal.
//
// Features run one at a time (no t.Parallel, e2e-framework's Test is
// serial), so the outage disrupts no other feature; the teardown waits
// until every control-plane pod is Ready again before the next one starts.
func TestAPIServerRestart(t *testing.T) {
	f := fixture.New(suite, "apiserver")
	var (
		vas      []fixture.VA
		ns       string
		node     string
		before   cluster.ControllerIdentity
		stopped  time.Time                      // when the old kube-apiserver container was stopped
		answered time.Time                      // when the new one answered /readyz
		want     v1alpha1.AppliedCapacityConfig // of the last change
		// From each change (or the VA's create) until every VA showed it.
		firstChange, nextChange, newVA time.Duration
		mirror                         string // the kube-apiserver's pod
		restartsBefore                 int32  // its restart count before the kill
	)

	feature := features.New("kube-apiserver restart: the controller's watches resume").
		WithLabel("area", "faults").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("the control-plane node", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			if suite.Cluster == nil {
				t.Skip("existing mode: stopping the kube-apiserver needs the node's container engine, which only kind mode has")
			}
			var err error
			if node, err = suite.ControlPlaneNode(ctx); err != nil {
				t.Fatal(err)
			}
			mirror = "kube-apiserver-" + node
			return ctx
		}).
		WithSetup("no ConfigMap", f.NoConfigMap).
		// Runs before the ConfigMap's delete at teardown, whatever
		// happened: the rest of it and the next feature need the whole
		// control plane back.
		WithSetup("the control plane Ready at teardown", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			f.OnTeardown("waiting for the control plane", func(ctx context.Context) error {
				if stopped.IsZero() {
					return nil // the API server was not stopped
				}
				return waitControlPlaneReady(ctx, t, stopped, spec.RolloutDeadline)
			})
			return ctx
		}).
		WithSetup("VariantAutoscalings on a ConfigMap", f.VAsOnDefaultConfigMap(&vas, nil, func(namespace string) []fixture.VA {
			ns = namespace
			return []fixture.VA{
				{Namespace: ns, Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
			}
		})).
		WithSetup("the controller before the restart", f.ControllerIdentified(&before)).
		Assess("kill the kube-apiserver container: the kubelet starts a new one that answers", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			old, err := cluster.RunningContainer(ctx, node, "kube-apiserver")
			if err != nil {
				t.Fatal(err)
			}
			if old == "" {
				t.Fatalf("no running kube-apiserver container in %s", node)
			}
			restartsBefore, err = staticPodRestarts(ctx, mirror)
			if err != nil {
				t.Fatal(err)
			}
			stopped = time.Now()
			// Killed (SIGKILL, no grace): given 10 s to stop on SIGTERM, it
			// did not finish draining and was killed anyway.
			if _, err := cluster.Crictl(ctx, node, "stop", "--timeout", "0", old); err != nil {
				t.Fatal(err)
			}
			t.Logf("killed kube-apiserver container %s in %s after %s", old, node, time.Since(stopped).Round(time.Millisecond))
			took := waits.Since(ctx, t, "a new kube-apiserver container answering /readyz", stopped, apiServerBackDeadline, waits.Slow,
				func(ctx context.Context) (bool, string, error) {
					cur, err := cluster.RunningContainer(ctx, node, "kube-apiserver")
					switch {
					case err != nil:
						return false, err.Error(), nil
					case cur == "" || cur == old:
						return false, fmt.Sprintf("running kube-apiserver container %q (stopped: %s)", cur, old), nil
					}
					body, err := suite.Kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
					if err != nil {
						return false, fmt.Sprintf("container %s runs; /readyz: %v", cur, err), nil
					}
					return string(body) == "ok", fmt.Sprintf("container %s runs; /readyz: %s", cur, body), nil
				})
			answered = time.Now()
			suite.Measure("feature 16: kube-apiserver killed -> new container answers /readyz", took)
			return ctx
		}).
		Assess("the controller kept running: same pod, no container restart", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			suite.RequireSameController(ctx, t, before)
			return ctx
		}).
		Assess("a ConfigMap change made now reaches every VariantAutoscaling within 5s", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			changedAt := time.Now()
			cm, err := suite.PutConfigMap(ctx, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.77",
				"queueLengthThreshold: 7",
				"kvSpareTrigger: 0.17",
				"queueSpareTrigger: 2",
			)})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("ConfigMap updated %s after the API answered again", changedAt.Sub(answered).Round(time.Millisecond))
			want := fixture.Applied("0.77", 7, "0.17", 2, v1alpha1.ConfigSourceDefault, cm.ResourceVersion)
			firstChange = waits.Since(ctx, t, "every VariantAutoscaling at the new resourceVersion, status consistent", changedAt, spec.ApplyDeadline, waits.Fast,
				f.ConsistentStatus(vas, want))
			suite.Measure("feature 16: ConfigMap update right after the API server's restart -> %d VariantAutoscalings updated", firstChange, len(vas))
			return ctx
		}).
		Assess("the kube-apiserver pod counts the restart", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// The kubelet reports it in the mirror pod at its next status sync.
			waits.For(ctx, t, "the kube-apiserver pod counting the restart", spec.RolloutDeadline, waits.Slow,
				func(ctx context.Context) (bool, string, error) {
					n, err := staticPodRestarts(ctx, mirror)
					if err != nil {
						return false, err.Error(), nil
					}
					return n > restartsBefore, fmt.Sprintf("%s restartCount %d (before %d)", mirror, n, restartsBefore), nil
				})
			return ctx
		}).
		Assess("the watches resumed, a change reaches every VariantAutoscaling within 5s", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			changedAt := time.Now()
			cm, err := suite.PutConfigMap(ctx, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.79",
				"queueLengthThreshold: 9",
				"kvSpareTrigger: 0.19",
				"queueSpareTrigger: 3",
			)})
			if err != nil {
				t.Fatal(err)
			}
			want = fixture.Applied("0.79", 9, "0.19", 3, v1alpha1.ConfigSourceDefault, cm.ResourceVersion)
			nextChange = waits.Since(ctx, t, "every VariantAutoscaling at the next resourceVersion, status consistent", changedAt, spec.ApplyDeadline, waits.Fast,
				f.ConsistentStatus(vas, want))
			suite.Measure("feature 16: the next ConfigMap update -> %d VariantAutoscalings updated", nextChange, len(vas))
			return ctx
		}).
		Assess("a VariantAutoscaling created now gets its status", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			created := fixture.VA{Namespace: ns, Name: "mistral", Model: "mistral/mistral-7b"}
			start := time.Now()
			if err := f.CreateVA(ctx, created); err != nil {
				t.Fatal(err)
			}
			// The VariantAutoscaling watch backs off like the ConfigMap's:
			// the same bound from the API's return.
			took := waits.Since(ctx, t, "the new VariantAutoscaling reconciled", answered, watchResumeDeadline, waits.Fast,
				f.ConsistentStatus([]fixture.VA{created}, want))
			newVA = took - start.Sub(answered)
			suite.Measure("feature 16: VariantAutoscaling created after the API server's restart -> status", newVA)
			return ctx
		}).
		Assess("the controller logged nothing fatal", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			errs := suite.CheckNothingFatal(ctx, t, stopped)
			t.Logf("apiserver-restart outage=%s first-change=%s next-change=%s new-va=%s controller-restarts=0 error-lines=%d",
				answered.Sub(stopped).Round(100*time.Millisecond), firstChange.Round(100*time.Millisecond),
				nextChange.Round(time.Millisecond), newVA.Round(time.Millisecond), len(errs))
			return ctx
		}).
		WithTeardown("wait for the control plane, delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// staticPodRestarts returns the restart count of the one container of the
// mirror pod name in kube-system.
func staticPodRestarts(ctx context.Context, name string) (int32, error) {
	pod, err := suite.Kube.CoreV1().Pods(metav1.NamespaceSystem).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return 0, fmt.Errorf("pod %s/%s: %w", metav1.NamespaceSystem, name, err)
	}
	if len(pod.Status.ContainerStatuses) != 1 {
		return 0, fmt.Errorf("pod %s: %d container statuses", name, len(pod.Status.ContainerStatuses))
	}
	return pod.Status.ContainerStatuses[0].RestartCount, nil
}

// controlPlaneLeases are the Leases of kube-controller-manager and
// kube-scheduler, which run with leader election on kind.
var controlPlaneLeases = []string{"kube-controller-manager", "kube-scheduler"}

// waitControlPlaneReady waits until every control-plane pod (kubeadm labels
// its static pods tier=control-plane) is Ready and kube-controller-manager
// and kube-scheduler hold their Leases again (renewed since after), and logs
// the container restarts the pods show: both may lose their Leases during
// the outage and restart, and a restarted one waits for the old Lease to
// expire before it works again; the next feature needs them working.
func waitControlPlaneReady(ctx context.Context, t *testing.T, after time.Time, timeout time.Duration) error {
	var summary string
	_, err := poll.Until(ctx, clock.RealClock{}, timeout, waits.Slow, func(ctx context.Context) (bool, string, error) {
		pods, err := suite.Kube.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: "tier=control-plane"})
		if err != nil {
			return false, err.Error(), nil
		}
		var parts []string
		ready := 0
		for _, p := range pods.Items {
			restarts := int32(0)
			for _, cs := range p.Status.ContainerStatuses {
				restarts += cs.RestartCount
			}
			ok := podReady(&p)
			if ok {
				ready++
			}
			parts = append(parts, fmt.Sprintf("%s ready=%t restarts=%d", p.Name, ok, restarts))
		}
		held := 0
		for _, name := range controlPlaneLeases {
			lease, err := suite.Kube.CoordinationV1().Leases(metav1.NamespaceSystem).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				parts = append(parts, fmt.Sprintf("lease %s: %v", name, err))
				continue
			}
			renewed := lease.Spec.RenewTime != nil && lease.Spec.RenewTime.After(after)
			if renewed {
				held++
			}
			parts = append(parts, fmt.Sprintf("lease %s renewed since=%t", name, renewed))
		}
		summary = strings.Join(parts, ", ")
		return len(pods.Items) > 0 && ready == len(pods.Items) && held == len(controlPlaneLeases), summary, nil
	})
	if err != nil {
		return fmt.Errorf("control plane not back within %s: %w", timeout, err)
	}
	t.Logf("control plane back: %s", summary)
	return nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
