//go:build integration

package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/wva-project/wva/modules/controller/internal/actuation"
	"github.com/wva-project/wva/modules/controller/internal/app"
	"github.com/wva-project/wva/modules/controller/internal/workloadcache"
)

// TestWorkloadCacheHoldsOnlyNamespacesInUse checks that the workload cache
// watches the namespaces it is asked about and nothing else: pods and
// workloads elsewhere never reach the controller's memory.
func TestWorkloadCacheHoldsOnlyNamespacesInUse(t *testing.T) {
	used, foreign := namespace(t, "pods-used"), namespace(t, "pods-foreign")
	create(t, pod(used, "granite", 0))
	create(t, pod(foreign, "other", 0))
	create(t, deployment(foreign, "other", 1))

	scheme, err := app.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	httpClient, err := rest.HTTPClientFor(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(restConfig, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	pc := workloadcache.New(restConfig, httpClient, scheme, mapper)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pc.List(ctx, &corev1.PodList{}, client.InNamespace(used)); !errors.Is(err, workloadcache.ErrNotStarted) {
		t.Fatalf("List before Start: got %v, want ErrNotStarted", err)
	}
	done := make(chan error, 1)
	go func() { done <- pc.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("workload cache stopped with error: %v", err)
		}
	}()
	eventually(t, 10*time.Second, "workload cache started", func() string {
		if err := pc.List(ctx, &corev1.PodList{}, client.InNamespace(used)); errors.Is(err, workloadcache.ErrNotStarted) {
			return err.Error()
		}
		return ""
	})

	pods := &corev1.PodList{}
	if err := pc.List(ctx, pods, client.InNamespace(used)); err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 1 || pods.Items[0].Name != "granite-0" {
		t.Errorf("pods of %s: got %d, want granite-0", used, len(pods.Items))
	}
	if got := pc.Namespaces(); got != 1 {
		t.Errorf("namespace caches: got %d, want 1 (only %s)", got, used)
	}
	if err := pc.List(ctx, pods, client.InNamespace("")); !errors.Is(err, workloadcache.ErrNoNamespace) {
		t.Errorf("List without a namespace: got %v, want ErrNoNamespace", err)
	}

	// A pod created later reaches the cache through its watch.
	create(t, pod(used, "granite", 1))
	eventually(t, 10*time.Second, "new pod in the cache", func() string {
		if err := pc.List(ctx, pods, client.InNamespace(used)); err != nil {
			return err.Error()
		}
		if len(pods.Items) != 2 {
			return "pods cached: " + pods.Items[0].Name
		}
		return ""
	})

	// A Deployment of the namespace in use is cached (slimmed), one of the
	// foreign namespace is not.
	create(t, deployment(used, "granite", 2))
	eventually(t, 10*time.Second, "Deployment in the cache", func() string {
		d := &appsv1.Deployment{}
		if err := pc.Get(ctx, client.ObjectKey{Namespace: used, Name: "granite"}, d); err != nil {
			return err.Error()
		}
		if len(d.Spec.Template.Spec.Containers) != 0 {
			return "the cached Deployment kept its pod template"
		}
		return ""
	})
	deployments := &appsv1.DeploymentList{}
	if err := pc.List(ctx, deployments, client.InNamespace(used)); err != nil {
		t.Fatal(err)
	}
	if len(deployments.Items) != 1 {
		t.Errorf("Deployments of %s: got %d, want granite only", used, len(deployments.Items))
	}
	if got := pc.Namespaces(); got != 1 {
		t.Errorf("namespace caches: got %d, want 1 (only %s)", got, used)
	}

	pc.Forget(used)
	if got := pc.Namespaces(); got != 0 {
		t.Errorf("namespace caches after Forget: got %d, want 0", got)
	}
}

// TestScaleOfMatchesTheAPIServer: the scale the controller takes from a
// cached Deployment or StatefulSet is the one the API server's /scale
// subresource serves for it, so that reading the cache instead changes
// nothing a pass decides, and a scale update carries a resourceVersion the
// API server accepts.
func TestScaleOfMatchesTheAPIServer(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "scaleof")
	d := deployment(ns, "granite", 3)
	d.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"gpu", "l4"}}}
	d.Spec.Template.Labels["tier"] = "gpu"
	create(t, d)
	labels := map[string]string{"app": "mistral"}
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mistral"},
		Spec: appsv1.StatefulSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "vllm", Image: "vllm/vllm-openai:latest"}}},
			},
		},
	}
	create(t, s) // replicas unset: the API defaults them to 1
	for _, obj := range []client.Object{d, s} {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatal(err)
		}
		served := &autoscalingv1.Scale{}
		if err := k8s.SubResource("scale").Get(ctx, obj, served); err != nil {
			t.Fatalf("reading /scale of %s: %v", obj.GetName(), err)
		}
		got, err := actuation.ScaleOf(obj)
		if err != nil {
			t.Fatal(err)
		}
		served.TypeMeta = metav1.TypeMeta{}
		if diff := cmp.Diff(served, got); diff != "" {
			t.Errorf("ScaleOf(%T %s): -served +ScaleOf:\n%s", obj, obj.GetName(), diff)
		}
		// An update with that resourceVersion is accepted.
		got.Spec.Replicas = 2
		if err := k8s.SubResource("scale").Update(ctx, obj, client.WithSubResourceBody(got)); err != nil {
			t.Errorf("scale update with ScaleOf's resourceVersion: %v", err)
		}
	}
}
