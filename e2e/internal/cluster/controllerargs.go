package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/waits"
)

// ControllerArgs returns the args of the controller's manager container.
func (s *Suite) ControllerArgs(ctx context.Context) ([]string, error) {
	d, err := s.controllerDeployment(ctx)
	if err != nil {
		return nil, err
	}
	i, err := managerContainer(d)
	if err != nil {
		return nil, err
	}
	return slices.Clone(d.Spec.Template.Spec.Containers[i].Args), nil
}

// SetControllerArgs sets the manager container's args, if they differ, and
// waits until the controller has rolled out onto them. It records whether
// the new pod started with the ConfigMap, as StartController does.
func (s *Suite) SetControllerArgs(ctx context.Context, args []string, timeout time.Duration) (time.Duration, error) {
	changed := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := s.controllerDeployment(ctx)
		if err != nil {
			return err
		}
		i, err := managerContainer(d)
		if err != nil {
			return err
		}
		if slices.Equal(d.Spec.Template.Spec.Containers[i].Args, args) {
			return nil
		}
		d.Spec.Template.Spec.Containers[i].Args = slices.Clone(args)
		// Update carries the resourceVersion read above.
		_, err = s.Kube.AppsV1().Deployments(manifests.Namespace).Update(ctx, d, metav1.UpdateOptions{FieldManager: FieldManager})
		changed = err == nil
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("setting the controller's args to %q: %w", args, err)
	}
	if changed {
		exists, err := s.ConfigMapExists(ctx)
		if err != nil {
			return 0, err
		}
		s.Mu.Lock()
		s.StartedWithConfigMap = exists
		s.Mu.Unlock()
	}
	return apply.WaitDeploymentAvailable(ctx, s.Kube, manifests.Namespace, manifests.DeploymentName, timeout, waits.Rollout)
}

func managerContainer(d *appsv1.Deployment) (int, error) {
	for i, c := range d.Spec.Template.Spec.Containers {
		if c.Name == manifests.ContainerName {
			return i, nil
		}
	}
	return 0, fmt.Errorf("deployment %s/%s has no container %q", d.Namespace, d.Name, manifests.ContainerName)
}

// WithFlags returns args with each of flags ("--name=value") in place of any
// earlier value of the same flag ("--name=..." or "--name" "...").
func WithFlags(args []string, flags ...string) []string {
	out := slices.Clone(args)
	for _, f := range flags {
		name, _, _ := strings.Cut(f, "=")
		kept := out[:0:0]
		for i := 0; i < len(out); i++ {
			switch {
			case strings.HasPrefix(out[i], name+"="):
			case out[i] == name:
				i++ // and its value
			default:
				kept = append(kept, out[i])
			}
		}
		out = append(kept, f)
	}
	return out
}
