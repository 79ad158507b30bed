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
	"github.com/wva-project/wva/e2e/internal/zaplog"
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
		vas    []fixture.VA
		ns     string
		before cluster.ControllerIdentity
		o      apiServerOutage
		// The ConfigMap changes after the restart; the VA created then.
		first, next, created fixture.Change
		newVAs               []fixture.VA
	)
	nextWant := func() v1alpha1.AppliedCapacityConfig {
		return fixture.Applied("0.79", 9, "0.19", 3, v1alpha1.ConfigSourceDefault, next.ResourceVersion)
	}

	feature := features.New("kube-apiserver restart: the controller's watches resume").
		WithLabel("area", "faults").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("the control-plane node", kindControlPlaneNode(&o)).
		WithSetup("no ConfigMap", f.NoConfigMap).
		// Runs before the ConfigMap's delete at teardown, whatever
		// happened: the rest of it and the next feature need the whole
		// control plane back.
		WithSetup("the control plane Ready at teardown", controlPlaneReadyAtTeardown(f, spec.RolloutDeadline, &o.stopped)).
		WithSetup("VariantAutoscalings on a ConfigMap", f.VAsOnDefaultConfigMap(&vas, nil, func(namespace string) []fixture.VA {
			ns = namespace
			return []fixture.VA{
				{Namespace: ns, Name: "granite", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
			}
		})).
		WithSetup("the controller before the restart", f.ControllerIdentified(&before)).
		Assess("kill the kube-apiserver container: the kubelet starts a new one that answers", apiServerKilledWithin(apiServerBackDeadline, &o)).
		Assess("the controller kept running: same pod, no container restart", f.ControllerSame(&before)).
		Assess("a ConfigMap change made now reaches every VariantAutoscaling within 5s", fixture.Steps(
			f.ConfigMapPut(&first, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.77",
				"queueLengthThreshold: 7",
				"kvSpareTrigger: 0.17",
				"queueSpareTrigger: 2",
			)}),
			fixture.Logf("ConfigMap updated %s after the API answered again", func() []any {
				return []any{first.At.Sub(o.answered.At).Round(time.Millisecond)}
			}),
			f.VAsConsistentWithin(spec.ApplyDeadline, waits.Fast, &first, "every VariantAutoscaling at the new resourceVersion, status consistent", &vas,
				func() v1alpha1.AppliedCapacityConfig {
					return fixture.Applied("0.77", 7, "0.17", 2, v1alpha1.ConfigSourceDefault, first.ResourceVersion)
				},
				func(took time.Duration) {
					o.firstChange = took
					suite.Measure("feature 16: ConfigMap update right after the API server's restart -> %d VariantAutoscalings updated", took, len(vas))
				}),
		)).
		Assess("the kube-apiserver pod counts the restart", apiServerRestartCountedWithin(spec.RolloutDeadline, &o)).
		Assess("the watches resumed, a change reaches every VariantAutoscaling within 5s", fixture.Steps(
			f.ConfigMapPut(&next, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.79",
				"queueLengthThreshold: 9",
				"kvSpareTrigger: 0.19",
				"queueSpareTrigger: 3",
			)}),
			f.VAsConsistentWithin(spec.ApplyDeadline, waits.Fast, &next, "every VariantAutoscaling at the next resourceVersion, status consistent", &vas, nextWant,
				func(took time.Duration) {
					o.nextChange = took
					suite.Measure("feature 16: the next ConfigMap update -> %d VariantAutoscalings updated", took, len(vas))
				}),
		)).
		Assess("a VariantAutoscaling created now gets its status", fixture.Steps(
			f.VAsCreated(&created, &newVAs, 0, 0, func([]string) []fixture.VA {
				return []fixture.VA{{Namespace: ns, Name: "mistral", Model: "mistral/mistral-7b"}}
			}),
			// The VariantAutoscaling watch backs off like the ConfigMap's:
			// the same bound from the API's return.
			f.VAsConsistentWithin(watchResumeDeadline, waits.Fast, &o.answered, "the new VariantAutoscaling reconciled", &newVAs, nextWant,
				func(took time.Duration) {
					o.newVA = took - created.At.Sub(o.answered.At)
					suite.Measure("feature 16: VariantAutoscaling created after the API server's restart -> status", o.newVA)
				}),
		)).
		Assess("the controller logged nothing fatal", fixture.Steps(
			f.ControllerNothingFatal(&o.stopped.At, &o.errorLines),
			apiServerRestartReported(&o),
		)).
		WithTeardown("wait for the control plane, delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// apiServerOutage is what feature 16 records on the way, for its later
// steps and its summary line.
type apiServerOutage struct {
	node           string // the control-plane node
	mirror         string // the kube-apiserver's pod
	restartsBefore int32  // its restart count before the kill
	// When the old kube-apiserver container was stopped; when the new one
	// answered /readyz.
	stopped, answered fixture.Change
	// From each change (or the VA's create) until every VA showed it.
	firstChange, nextChange, newVA time.Duration
	errorLines                     []zaplog.Entry // the controller's from the kill on
}

// kindControlPlaneNode is a setup step that records the control-plane node
// and the kube-apiserver's mirror pod in o. It skips the feature in
// existing mode: stopping the kube-apiserver needs the node's container
// engine.
func kindControlPlaneNode(o *apiServerOutage) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		if suite.Cluster == nil {
			t.Skip("existing mode: stopping the kube-apiserver needs the node's container engine, which only kind mode has")
		}
		var err error
		if o.node, err = suite.ControlPlaneNode(ctx); err != nil {
			t.Fatal(err)
		}
		o.mirror = "kube-apiserver-" + o.node
		return ctx
	}
}

