package actuation

import (
	"context"
	"errors"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Target is a resolved scale target: the workload and its /scale subresource.
type Target struct {
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
	// Scale is the target's /scale subresource as read; its resourceVersion
	// makes a later update conditional on nothing having changed since.
	Scale *autoscalingv1.Scale
	// Selector selects the target's pods (from scale.status.selector); nil
	// when the target does not publish one.
	Selector labels.Selector
}

// Replicas is the target's desired replicas (scale.spec.replicas).
func (t *Target) Replicas() int32 { return t.Scale.Spec.Replicas }

// object is the workload as an unstructured stub, enough for the client to
// find the REST mapping of its /scale subresource.
func (t *Target) object() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(t.GVK)
	u.SetNamespace(t.Namespace)
	u.SetName(t.Name)
	return u
}

// Errors a failed Resolve wraps, to be told apart with errors.Is.
var (
	// ErrTargetNotFound: the target object does not exist.
	ErrTargetNotFound = errors.New("scale target not found")
	// ErrTargetNotScalable: the kind is unknown or has no /scale subresource,
	// or its scale status carries an unparsable selector.
	ErrTargetNotScalable = errors.New("scale target is not scalable")
)

// Resolve reads the /scale subresource of ref in namespace. Errors wrap
// ErrTargetNotFound or ErrTargetNotScalable when the target is at fault;
// anything else (API unavailable, forbidden) is returned as is.
func Resolve(ctx context.Context, c client.Client, namespace string, ref v1alpha1.ScaleTargetRef) (*Target, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("%w: apiVersion %q: %w", ErrTargetNotScalable, ref.APIVersion, err)
	}
	t := &Target{GVK: gv.WithKind(ref.Kind), Namespace: namespace, Name: ref.Name}
	scale, err := getScale(ctx, c, t.object())
	if err != nil {
		switch {
		case meta.IsNoMatchError(err):
			return nil, fmt.Errorf("%w: kind %s is not served by the API server", ErrTargetNotScalable, t.GVK)
		case apierrors.IsNotFound(err) && notFoundIsObject(err, ref.Name):
			return nil, fmt.Errorf("%w: %s %s/%s", ErrTargetNotFound, ref.Kind, namespace, ref.Name)
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("%w: %s has no /scale subresource", ErrTargetNotScalable, t.GVK)
		default:
			return nil, fmt.Errorf("reading /scale of %s %s/%s: %w", ref.Kind, namespace, ref.Name, err)
		}
	}
	t.Scale = scale
	if scale.Status.Selector != "" {
		sel, err := labels.Parse(scale.Status.Selector)
		if err != nil {
			return nil, fmt.Errorf("%w: selector %q of %s %s/%s: %w",
				ErrTargetNotScalable, scale.Status.Selector, ref.Kind, namespace, ref.Name, err)
		}
		t.Selector = sel
	}
	return t, nil
}

// ScaleGVK is the kind the /scale subresource of every scalable resource serves.
var ScaleGVK = autoscalingv1.SchemeGroupVersion.WithKind("Scale")

// getScale reads the /scale subresource of obj. Both sides are unstructured
// because the target's kind may be unknown to the scheme (a custom resource);
// the result is converted to the typed Scale.
func getScale(ctx context.Context, c client.Client, obj *unstructured.Unstructured) (*autoscalingv1.Scale, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(ScaleGVK)
	if err := c.SubResource("scale").Get(ctx, obj, u); err != nil {
		return nil, err
	}
	scale := &autoscalingv1.Scale{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, scale); err != nil {
		return nil, fmt.Errorf("decoding /scale of %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return scale, nil
}

// updateScale writes scale through the /scale subresource of obj.
func updateScale(ctx context.Context, c client.Client, obj *unstructured.Unstructured, scale *autoscalingv1.Scale) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(scale)
	if err != nil {
		return fmt.Errorf("encoding /scale of %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	body := &unstructured.Unstructured{Object: m}
	body.SetGroupVersionKind(ScaleGVK)
	return c.SubResource("scale").Update(ctx, obj, client.WithSubResourceBody(body))
}

// notFoundIsObject tells a missing object (the API names it in the error
// details) from a missing /scale route (no details).
func notFoundIsObject(err error, name string) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	d := status.Status().Details
	return d == nil || d.Name == "" || d.Name == name
}
