package wvactl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

const (
	configNamespace = "workload-variant-autoscaler-system"
	liveVersion     = "1234"
)

func liveConfigMap(namespace string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "capacity-scaling-config", Namespace: namespace, ResourceVersion: liveVersion},
		Data: map[string]string{
			"default":      "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n",
			"granite-prod": "model_id: ibm/granite-13b\nnamespace: production\nkvCacheThreshold: 0.70\nqueueSpareTrigger: 2\n",
		},
	}
}

func variant(name, namespace string, applied *v1alpha1.AppliedCapacityConfig) *v1alpha1.VariantAutoscaling {
	va := &v1alpha1.VariantAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.VariantAutoscalingSpec{
			ScaleTargetRef: v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			ModelID:        "ibm/granite-13b",
			MinReplicas:    ptr.To[int32](1),
		},
	}
	if applied != nil {
		va.Status.AppliedConfig = *applied
	}
	return va
}

// upToDate is the appliedConfig the controller writes for granite-l4 from
// liveConfigMap.
var upToDate = &v1alpha1.AppliedCapacityConfig{KvCacheThreshold: "0.70", QueueLengthThreshold: 5, KvSpareTrigger: "0.10",
	QueueSpareTrigger: 2, Source: "override/granite-prod", ConfigMapResourceVersion: liveVersion}

// scheduledConfigMap gives granite-prod a window, business-hours, from
// 08:00 to 18:00 UTC on weekdays: active at testNow.
func scheduledConfigMap() *corev1.ConfigMap {
	cm := liveConfigMap(configNamespace)
	cm.Data["granite-prod"] += "schedules:\n  - {name: business-hours, days: [Mon-Fri], start: \"08:00\", end: \"18:00\", " +
		"timeZone: UTC, kvCacheThreshold: 0.65}\n"
	return cm
}

// inWindow is the appliedConfig the controller writes for granite-l4 from
// scheduledConfigMap at testNow.
var inWindow = &v1alpha1.AppliedCapacityConfig{KvCacheThreshold: "0.65", QueueLengthThreshold: 5, KvSpareTrigger: "0.10",
	QueueSpareTrigger: 2, Source: "override/granite-prod#business-hours", ConfigMapResourceVersion: liveVersion,
	Window: "business-hours", WindowEnds: &metav1.Time{Time: time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)}}

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeCluster returns a NewClient that serves objs, with contextNamespace
// as the kubeconfig's namespace, and records the flags it was given.
func fakeCluster(t *testing.T, contextNamespace string, got *ClusterFlags, funcs interceptor.Funcs, objs ...client.Object) func(ClusterFlags) (client.Reader, string, error) {
	c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(objs...).WithInterceptorFuncs(funcs).Build()
	return func(f ClusterFlags) (client.Reader, string, error) {
		*got = f
		return c, contextNamespace, nil
	}
}

