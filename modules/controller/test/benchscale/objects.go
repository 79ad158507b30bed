package main

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

const (
	// configNamespace holds capacity-scaling-config.
	configNamespace = "wva-bench-config"
	// vaNamespace holds the VariantAutoscalings and their Deployments.
	vaNamespace = "wva-bench"
	// variantsPerModel: VariantAutoscalings i and i+1 share a model, as the
	// variants of one model do (two accelerator types, say).
	variantsPerModel = 2
)

func variantName(i int) string { return fmt.Sprintf("variant-%05d", i) }

// workload returns n Deployments (one replica, reached through /scale) and
// their VariantAutoscalings.
func workload(n int) []client.Object {
	objs := make([]client.Object, 0, 2*n)
	for i := range n {
		name := variantName(i)
		objs = append(objs, deployment(vaNamespace, name, "vllm/vllm-openai:latest"), &v1alpha1.VariantAutoscaling{
			ObjectMeta: metav1.ObjectMeta{Namespace: vaNamespace, Name: name},
			Spec: v1alpha1.VariantAutoscalingSpec{
				ScaleTargetRef: v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
				ModelID:        fmt.Sprintf("model-%05d", i/variantsPerModel),
			},
		})
	}
	return objs
}

// capacityConfig is capacity-scaling-config with a default entry.
func capacityConfig(kvCacheThreshold string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: configNamespace, Name: options.DefaultConfigMapName},
		Data:       map[string]string{"default": "kvCacheThreshold: " + kvCacheThreshold + "\n"},
	}
}

func foreignNamespace(i int) string { return fmt.Sprintf("foreign-%02d", i) }

// deployment is a Deployment of one replica whose pods are labelled
// app=<name>.
func deployment(namespace, name, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
			},
		},
	}
}

// foreign returns configMaps ConfigMaps of 10 KB, pods pods and deployments
// Deployments, spread over namespaces other than the controller's and its
// VariantAutoscalings'.
func foreign(namespaces, configMaps, pods, deployments int) []client.Object {
	payload := strings.Repeat("x", 10*1024)
	objs := make([]client.Object, 0, configMaps+pods+deployments)
	for i := range deployments {
		objs = append(objs, deployment(foreignNamespace(i%namespaces), fmt.Sprintf("deploy-%05d", i), "registry.example/app:1"))
	}
	for i := range configMaps {
		objs = append(objs, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: foreignNamespace(i % namespaces), Name: fmt.Sprintf("cm-%05d", i)},
			Data:       map[string]string{"payload": payload},
		})
	}
	for i := range pods {
		name := fmt.Sprintf("pod-%05d", i)
		objs = append(objs, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: foreignNamespace(i % namespaces), Name: name, Labels: map[string]string{"app": name}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
		})
	}
	return objs
}
