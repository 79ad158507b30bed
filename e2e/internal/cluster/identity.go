package cluster

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

	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/zaplog"
)

// ControllerIdentity identifies a controller process: its pod and the
// restart count of its manager container.
type ControllerIdentity struct {
	Pod      string
	Uid      types.UID
	restarts int32
}

func (c ControllerIdentity) String() string {
	return fmt.Sprintf("pod %s (uid %s, %d container restarts)", c.Pod, c.Uid, c.restarts)
}

// ControllerIdentity returns the identity of the current controller pod.
func (s *Suite) ControllerIdentity(ctx context.Context) (ControllerIdentity, error) {
	pod, err := s.CurrentControllerPod(ctx)
	if err != nil {
		return ControllerIdentity{}, err
	}
	return IdentityOf(pod)
}

func IdentityOf(pod *corev1.Pod) (ControllerIdentity, error) {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == manifests.ContainerName {
			return ControllerIdentity{Pod: pod.Name, Uid: pod.UID, restarts: cs.RestartCount}, nil
		}
	}
	return ControllerIdentity{}, fmt.Errorf("pod %s has no status for container %s", pod.Name, manifests.ContainerName)
}

// RequireSameController fails the test unless the controller still runs in
// the pod of want, with no restart of its container since.
func (s *Suite) RequireSameController(ctx context.Context, t *testing.T, want ControllerIdentity) {
	t.Helper()
	got, err := s.ControllerIdentity(ctx)
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

// CheckNothingFatal reads the log of the current controller pod from since
// (all of it when zero) and fails the test on a line at a fatal level or a
// Go panic or fatal error among the lines that are not JSON. It returns the
// ERROR lines, which a fault may legitimately cause (a write refused while
// the API server is away is retried), for the feature to report.
func (s *Suite) CheckNothingFatal(ctx context.Context, t *testing.T, since time.Time) []zaplog.Entry {
	t.Helper()
	pod, err := s.CurrentControllerPod(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opts := &corev1.PodLogOptions{Container: manifests.ContainerName, Timestamps: true}
	if !since.IsZero() {
		opts.SinceTime = &metav1.Time{Time: since.Add(-time.Second)}
	}
	raw, err := s.Kube.CoreV1().Pods(manifests.Namespace).GetLogs(pod.Name, opts).DoRaw(ctx)
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
