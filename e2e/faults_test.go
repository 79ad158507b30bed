//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wva-project/wva/e2e/manifests"
	"github.com/wva-project/wva/e2e/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// What the fault features (16-18) share: telling a controller that kept
// running from one that was replaced or restarted, reading its log for
// anything fatal, and checking that status is consistent.

// controllerIdentity identifies a controller process: its pod and the
// restart count of its manager container.
type controllerIdentity struct {
	pod      string
	uid      types.UID
	restarts int32
}

func (c controllerIdentity) String() string {
	return fmt.Sprintf("pod %s (uid %s, %d container restarts)", c.pod, c.uid, c.restarts)
}

// controllerIdentity returns the identity of the current controller pod.
func (s *Suite) controllerIdentity(ctx context.Context) (controllerIdentity, error) {
	pod, err := s.currentControllerPod(ctx)
	if err != nil {
		return controllerIdentity{}, err
	}
	return identityOf(pod)
}

func identityOf(pod *corev1.Pod) (controllerIdentity, error) {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == manifests.ContainerName {
			return controllerIdentity{pod: pod.Name, uid: pod.UID, restarts: cs.RestartCount}, nil
		}
	}
	return controllerIdentity{}, fmt.Errorf("pod %s has no status for container %s", pod.Name, manifests.ContainerName)
}

// requireSameController fails the test unless the controller still runs in
// the pod of want, with no restart of its container since.
func (s *Suite) requireSameController(ctx context.Context, t *testing.T, want controllerIdentity) {
	t.Helper()
	got, err := s.controllerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("controller: got %s, want %s (no restart, no new pod)", got, want)
	}
	t.Logf("controller still %s", got)
}

// fatalLevels are zap's levels that end (or, in development mode, would
// end) the process.
var fatalLevels = []string{"dpanic", "panic", "fatal"}

// checkNothingFatal reads the log of the current controller pod from since
// (all of it when zero) and fails the test on a line at a fatal level or a
// Go panic or fatal error among the lines that are not JSON. It returns the
// ERROR lines, which a fault may legitimately cause (a write refused while
// the API server is away is retried), for the feature to report.
func (s *Suite) checkNothingFatal(ctx context.Context, t *testing.T, since time.Time) []zaplog.Entry {
	t.Helper()
	pod, err := s.currentControllerPod(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opts := &corev1.PodLogOptions{Container: manifests.ContainerName, Timestamps: true}
	if !since.IsZero() {
		opts.SinceTime = &metav1.Time{Time: since.Add(-time.Second)}
	}
	raw, err := s.kube.CoreV1().Pods(manifests.Namespace).GetLogs(pod.Name, opts).DoRaw(ctx)
	if err != nil {
		t.Fatalf("log of pod %s: %v", pod.Name, err)
	}
	entries, other, err := zaplog.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("log of pod %s: %v", pod.Name, err)
	}
	entries = zaplog.Find(entries, zaplog.Query{Since: since})
	var errorLines []zaplog.Entry
	for _, e := range entries {
		switch {
		case slices.Contains(fatalLevels, e.Level):
			t.Errorf("controller logged at level %s: %s", e.Level, e)
		case e.Level == "error":
			errorLines = append(errorLines, e)
		}
	}
	for _, line := range other {
		if strings.Contains(line, "panic:") || strings.Contains(line, "fatal error:") {
			t.Errorf("controller wrote a Go panic or fatal error: %s", line)
		}
	}
	t.Logf("controller log of %s: %d JSON lines, %d other, %d at ERROR, none fatal", pod.Name, len(entries), len(other), len(errorLines))
	for i, e := range errorLines {
		if i == 5 {
			t.Logf("... and %d more ERROR lines", len(errorLines)-i)
			break
		}
		t.Logf("ERROR line: %s", e)
	}
	return errorLines
}

// consistentStatus is a poll.Condition that holds when every VA of vas
// shows want as its applied configuration, a status computed for its
// current generation (status.observedGeneration and every condition's) and
// ConfigResolved=True.
func (f *fixture) consistentStatus(vas []va, want v1alpha1.AppliedCapacityConfig) func(context.Context) (bool, string, error) {
	applied := f.appliedConfigs(expectAll(vas, want))
	return func(ctx context.Context) (bool, string, error) {
		ok, seen, err := applied(ctx)
		if !ok || err != nil {
			return ok, seen, err
		}
		got, err := f.listVAs(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		for _, v := range vas {
			obj := got[v.key()]
			if obj.Status.ObservedGeneration != obj.Generation {
				return false, fmt.Sprintf("%s: status.observedGeneration %d, generation %d", v.key(), obj.Status.ObservedGeneration, obj.Generation), nil
			}
			for _, c := range obj.Status.Conditions {
				if c.ObservedGeneration != obj.Generation {
					return false, fmt.Sprintf("%s: condition %s observedGeneration %d, generation %d", v.key(), c.Type, c.ObservedGeneration, obj.Generation), nil
				}
			}
			if c := condition(obj, v1alpha1.ConditionConfigResolved); c == nil || c.Status != metav1.ConditionTrue {
				return false, fmt.Sprintf("%s: %s", v.key(), describeCondition(c)), nil
			}
		}
		return true, seen + "; generations observed, ConfigResolved=True", nil
	}
}
