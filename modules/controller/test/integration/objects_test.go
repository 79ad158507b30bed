//go:build integration

package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

func variantAutoscaling(namespace, name, modelID string) *v1alpha1.VariantAutoscaling {
	return &v1alpha1.VariantAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: v1alpha1.VariantAutoscalingSpec{
			ScaleTargetRef: v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			ModelID:        modelID,
		},
	}
}

func deployment(namespace, name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "vllm", Image: "vllm/vllm-openai:latest"}}},
			},
		},
	}
}

// pod is a pod of a Deployment's selector. envtest runs no controllers, so
// the tests create the pods a ReplicaSet would.
func pod(namespace, app string, i int) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("%s-%d", app, i), Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "vllm", Image: "vllm/vllm-openai:latest"}}},
	}
}

// createReadyPod creates a pod and marks it Running and Ready since
// readySince, as a kubelet would.
func createReadyPod(t *testing.T, namespace, app string, i int, readySince time.Time) {
	t.Helper()
	p := pod(namespace, app, i)
	create(t, p)
	if err := markReady(context.Background(), p, readySince); err != nil {
		t.Fatal(err)
	}
}

func markReady(ctx context.Context, p *corev1.Pod, readySince time.Time) error {
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(readySince)}}
	if err := k8s.Status().Update(ctx, p); err != nil {
		return fmt.Errorf("marking pod %s/%s Ready: %w", p.Namespace, p.Name, err)
	}
	return nil
}

func capacityConfigMap(namespace string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: options.DefaultConfigMapName},
		Data:       data,
	}
}

func getVA(t *testing.T, namespace, name string) *v1alpha1.VariantAutoscaling {
	t.Helper()
	va := &v1alpha1.VariantAutoscaling{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, va); err != nil {
		t.Fatalf("getting VariantAutoscaling %s/%s: %v", namespace, name, err)
	}
	return va
}

// appliedIs returns a check that the VA's status shows source and version.
func appliedIs(t *testing.T, namespace, name, source, version string) func() string {
	return func() string {
		va := getVA(t, namespace, name)
		a := va.Status.AppliedConfig
		if a.IsZero() {
			return fmt.Sprintf("%s/%s has no appliedConfig", namespace, name)
		}
		if a.Source != source || a.ConfigMapResourceVersion != version {
			return fmt.Sprintf("%s/%s applied source=%q resourceVersion=%q, want %q %q",
				namespace, name, a.Source, a.ConfigMapResourceVersion, source, version)
		}
		return ""
	}
}
