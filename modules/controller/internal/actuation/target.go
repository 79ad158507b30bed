package actuation

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
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

// Resolve reads the scale of ref in namespace. A Deployment or StatefulSet
// of apps/v1 is read from workloads (a cache; nil: none), its scale taken
// from it as the API server's /scale subresource takes it; any other kind,
// or one the cache does not hold (yet), is read through its /scale
// subresource with c. Errors wrap ErrTargetNotFound or ErrTargetNotScalable
// when the target is at fault; anything else (API unavailable, forbidden, the
// cache failed) is returned as is.
func Resolve(ctx context.Context, c client.Client, workloads client.Reader, namespace string, ref v1alpha1.ScaleTargetRef) (*Target, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("%w: apiVersion %q: %w", ErrTargetNotScalable, ref.APIVersion, err)
	}
	t := &Target{GVK: gv.WithKind(ref.Kind), Namespace: namespace, Name: ref.Name}
	scale, err := cachedScale(ctx, workloads, t)
	if err != nil {
		return nil, err
	}
	if scale == nil {
		if scale, err = getScale(ctx, c, t.object()); err != nil {
			return nil, resolveError(err, t)
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

// resolveError classifies a failed /scale read of t.
func resolveError(err error, t *Target) error {
	switch {
	case meta.IsNoMatchError(err):
		return fmt.Errorf("%w: kind %s is not served by the API server", ErrTargetNotScalable, t.GVK)
	case apierrors.IsNotFound(err) && notFoundIsObject(err, t.Name):
		return fmt.Errorf("%w: %s %s/%s", ErrTargetNotFound, t.GVK.Kind, t.Namespace, t.Name)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%w: %s has no /scale subresource", ErrTargetNotScalable, t.GVK)
	default:
		return fmt.Errorf("reading /scale of %s %s/%s: %w", t.GVK.Kind, t.Namespace, t.Name, err)
	}
}

// Kinds whose scale Resolve takes from the workload cache.
var (
	deploymentGVK  = appsv1.SchemeGroupVersion.WithKind("Deployment")
	statefulSetGVK = appsv1.SchemeGroupVersion.WithKind("StatefulSet")
)

// cachedScale returns t's scale from workloads, or nil when t must be read
// through /scale: no cache, another kind, or not in the cache. A target the
// cache does not hold is read through the API rather than reported missing:
// it may have been created a moment ago, and the API is the authority.
func cachedScale(ctx context.Context, workloads client.Reader, t *Target) (*autoscalingv1.Scale, error) {
	if workloads == nil {
		return nil, nil
	}
	var obj client.Object
	switch t.GVK {
	case deploymentGVK:
		obj = &appsv1.Deployment{}
	case statefulSetGVK:
		obj = &appsv1.StatefulSet{}
	default:
		return nil, nil
	}
	err := workloads.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Name}, obj)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s %s/%s from the cache: %w", t.GVK.Kind, t.Namespace, t.Name, err)
	}
	return ScaleOf(obj)
}

// ScaleOf is the /scale subresource the API server serves for a Deployment
// or StatefulSet: its identity and resourceVersion, spec.replicas (1 when
// unset, the API's default), status.replicas and the selector in its string
// form.
func ScaleOf(obj client.Object) (*autoscalingv1.Scale, error) {
	var (
		replicas *int32
		observed int32
		selector *metav1.LabelSelector
	)
	switch o := obj.(type) {
	case *appsv1.Deployment:
		replicas, observed, selector = o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	case *appsv1.StatefulSet:
		replicas, observed, selector = o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	default:
		return nil, fmt.Errorf("%w: no scale for %T", ErrTargetNotScalable, obj)
	}
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return nil, fmt.Errorf("%w: selector of %T %s/%s: %w", ErrTargetNotScalable, obj, obj.GetNamespace(), obj.GetName(), err)
	}
	scale := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name: obj.GetName(), Namespace: obj.GetNamespace(), UID: obj.GetUID(),
			ResourceVersion: obj.GetResourceVersion(), CreationTimestamp: obj.GetCreationTimestamp(),
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: ptr.Deref(replicas, 1)},
		Status: autoscalingv1.ScaleStatus{Replicas: observed, Selector: sel.String()},
	}
	return scale, nil
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
