package scaletest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func target(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("Deployment"))
	u.SetNamespace("ns")
	u.SetName(name)
	return u
}

func read(t *testing.T, c client.Client, name string) (*autoscalingv1.Scale, error) {
	t.Helper()
	out := &unstructured.Unstructured{}
	out.SetGroupVersionKind(scaleGVK)
	if err := c.SubResource("scale").Get(context.Background(), target(name), out); err != nil {
		return nil, err
	}
	s := &autoscalingv1.Scale{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(out.Object, s); err != nil {
		t.Fatal(err)
	}
	return s, nil
}

func write(c client.Client, name string, s *autoscalingv1.Scale) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(s)
	if err != nil {
		return err
	}
	body := &unstructured.Unstructured{Object: m}
	body.SetGroupVersionKind(scaleGVK)
	return c.SubResource("scale").Update(context.Background(), target(name), client.WithSubResourceBody(body))
}

// TestFake: reads serve what was set and count; an update moves the
// resourceVersion on, so that a write from an older read conflicts; a
// missing target is NotFound with its name; failures are injected.
func TestFake(t *testing.T) {
	f := New()
	f.SetReplicas("ns", "granite", 2)
	c := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithInterceptorFuncs(f.Funcs()).Build()

	got, err := read(t, c, "granite")
	if err != nil {
		t.Fatal(err)
	}
	want := f.Scale("ns", "granite")
	want.SetGroupVersionKind(scaleGVK)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read: -want +got:\n%s", diff)
	}
	if _, err := read(t, c, "other"); !apierrors.IsNotFound(err) {
		t.Errorf("reading a target not set: %v, want NotFound", err)
	}

	next := got.DeepCopy()
	next.Spec.Replicas = 3
	if err := write(c, "granite", next); err != nil {
		t.Fatalf("update from the current read: %v", err)
	}
	if got := f.Scale("ns", "granite"); got.Spec.Replicas != 3 || got.ResourceVersion != "2" {
		t.Errorf("after the update: replicas %d resourceVersion %s, want 3 and 2", got.Spec.Replicas, got.ResourceVersion)
	}
	if err := write(c, "granite", next); !apierrors.IsConflict(err) {
		t.Errorf("update from a stale read: %v, want Conflict", err)
	}
	if diff := cmp.Diff([]string{"ns/granite=3"}, f.Updates()); diff != "" {
		t.Errorf("updates: -want +got:\n%s", diff)
	}

	down := errors.New("etcd down")
	f.FailGets(down)
	if _, err := read(t, c, "granite"); !errors.Is(err, down) {
		t.Errorf("read with FailGets: %v, want %v", err, down)
	}
	f.FailUpdates(down)
	if err := write(c, "granite", f.Scale("ns", "granite")); !errors.Is(err, down) {
		t.Errorf("update with FailUpdates: %v, want %v", err, down)
	}
	if got := f.Gets(); got != 3 {
		t.Errorf("Gets() = %d, want 3 (failed ones included)", got)
	}
}
