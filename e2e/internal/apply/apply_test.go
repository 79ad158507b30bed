package apply

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/wva-project/wva/e2e/internal/poll"
)

func obj(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

func TestSplitCRDs(t *testing.T) {
	objs := []*unstructured.Unstructured{
		obj("v1", "Namespace", "", "wva"),
		obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "variantautoscalings.llmd.ai"),
		obj("apps/v1", "Deployment", "wva", "wva-controller"),
		obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "others.example.com"),
		// Same kind name in another group is not a CRD.
		obj("example.com/v1", "CustomResourceDefinition", "", "impostor"),
	}
	crds, others := SplitCRDs(objs)
	if diff := cmp.Diff([]string{"variantautoscalings.llmd.ai", "others.example.com"}, names(crds)); diff != "" {
		t.Errorf("CRDs: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"wva", "wva-controller", "impostor"}, names(others)); diff != "" {
		t.Errorf("others: -want +got:\n%s", diff)
	}
}

func TestConditionStatus(t *testing.T) {
	cases := map[string]struct {
		conditions []any
		wantStatus string
		wantReason string
	}{
		"established": {
			conditions: []any{
				map[string]any{"type": "NamesAccepted", "status": "True", "reason": "NoConflicts"},
				map[string]any{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"},
			},
			wantStatus: "True", wantReason: "InitialNamesAccepted",
		},
		"not yet": {
			conditions: []any{map[string]any{"type": "Established", "status": "False", "reason": "Installing"}},
			wantStatus: "False", wantReason: "Installing",
		},
		"absent": {
			wantStatus: "Unknown", wantReason: "(no condition)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "x")
			if tc.conditions != nil {
				if err := unstructured.SetNestedSlice(u.Object, tc.conditions, "status", "conditions"); err != nil {
					t.Fatal(err)
				}
			}
			status, reason := conditionStatus(u, "Established")
			if status != tc.wantStatus || reason != tc.wantReason {
				t.Errorf("got %s %s, want %s %s", status, reason, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

func deployment(replicas int32, status appsv1.DeploymentStatus) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "wva", Name: "wva-controller", Generation: 2},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		Status:     status,
	}
}

func available(s corev1.ConditionStatus) []appsv1.DeploymentCondition {
	return []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: s, Reason: "MinimumReplicasAvailable"}}
}

func TestRolledOut(t *testing.T) {
	cases := map[string]struct {
		d    *appsv1.Deployment
		want bool
	}{
		"rolled out": {
			d:    deployment(1, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1, Conditions: available(corev1.ConditionTrue)}),
			want: true,
		},
		"scaled to zero": {
			d:    deployment(0, appsv1.DeploymentStatus{ObservedGeneration: 2, Conditions: available(corev1.ConditionTrue)}),
			want: true,
		},
		"generation not observed": {
			d: deployment(1, appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1, Conditions: available(corev1.ConditionTrue)}),
		},
		"old replica still there": {
			d: deployment(1, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 1, AvailableReplicas: 1, Conditions: available(corev1.ConditionTrue)}),
		},
		"not available": {
			d: deployment(1, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 1, UpdatedReplicas: 1, Conditions: available(corev1.ConditionFalse)}),
		},
		"no condition yet": {
			d: deployment(1, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, summary := RolledOut(tc.d)
			if got != tc.want {
				t.Errorf("RolledOut = %t (%s), want %t", got, summary, tc.want)
			}
		})
	}
}

func TestWaitDeploymentAvailable(t *testing.T) {
	ready := deployment(1, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1, Conditions: available(corev1.ConditionTrue)})
	if _, err := WaitDeploymentAvailable(t.Context(), fake.NewClientset(ready), "wva", "wva-controller", time.Second, 10*time.Millisecond); err != nil {
		t.Errorf("rolled-out Deployment: %v", err)
	}

	stuck := deployment(1, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 1, UpdatedReplicas: 1, Conditions: available(corev1.ConditionFalse)})
	_, err := WaitDeploymentAvailable(t.Context(), fake.NewClientset(stuck), "wva", "wva-controller", 30*time.Millisecond, 10*time.Millisecond)
	if !errors.Is(err, poll.ErrTimeout) {
		t.Errorf("stuck Deployment: got %v, want a timeout", err)
	}

	_, err = WaitDeploymentAvailable(t.Context(), fake.NewClientset(), "wva", "wva-controller", 30*time.Millisecond, 10*time.Millisecond)
	if !errors.Is(err, poll.ErrTimeout) {
		t.Errorf("missing Deployment: got %v, want a timeout", err)
	}
}

func names(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	return out
}
