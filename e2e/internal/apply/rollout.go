package apply

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/poll"
)

// WaitDeploymentAvailable waits until the Deployment namespace/name has
// rolled out: its controller observed the latest generation, every replica
// is updated and available, no old replica remains, and its Available
// condition is True. It returns how long that took; on timeout the error
// names the status last seen.
func WaitDeploymentAvailable(ctx context.Context, kube kubernetes.Interface, namespace, name string, timeout, interval time.Duration) (time.Duration, error) {
	res, err := poll.Until(ctx, clock.RealClock{}, timeout, interval, func(ctx context.Context) (bool, string, error) {
		d, err := kube.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Sprintf("get failed: %v", err), nil
		}
		done, summary := RolledOut(d)
		return done, summary, nil
	})
	if err != nil {
		return res.Elapsed, fmt.Errorf("deployment %s/%s not available: %w", namespace, name, err)
	}
	return res.Elapsed, nil
}

// RolledOut reports whether d has finished rolling out and is available,
// with a one-line summary of its status.
func RolledOut(d *appsv1.Deployment) (bool, string) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	available := corev1.ConditionUnknown
	reason := ""
	for _, c := range s.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			available, reason = c.Status, c.Reason
		}
	}
	summary := fmt.Sprintf("generation %d observed %d; replicas want %d, have %d, updated %d, available %d; Available=%s %s",
		d.Generation, s.ObservedGeneration, want, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas, available, reason)
	done := s.ObservedGeneration >= d.Generation &&
		s.UpdatedReplicas == want && s.Replicas == want && s.AvailableReplicas == want &&
		available == corev1.ConditionTrue
	return done, summary
}
