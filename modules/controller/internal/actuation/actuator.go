package actuation

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Actuator applies a variant's desired replicas.
type Actuator interface {
	// Apply brings the target to desired replicas and reports whether it
	// changed anything.
	Apply(ctx context.Context, t *Target, desired int32) (changed bool, err error)
}

// ScaleSubresource writes spec.replicas through the target's /scale
// subresource. The update carries the resourceVersion Resolve read, so a
// concurrent change (a user, a rollout) makes it fail with a conflict instead
// of being overwritten; the reconcile is then retried with fresh data.
type ScaleSubresource struct {
	Client client.Client
}

var _ Actuator = (*ScaleSubresource)(nil)

// Apply implements Actuator.
func (a *ScaleSubresource) Apply(ctx context.Context, t *Target, desired int32) (bool, error) {
	if t.Scale.Spec.Replicas == desired {
		return false, nil
	}
	scale := t.Scale.DeepCopy()
	scale.Spec.Replicas = desired
	if err := updateScale(ctx, a.Client, t.object(), scale); err != nil {
		return false, fmt.Errorf("scaling %s %s/%s to %d replicas: %w", t.GVK.Kind, t.Namespace, t.Name, desired, err)
	}
	t.Scale = scale
	return true, nil
}

// MetricsOnly leaves the target alone: the desired replicas reach it through
// the wva_desired_replicas gauge, which an HPA or KEDA scales on.
type MetricsOnly struct{}

var _ Actuator = MetricsOnly{}

// Apply implements Actuator; it never changes the target.
func (MetricsOnly) Apply(context.Context, *Target, int32) (bool, error) { return false, nil }
