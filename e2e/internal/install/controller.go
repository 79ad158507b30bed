package install

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/poll"
)

// ControllerPods lists the pods of the controller Deployment (found by its
// selector), oldest first.
func ControllerPods(ctx context.Context, kube kubernetes.Interface) ([]corev1.Pod, error) {
	d, err := kube.AppsV1().Deployments(manifests.Namespace).Get(ctx, manifests.DeploymentName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s: %w", manifests.Namespace, manifests.DeploymentName, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector of Deployment %s: %w", d.Name, err)
	}
	pods, err := kube.CoreV1().Pods(manifests.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("listing controller pods: %w", err)
	}
	out := pods.Items
	slices.SortFunc(out, func(a, b corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	return out, nil
}

// ScaleController sets the controller Deployment's replicas through its
// /scale subresource, as fieldManager.
func ScaleController(ctx context.Context, kube kubernetes.Interface, replicas int32, fieldManager string) error {
	scale := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Namespace: manifests.Namespace, Name: manifests.DeploymentName},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	_, err := kube.AppsV1().Deployments(manifests.Namespace).UpdateScale(ctx, manifests.DeploymentName, scale, metav1.UpdateOptions{FieldManager: fieldManager})
	if err != nil {
		return fmt.Errorf("scaling %s/%s to %d: %w", manifests.Namespace, manifests.DeploymentName, replicas, err)
	}
	return nil
}

// WaitControllerGone waits until no pod of the controller exists and returns
// how long that took.
func WaitControllerGone(ctx context.Context, kube kubernetes.Interface, timeout, interval time.Duration) (time.Duration, error) {
	res, err := poll.Until(ctx, clock.RealClock{}, timeout, interval, func(ctx context.Context) (bool, string, error) {
		pods, err := ControllerPods(ctx, kube)
		if err != nil {
			return false, err.Error(), nil
		}
		return len(pods) == 0, PodSummary(pods), nil
	})
	if err != nil {
		return res.Elapsed, fmt.Errorf("controller pods still present: %w", err)
	}
	return res.Elapsed, nil
}

// RestartController scales the controller to 0, waits until its pods are
// gone, scales it back to replicas and waits until it is available. Unlike
// a rolling restart, no old pod is running when the new one starts (and
// reads the ConfigMap or uses a newly loaded image).
func RestartController(ctx context.Context, kube kubernetes.Interface, replicas int32, fieldManager string, timeout time.Duration) error {
	const interval = 250 * time.Millisecond
	if err := ScaleController(ctx, kube, 0, fieldManager); err != nil {
		return err
	}
	if _, err := WaitControllerGone(ctx, kube, timeout, interval); err != nil {
		return err
	}
	if err := ScaleController(ctx, kube, replicas, fieldManager); err != nil {
		return err
	}
	if _, err := apply.WaitDeploymentAvailable(ctx, kube, manifests.Namespace, manifests.DeploymentName, timeout, interval); err != nil {
		return err
	}
	return nil
}

// PodSummary describes pods in one line: name(phase[,terminating]) each.
func PodSummary(pods []corev1.Pod) string {
	if len(pods) == 0 {
		return "no pods"
	}
	parts := make([]string, 0, len(pods))
	for _, p := range pods {
		state := string(p.Status.Phase)
		if p.DeletionTimestamp != nil {
			state += ",terminating"
		}
		parts = append(parts, p.Name+"("+state+")")
	}
	return strings.Join(parts, " ")
}
