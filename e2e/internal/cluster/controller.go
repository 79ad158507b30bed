package cluster

import (
	"bytes"
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/install"
	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/zaplog"
)

// The controller runs in the cluster from its image; these helpers look at
// it only through the API: its Deployment, its pods and pods/log.

func (s *Suite) controllerDeployment(ctx context.Context) (*appsv1.Deployment, error) {
	d, err := s.Kube.AppsV1().Deployments(manifests.Namespace).Get(ctx, manifests.DeploymentName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s: %w", manifests.Namespace, manifests.DeploymentName, err)
	}
	return d, nil
}

// ControllerPods lists the pods of the controller Deployment, oldest first.
func (s *Suite) ControllerPods(ctx context.Context) ([]corev1.Pod, error) {
	return install.ControllerPods(ctx, s.Kube)
}

// CurrentControllerPod returns the controller's running pod that is not
// being deleted (the newest, should a rollout leave two).
func (s *Suite) CurrentControllerPod(ctx context.Context) (*corev1.Pod, error) {
	pods, err := s.ControllerPods(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(pods) - 1; i >= 0; i-- {
		p := pods[i]
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			return &p, nil
		}
	}
	return nil, fmt.Errorf("no running controller pod among %d: %s", len(pods), install.PodSummary(pods))
}

// ControllerLog reads the log of the manager container of pod through the
// API, with the runtime's timestamps, and returns the JSON entries written
// at or after since (all of them when since is zero).
func (s *Suite) ControllerLog(ctx context.Context, pod string, since time.Time) ([]zaplog.Entry, error) {
	opts := &corev1.PodLogOptions{Container: manifests.ContainerName, Timestamps: true}
	if !since.IsZero() {
		// sinceTime has a resolution of one second; Query.Since trims.
		opts.SinceTime = &metav1.Time{Time: since.Add(-time.Second)}
	}
	raw, err := s.Kube.CoreV1().Pods(manifests.Namespace).GetLogs(pod, opts).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("log of pod %s: %w", pod, err)
	}
	entries, _, err := zaplog.Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("log of pod %s: %w", pod, err)
	}
	return zaplog.Find(entries, zaplog.Query{Since: since}), nil
}

// ScaleController sets the controller Deployment's replicas.
func (s *Suite) ScaleController(ctx context.Context, replicas int32) error {
	return install.ScaleController(ctx, s.Kube, replicas, FieldManager)
}

// WaitControllerGone waits until no pod of the controller exists.
func (s *Suite) WaitControllerGone(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	return install.WaitControllerGone(ctx, s.Kube, timeout, waits.Rollout)
}

// StartController scales the controller back to its original replicas and
// waits until it is available, recording whether it starts with the
// ConfigMap present.
func (s *Suite) StartController(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	exists, err := s.ConfigMapExists(ctx)
	if err != nil {
		return 0, err
	}
	s.Mu.Lock()
	s.StartedWithConfigMap = exists
	s.Mu.Unlock()
	if err := s.ScaleController(ctx, s.controllerReplicas); err != nil {
		return 0, err
	}
	return apply.WaitDeploymentAvailable(ctx, s.Kube, manifests.Namespace, manifests.DeploymentName, timeout, waits.Rollout)
}

// RestartController scales the controller to 0, waits until its pod is
// gone, and scales it back. A scale to zero (rather than a rollout) makes
// sure the old pod has stopped before the new one reads the ConfigMap.
func (s *Suite) RestartController(ctx context.Context, timeout time.Duration) error {
	if err := s.ScaleController(ctx, 0); err != nil {
		return err
	}
	if _, err := s.WaitControllerGone(ctx, timeout); err != nil {
		return err
	}
	if _, err := s.StartController(ctx, timeout); err != nil {
		return err
	}
	return nil
}

func (s *Suite) ConfigMapExists(ctx context.Context) (bool, error) {
	_, err := s.Kube.CoreV1().ConfigMaps(manifests.Namespace).Get(ctx, manifests.ConfigMapName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("ConfigMap %s/%s: %w", manifests.Namespace, manifests.ConfigMapName, err)
	}
	return true, nil
}
