package actuation

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/controller/internal/scaletest"
)

var deploymentRef = v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "granite"}

// scaleClient serves scale (and fails every read with getErr, if set)
// through the shared /scale fake.
func scaleClient(scale *autoscalingv1.Scale, getErr error) (client.Client, *scaletest.Fake) {
	f := scaletest.New()
	f.Set(scale)
	f.FailGets(getErr)
	return fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithInterceptorFuncs(f.Funcs()).Build(), f
}

func scaleOf(selector string) *autoscalingv1.Scale {
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "granite", ResourceVersion: "4"},
		Spec:       autoscalingv1.ScaleSpec{Replicas: 3},
		Status:     autoscalingv1.ScaleStatus{Replicas: 3, Selector: selector},
	}
}

func TestResolve(t *testing.T) {
	cases := map[string]struct {
		ref          v1alpha1.ScaleTargetRef
		scale        *autoscalingv1.Scale
		getErr       error
		wantErr      error
		wantSelector string
	}{
		"found":              {ref: deploymentRef, scale: scaleOf("app=granite,tier in (gpu)"), wantSelector: "app=granite,tier in (gpu)"},
		"found, no selector": {ref: deploymentRef, scale: scaleOf("")},
		"missing object":     {ref: v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "other"}, scale: scaleOf(""), wantErr: ErrTargetNotFound},
		"bad selector":       {ref: deploymentRef, scale: scaleOf("app in (a"), wantErr: ErrTargetNotScalable},
		"bad apiVersion":     {ref: v1alpha1.ScaleTargetRef{APIVersion: "a/b/c", Kind: "Deployment", Name: "granite"}, scale: scaleOf(""), wantErr: ErrTargetNotScalable},
		"unknown kind":       {ref: deploymentRef, scale: scaleOf(""), getErr: &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}}, wantErr: ErrTargetNotScalable},
		"no /scale route":    {ref: deploymentRef, scale: scaleOf(""), getErr: &apierrors.StatusError{ErrStatus: metav1.Status{Reason: metav1.StatusReasonNotFound, Code: 404, Details: &metav1.StatusDetails{Name: "scale"}}}, wantErr: ErrTargetNotScalable},
		"API server failing": {ref: deploymentRef, scale: scaleOf(""), getErr: apierrors.NewServiceUnavailable("down")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, _ := scaleClient(tc.scale, tc.getErr)
			target, err := Resolve(context.Background(), c, nil, "ns", tc.ref)
			switch {
			case tc.getErr != nil && tc.wantErr == nil:
				if !errors.Is(err, tc.getErr) || errors.Is(err, ErrTargetNotFound) || errors.Is(err, ErrTargetNotScalable) {
					t.Errorf("error = %v, want the API error unclassified", err)
				}
				return
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("error = %v, want %v", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("Resolve: %v", err)
			}
			if diff := cmp.Diff(appsv1.SchemeGroupVersion.WithKind("Deployment"), target.GVK); diff != "" {
				t.Errorf("GVK: -want +got:\n%s", diff)
			}
			gotSelector := ""
			if target.Selector != nil {
				gotSelector = target.Selector.String()
			}
			if diff := cmp.Diff(tc.wantSelector, gotSelector); diff != "" {
				t.Errorf("selector: -want +got:\n%s", diff)
			}
			if target.Replicas() != 3 {
				t.Errorf("Replicas() = %d, want 3", target.Replicas())
			}
		})
	}
}

func TestScaleSubresourceApply(t *testing.T) {
	c, scales := scaleClient(scaleOf("app=granite"), nil)
	target, err := Resolve(context.Background(), c, nil, "ns", deploymentRef)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	a := &ScaleSubresource{Client: c}

	changed, err := a.Apply(context.Background(), target, 3)
	if err != nil || changed {
		t.Errorf("Apply(3) on 3 replicas = (%t, %v), want (false, nil)", changed, err)
	}
	changed, err = a.Apply(context.Background(), target, 4)
	if err != nil || !changed {
		t.Errorf("Apply(4) = (%t, %v), want (true, nil)", changed, err)
	}
	if diff := cmp.Diff([]string{"ns/granite=4"}, scales.Updates()); diff != "" {
		t.Errorf("updates: -want +got:\n%s", diff)
	}
	// The update moved the target on: a write from what was read before it
	// is stale.
	if _, err := a.Apply(context.Background(), target, 2); !apierrors.IsConflict(err) {
		t.Errorf("Apply with a stale resourceVersion: error = %v, want Conflict", err)
	}

	changed, err = MetricsOnly{}.Apply(context.Background(), target, 9)
	if err != nil || changed {
		t.Errorf("MetricsOnly.Apply = (%t, %v), want (false, nil)", changed, err)
	}
}

