// Package scaletest is the one fake /scale subresource of the controller's
// unit tests: interceptor functions for controller-runtime's fake client
// that serve and record the /scale of any target, as the API server does
// (a resourceVersion that moves on every update, a conflict for a stale
// one). The fake client's own /scale formats selectors in a way
// labels.Parse rejects, and knows no custom resources.
package scaletest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// scaleGVK is what a /scale read returns.
var scaleGVK = autoscalingv1.SchemeGroupVersion.WithKind("Scale")

// Fake holds the /scale of the targets a test declares, by "namespace/name".
// It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	scales  map[string]*autoscalingv1.Scale
	updates []string // "namespace/name=replicas", in order
	gets    int
	getErr  error
	updErr  error
}

// New returns a Fake that serves no target.
func New() *Fake { return &Fake{scales: map[string]*autoscalingv1.Scale{}} }

// Set serves scale for its namespace and name (a copy).
func (f *Fake) Set(scale *autoscalingv1.Scale) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scales[scale.Namespace+"/"+scale.Name] = scale.DeepCopy()
}

// SetReplicas serves a target with replicas desired and observed, the
// selector app=<name> and resourceVersion 1.
func (f *Fake) SetReplicas(namespace, name string, replicas int32) {
	f.Set(&autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, ResourceVersion: "1"},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
		Status:     autoscalingv1.ScaleStatus{Replicas: replicas, Selector: "app=" + name},
	})
}

// Scale returns the /scale served for namespace/name (a copy), or nil.
func (f *Fake) Scale(namespace, name string) *autoscalingv1.Scale {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.scales[namespace+"/"+name]; ok {
		return s.DeepCopy()
	}
	return nil
}

// Gets is how many /scale reads were served (failed ones included).
func (f *Fake) Gets() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets
}

// Updates are the accepted /scale updates, "namespace/name=replicas".
func (f *Fake) Updates() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.updates...)
}

// FailGets makes every /scale read fail with err (nil: serve again).
func (f *Fake) FailGets(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getErr = err
}

// FailUpdates makes every /scale update fail with err (nil: accept again).
func (f *Fake) FailUpdates(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updErr = err
}

// Funcs are the interceptor functions that serve /scale; other
// subresources go to the fake client. Merge them with a test's own
// (interceptor.Funcs fields left nil call through).
func (f *Fake) Funcs() interceptor.Funcs {
	return interceptor.Funcs{SubResourceGet: f.get, SubResourceUpdate: f.update}
}

func (f *Fake) get(ctx context.Context, c client.Client, sub string, obj, out client.Object, opts ...client.SubResourceGetOption) error {
	if sub != "scale" {
		return c.SubResource(sub).Get(ctx, obj, out, opts...)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.getErr != nil {
		return f.getErr
	}
	s, ok := f.scales[obj.GetNamespace()+"/"+obj.GetName()]
	if !ok {
		return apierrors.NewNotFound(resourceOf(obj), obj.GetName())
	}
	u, ok := out.(*unstructured.Unstructured)
	if !ok {
		return fmt.Errorf("scaletest: /scale read into %T, want *unstructured.Unstructured", out)
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(s)
	if err != nil {
		return err
	}
	u.Object = m
	u.SetGroupVersionKind(scaleGVK)
	return nil
}

func (f *Fake) update(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if sub != "scale" {
		return c.SubResource(sub).Update(ctx, obj, opts...)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.updErr != nil {
		return f.updErr
	}
	u, ok := (&client.SubResourceUpdateOptions{}).ApplyOptions(opts).SubResourceBody.(*unstructured.Unstructured)
	if !ok {
		return fmt.Errorf("scaletest: /scale update without an unstructured body")
	}
	body := &autoscalingv1.Scale{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, body); err != nil {
		return err
	}
	key := obj.GetNamespace() + "/" + obj.GetName()
	cur, ok := f.scales[key]
	switch {
	case !ok:
		return apierrors.NewNotFound(resourceOf(obj), obj.GetName())
	case body.ResourceVersion != "" && body.ResourceVersion != cur.ResourceVersion:
		return apierrors.NewConflict(resourceOf(obj), obj.GetName(),
			fmt.Errorf("resourceVersion %s is stale, the object is at %s", body.ResourceVersion, cur.ResourceVersion))
	}
	next := cur.DeepCopy()
	next.Spec.Replicas = body.Spec.Replicas
	rv, _ := strconv.Atoi(cur.ResourceVersion)
	next.ResourceVersion = strconv.Itoa(rv + 1)
	f.scales[key] = next
	f.updates = append(f.updates, key+"="+strconv.Itoa(int(body.Spec.Replicas)))
	return nil
}

// resourceOf names obj's resource for errors: the kind, lowercased and
// pluralised the simple way (deployments, statefulsets).
func resourceOf(obj client.Object) schema.GroupResource {
	gvk := obj.GetObjectKind().GroupVersionKind()
	return schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind) + "s"}
}