func TestExplainVariant(t *testing.T) {
	stale := upToDate.DeepCopy()
	stale.ConfigMapResourceVersion, stale.KvCacheThreshold, stale.Source = "1200", "0.80", "default"
	forbidden := interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		if _, ok := obj.(*corev1.ConfigMap); ok {
			return apierrors.NewForbidden(corev1.Resource("configmaps"), key.Name, errors.New("RBAC: access denied"))
		}
		return c.Get(ctx, key, obj, opts...)
	}}
	cases := map[string]struct {
		args       []string
		objs       []client.Object
		funcs      interceptor.Funcs
		wantFlags  ClusterFlags
		wantStatus int
	}{
		"cluster-up-to-date": {
			args: []string{"explain", "-n", "production", "granite-l4"},
			objs: []client.Object{liveConfigMap(configNamespace), variant("granite-l4", "production", upToDate)},
		},
		"cluster-stale-status": {
			// Flags after the name, as kubectl allows.
			args:      []string{"explain", "granite-l4", "--namespace", "production", "--kubeconfig", "/tmp/kc", "--context", "kind-wva"},
			objs:      []client.Object{liveConfigMap(configNamespace), variant("granite-l4", "production", stale)},
			wantFlags: ClusterFlags{Kubeconfig: "/tmp/kc", Context: "kind-wva"},
		},
		"cluster-no-status-context-namespace": {
			// No -n: the kubeconfig context's namespace.
			args: []string{"explain", "granite-l4"},
			objs: []client.Object{liveConfigMap(configNamespace), variant("granite-l4", "production", nil)},
		},
		"cluster-config-namespace": {
			args: []string{"explain", "-n", "production", "--config-namespace", "wva", "granite-l4"},
			objs: []client.Object{liveConfigMap("wva"), variant("granite-l4", "production", upToDate)},
		},
		"cluster-configmap-not-found": {
			args: []string{"explain", "-n", "production", "granite-l4"},
			objs: []client.Object{variant("granite-l4", "production", upToDate)},
		},
		"cluster-va-not-found": {
			args:       []string{"explain", "-n", "staging", "granite-l4"},
			objs:       []client.Object{liveConfigMap(configNamespace), variant("granite-l4", "production", upToDate)},
			wantStatus: ExitInvalid,
		},
		"cluster-configmap-forbidden": {
			args:       []string{"explain", "-n", "production", "granite-l4"},
			objs:       []client.Object{liveConfigMap(configNamespace), variant("granite-l4", "production", upToDate)},
			funcs:      forbidden,
			wantStatus: ExitInvalid,
		},
		"cluster-window-up-to-date": {
			// --at asks about the evening; the status is compared with now.
			args: []string{"explain", "-n", "production", "granite-l4", "--at", "2026-12-02T19:00:00Z"},
			objs: []client.Object{scheduledConfigMap(), variant("granite-l4", "production", inWindow)},
		},
		"cluster-window-not-applied": {
			// The status from before the window started.
			args: []string{"explain", "-n", "production", "granite-l4", "--timeline"},
			objs: []client.Object{scheduledConfigMap(), variant("granite-l4", "production", upToDate)},
		},
		"cluster-model-flag": {
			args:       []string{"explain", "--model", "m", "granite-l4"},
			wantStatus: ExitUsage,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var gotFlags ClusterFlags
			got := transcript(t, tc.args, "", fakeCluster(t, "production", &gotFlags, tc.funcs, tc.objs...))
			if want := fmt.Sprintf("exit status %d\n", tc.wantStatus); !strings.HasSuffix(got, want) {
				t.Errorf("want %q, got:\n%s", want, got)
			}
			if gotFlags != tc.wantFlags {
				t.Errorf("cluster flags = %+v, want %+v", gotFlags, tc.wantFlags)
			}
			checkGolden(t, name, got)
		})
	}
}

func TestNewClusterClientLoadsKubeconfig(t *testing.T) {
	const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: "t"}
contexts:
- name: team-a
  context: {cluster: c, user: u, namespace: team-a}
- name: no-namespace
  context: {cluster: c, user: u}
current-context: team-a
`
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		flags         ClusterFlags
		wantNamespace string
	}{
		"current context": {ClusterFlags{Kubeconfig: path}, "team-a"},
		"--context":       {ClusterFlags{Kubeconfig: path, Context: "no-namespace"}, "default"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, ns, err := NewClusterClient(tc.flags)
			if err != nil || c == nil {
				t.Fatalf("NewClusterClient(%+v) = %v, %q, %v; want a client", tc.flags, c, ns, err)
			}
			if ns != tc.wantNamespace {
				t.Errorf("namespace = %q, want %q", ns, tc.wantNamespace)
			}
		})
	}
	if _, _, err := NewClusterClient(ClusterFlags{Kubeconfig: path, Context: "missing"}); err == nil {
		t.Error("NewClusterClient with an unknown context: no error")
	}
}