// controlPlaneReadyAtTeardown is a setup step that makes the teardown wait,
// up to d, until the control plane is Ready again (waitControlPlaneReady)
// once the kube-apiserver was stopped (a *stopped that is set).
func controlPlaneReadyAtTeardown(f *fixture.Fixture, d time.Duration, stopped *fixture.Change) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		f.OnTeardown("waiting for the control plane", func(ctx context.Context) error {
			if stopped.At.IsZero() {
				return nil // the API server was not stopped
			}
			return waitControlPlaneReady(ctx, t, stopped.At, d)
		})
		return ctx
	}
}

// apiServerKilledWithin is a step that records the kube-apiserver pod's
// restart count, kills (crictl stop, no grace) its container in o.node,
// recording when in o.stopped, and fails unless a new container answers
// /readyz within d of it, recording when in o.answered.
func apiServerKilledWithin(d time.Duration, o *apiServerOutage) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		old, err := cluster.RunningContainer(ctx, o.node, "kube-apiserver")
		if err != nil {
			t.Fatal(err)
		}
		if old == "" {
			t.Fatalf("no running kube-apiserver container in %s", o.node)
		}
		o.restartsBefore, err = staticPodRestarts(ctx, o.mirror)
		if err != nil {
			t.Fatal(err)
		}
		o.stopped.At = time.Now()
		// Killed (SIGKILL, no grace): given 10 s to stop on SIGTERM, it
		// did not finish draining and was killed anyway.
		if _, err := cluster.Crictl(ctx, o.node, "stop", "--timeout", "0", old); err != nil {
			t.Fatal(err)
		}
		t.Logf("killed kube-apiserver container %s in %s after %s", old, o.node, time.Since(o.stopped.At).Round(time.Millisecond))
		took := waits.Since(ctx, t, "a new kube-apiserver container answering /readyz", o.stopped.At, d, waits.Slow,
			func(ctx context.Context) (bool, string, error) {
				cur, err := cluster.RunningContainer(ctx, o.node, "kube-apiserver")
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
		o.answered.At = time.Now()
		suite.Measure("feature 16: kube-apiserver killed -> new container answers /readyz", took)
		return ctx
	}
}

// apiServerRestartCountedWithin is a step that fails unless the
// kube-apiserver pod's restart count exceeds o.restartsBefore within d:
// the kubelet reports it in the mirror pod at its next status sync.
func apiServerRestartCountedWithin(d time.Duration, o *apiServerOutage) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		waits.For(ctx, t, "the kube-apiserver pod counting the restart", d, waits.Slow,
			func(ctx context.Context) (bool, string, error) {
				n, err := staticPodRestarts(ctx, o.mirror)
				if err != nil {
					return false, err.Error(), nil
				}
				return n > o.restartsBefore, fmt.Sprintf("%s restartCount %d (before %d)", o.mirror, n, o.restartsBefore), nil
			})
		return ctx
	}
}

// apiServerRestartReported is a step that logs the feature's summary line
// (apiserver-restart outage=... first-change=...), which docs/tools parse.
func apiServerRestartReported(o *apiServerOutage) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		t.Logf("apiserver-restart outage=%s first-change=%s next-change=%s new-va=%s controller-restarts=0 error-lines=%d",
			o.answered.At.Sub(o.stopped.At).Round(100*time.Millisecond), o.firstChange.Round(100*time.Millisecond),
			o.nextChange.Round(time.Millisecond), o.newVA.Round(time.Millisecond), len(o.errorLines))
		return ctx
	}
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
