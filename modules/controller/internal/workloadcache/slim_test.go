package workloadcache

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func TestSlim(t *testing.T) {
	now := metav1.Now()
	full := metav1.ObjectMeta{
		Name: "granite", Namespace: "ns", UID: types.UID("u"), ResourceVersion: "9", Generation: 3,
		Labels: map[string]string{"app": "granite"}, Annotations: map[string]string{"big": "annotation"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}, DeletionTimestamp: &now,
	}
	slim := metav1.ObjectMeta{
		Name: "granite", Namespace: "ns", UID: types.UID("u"), ResourceVersion: "9", Generation: 3,
		Labels: map[string]string{"app": "granite"}, DeletionTimestamp: &now,
	}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "granite"}}
	template := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "vllm", Image: "vllm", Env: []corev1.EnvVar{{Name: "HF_TOKEN", Value: "secret"}},
	}}}}
	other := &corev1.ConfigMap{}
	tests := []struct {
		name      string
		transform func(any) (any, error)
		in, want  any
	}{
		{
			name:      "pod: phase and the Ready condition",
			transform: slimPod,
			in: &corev1.Pod{ObjectMeta: full,
				Spec: corev1.PodSpec{Containers: template.Spec.Containers},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1", Conditions: []corev1.PodCondition{
					{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
					{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now, Message: "long"},
				}}},
			want: &corev1.Pod{ObjectMeta: slim, Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			}}},
		},
		{
			name:      "Deployment: what /scale serves, no pod template",
			transform: slimDeployment,
			in: &appsv1.Deployment{ObjectMeta: full,
				Spec:   appsv1.DeploymentSpec{Replicas: ptr.To(int32(4)), Selector: selector, Template: template},
				Status: appsv1.DeploymentStatus{Replicas: 3, ReadyReplicas: 2}},
			want: &appsv1.Deployment{ObjectMeta: slim,
				Spec:   appsv1.DeploymentSpec{Replicas: ptr.To(int32(4)), Selector: selector},
				Status: appsv1.DeploymentStatus{Replicas: 3}},
		},
		{
			name:      "StatefulSet: what /scale serves, no pod template",
			transform: slimStatefulSet,
			in: &appsv1.StatefulSet{ObjectMeta: full,
				Spec:   appsv1.StatefulSetSpec{Replicas: ptr.To(int32(2)), Selector: selector, Template: template, ServiceName: "granite"},
				Status: appsv1.StatefulSetStatus{Replicas: 2, ReadyReplicas: 1}},
			want: &appsv1.StatefulSet{ObjectMeta: slim,
				Spec:   appsv1.StatefulSetSpec{Replicas: ptr.To(int32(2)), Selector: selector},
				Status: appsv1.StatefulSetStatus{Replicas: 2}},
		},
		{name: "pod transform, other kind: untouched", transform: slimPod, in: other, want: other},
		{name: "Deployment transform, other kind: untouched", transform: slimDeployment, in: other, want: other},
		{name: "StatefulSet transform, other kind: untouched", transform: slimStatefulSet, in: other, want: other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.transform(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}
