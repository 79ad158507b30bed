package timeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/e2e/internal/poll"
	"github.com/wva-project/wva/e2e/internal/promquery"
)

// TestRecorder records a fake cluster: a Deployment that is scaled once, a
// VariantAutoscaling with a desired count, and a Prometheus that answers
// every query but the KV-cache one.
func TestRecorder(t *testing.T) {
	ctx := context.Background()
	kube := kubefake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "llm-a"},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)},
		Status:     appsv1.DeploymentStatus{ReadyReplicas: 1},
	})
	va := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": vaResource.GroupVersion().String(), "kind": "VariantAutoscaling",
		"metadata": map[string]any{"namespace": "ns", "name": "llm-a"},
		"status":   map[string]any{"desiredReplicas": int64(2)},
	}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{vaResource: "VariantAutoscalingList"}, va)

	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("query")
		if strings.Contains(q, "kv_cache") {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		value := map[bool]string{true: "3", false: "7"}[strings.Contains(q, "running")]
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"` + value + `"]}]}}`))
	}))
	defer prom.Close()
	rc, err := rest.RESTClientFor(&rest.Config{Host: prom.URL, APIPath: "/api", ContentConfig: rest.ContentConfig{
		GroupVersion: &corev1.SchemeGroupVersion, NegotiatedSerializer: clientgoscheme.Codecs.WithoutConversion()}})
	if err != nil {
		t.Fatal(err)
	}

	clk := clocktesting.NewFakeClock(t0)
	rec, err := Start(ctx, kube, dyn, Config{
		Namespace: "ns", ModelID: "m", Clock: clk,
		Variants:   []Variant{{Name: "a", Deployment: "llm-a", VariantAutoscaling: "llm-a"}},
		Prometheus: promquery.Client{REST: rc, Namespace: "ns", Service: "prometheus", Port: 9090},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	waitSamples(t, rec, 1)

	if _, err := kube.AppsV1().Deployments("ns").Update(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "llm-a"},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To[int32](2)},
	}, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the scale event", func() bool { return len(rec.Snapshot().Events) == 2 })
	clk.Step(time.Second)
	waitSamples(t, rec, 2)

	s := rec.Stop()
	if len(s.Samples) != 2 {
		t.Fatalf("%d samples, want 2", len(s.Samples))
	}
	got := s.Samples[1]
	if !got.At.Equal(at(1)) || got.Running != 3 || got.Waiting != 7 || got.LoadgenRPS != 7 || got.KVMean == got.KVMean {
		t.Errorf("sample %+v: want at 1 s, running 3, waiting 7, loadgen 7, KV NaN (its query failed)", got)
	}
	if v := got.Variants[0]; v.Current != 2 || v.Desired != 2 {
		t.Errorf("variant sample %+v: want current 2, desired 2", v)
	}
	if s.Failed != 2 || !strings.Contains(s.LastError, "kv_cache") {
		t.Errorf("Failed %d, LastError %q: want 2 samples failing the KV-cache query", s.Failed, s.LastError)
	}
	if steps := s.Steps(); len(steps) != 1 || steps[0].From != 1 || steps[0].To != 2 {
		t.Errorf("Steps %+v, want one step 1 -> 2", steps)
	}
}

func waitSamples(t *testing.T, rec *Recorder, n int) {
	t.Helper()
	waitFor(t, "samples", func() bool { return len(rec.Snapshot().Samples) >= n })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	_, err := poll.Until(context.Background(), clock.RealClock{}, 10*time.Second, 5*time.Millisecond,
		func(context.Context) (bool, string, error) { return cond(), "", nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