// TestResolveFromTheWorkloadCache: Deployments and StatefulSets the cache
// holds are resolved without an API read; any other kind, or a target the
// cache does not hold, is read through /scale; a failing cache is an error
// of its own, not a missing target.
func TestResolveFromTheWorkloadCache(t *testing.T) {
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "granite"}}
	meta := metav1.ObjectMeta{Namespace: "ns", Name: "granite", UID: "u1", ResourceVersion: "17"}
	deployment := &appsv1.Deployment{ObjectMeta: meta,
		Spec:   appsv1.DeploymentSpec{Replicas: ptr.To(int32(4)), Selector: selector},
		Status: appsv1.DeploymentStatus{Replicas: 3}}
	statefulSet := &appsv1.StatefulSet{ObjectMeta: meta,
		Spec:   appsv1.StatefulSetSpec{Replicas: ptr.To(int32(2)), Selector: selector},
		Status: appsv1.StatefulSetStatus{Replicas: 2}}
	defaulted := &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Selector: selector}}
	served := scaleOf("app=granite") // what /scale answers: 3 replicas, resourceVersion 4
	lws := v1alpha1.ScaleTargetRef{APIVersion: "leaderworkerset.x-k8s.io/v1", Kind: "LeaderWorkerSet", Name: "granite"}
	sts := v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "granite"}
	cacheDown := errors.New("cache of namespace ns did not sync")

	cases := map[string]struct {
		ref          v1alpha1.ScaleTargetRef
		cached       []client.Object
		cacheErr     error
		wantGets     int
		wantReplicas int32
		wantRV       string
		wantErr      error
	}{
		"Deployment in the cache":  {ref: deploymentRef, cached: []client.Object{deployment}, wantReplicas: 4, wantRV: "17"},
		"StatefulSet in the cache": {ref: sts, cached: []client.Object{statefulSet}, wantReplicas: 2, wantRV: "17"},
		"replicas unset: 1":        {ref: deploymentRef, cached: []client.Object{defaulted}, wantReplicas: 1, wantRV: "17"},
		"not in the cache (yet)":   {ref: deploymentRef, wantGets: 1, wantReplicas: 3, wantRV: "4"},
		"another kind":             {ref: lws, cached: []client.Object{deployment}, wantGets: 1, wantReplicas: 3, wantRV: "4"},
		"the cache fails":          {ref: deploymentRef, cacheErr: cacheDown, wantErr: cacheDown},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			workloads := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(tc.cached...).
				WithInterceptorFuncs(interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
					if tc.cacheErr != nil {
						return tc.cacheErr
					}
					return c.Get(ctx, key, obj, opts...)
				}}).Build()
			c, fakeScales := scaleClient(served, nil)
			target, err := Resolve(context.Background(), c, workloads, "ns", tc.ref)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || errors.Is(err, ErrTargetNotFound) || errors.Is(err, ErrTargetNotScalable) {
					t.Errorf("error = %v, want the cache's error unclassified", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			got := struct {
				Gets     int
				Replicas int32
				RV       string
				Selector string
			}{fakeScales.Gets(), target.Replicas(), target.Scale.ResourceVersion, target.Selector.String()}
			want := struct {
				Gets     int
				Replicas int32
				RV       string
				Selector string
			}{tc.wantGets, tc.wantReplicas, tc.wantRV, "app=granite"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

func TestScaleOf(t *testing.T) {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "granite", UID: "u1", ResourceVersion: "17"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(4)), Selector: &metav1.LabelSelector{
			MatchLabels:      map[string]string{"app": "granite"},
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"gpu"}}},
		}},
		Status: appsv1.DeploymentStatus{Replicas: 3},
	}
	got, err := ScaleOf(d)
	if err != nil {
		t.Fatal(err)
	}
	want := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "granite", UID: "u1", ResourceVersion: "17"},
		Spec:       autoscalingv1.ScaleSpec{Replicas: 4},
		Status:     autoscalingv1.ScaleStatus{Replicas: 3, Selector: "app=granite,tier in (gpu)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ScaleOf: -want +got:\n%s", diff)
	}
	if _, err := ScaleOf(&appsv1.DaemonSet{}); !errors.Is(err, ErrTargetNotScalable) {
		t.Errorf("ScaleOf(DaemonSet) error = %v, want ErrTargetNotScalable", err)
	}
	bad := d.DeepCopy()
	bad.Spec.Selector.MatchExpressions[0].Operator = "Near"
	if _, err := ScaleOf(bad); !errors.Is(err, ErrTargetNotScalable) {
		t.Errorf("ScaleOf(bad selector) error = %v, want ErrTargetNotScalable", err)
	}
}
