//go:build kindsmoke

package smoke

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// nodesReady reports done when every node has condition Ready=True.
func nodesReady(cs *kubernetes.Clientset) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, "", err
		}
		if len(nodes.Items) == 0 {
			return false, "no nodes", nil
		}
		var states []string
		ready := true
		for _, n := range nodes.Items {
			status := corev1.ConditionUnknown
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady {
					status = c.Status
				}
			}
			ready = ready && status == corev1.ConditionTrue
			states = append(states, fmt.Sprintf("%s Ready=%s", n.Name, status))
		}
		return ready, strings.Join(states, ", "), nil
	}
}

// podsRunning reports done when at least one kube-system pod matches
// selector and all that match are Running (and Ready, if ready is set).
func podsRunning(cs *kubernetes.Clientset, selector string, ready bool) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		pods, err := cs.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, "", err
		}
		if len(pods.Items) == 0 {
			return false, "no pods match " + selector, nil
		}
		done := true
		var states []string
		for i := range pods.Items {
			p := &pods.Items[i]
			done = done && p.Status.Phase == corev1.PodRunning && (!ready || podReady(p))
			states = append(states, podSummary(p))
		}
		return done, strings.Join(states, "; "), nil
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podSummary is one line about a pod: phase, readiness and why containers wait or ended.
func podSummary(p *corev1.Pod) string {
	parts := []string{fmt.Sprintf("%s %s ready=%t", p.Name, p.Status.Phase, podReady(p))}
	for _, c := range p.Status.ContainerStatuses {
		switch {
		case c.State.Waiting != nil:
			parts = append(parts, fmt.Sprintf("%s waiting: %s %s", c.Name, c.State.Waiting.Reason, c.State.Waiting.Message))
		case c.State.Terminated != nil:
			parts = append(parts, fmt.Sprintf("%s terminated: exit %d %s", c.Name, c.State.Terminated.ExitCode, c.State.Terminated.Reason))
		}
	}
	return strings.Join(parts, " ")
}

func podLogs(ctx context.Context, cs *kubernetes.Clientset, namespace, name string) string {
	raw, err := cs.CoreV1().Pods(namespace).GetLogs(name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		return fmt.Sprintf("(logs of %s/%s: %v)", namespace, name, err)
	}
	return string(raw)
}

// dumpState logs what a failed run needs for diagnosis: every pod, recent
// events and the node's kubelet journal.
func dumpState(t *testing.T, cs *kubernetes.Clientset, s settings) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if pods, err := cs.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{}); err != nil {
		t.Logf("listing pods: %v", err)
	} else {
		for i := range pods.Items {
			t.Logf("pod %s/%s", pods.Items[i].Namespace, podSummary(&pods.Items[i]))
		}
	}
	if events, err := cs.CoreV1().Events(metav1.NamespaceAll).List(ctx, metav1.ListOptions{}); err != nil {
		t.Logf("listing events: %v", err)
	} else {
		for _, e := range events.Items {
			t.Logf("event %s %s/%s: %s %s", e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
	t.Logf("kubelet journal (tail):\n%s", engineOutput(ctx, s.provider, "exec", s.cluster+"-control-plane",
		"journalctl", "-u", "kubelet", "--no-pager", "-n", "60"))
}
