package keda

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest/fake"
	"k8s.io/utils/ptr"
)

func TestScaledObject(t *testing.T) {
	got, err := ScaledObject("ns", "so", ScaledObjectSpec{
		Target: "app", MinReplicas: 1, MaxReplicas: 5, PollingInterval: 5,
		Triggers: []Trigger{PrometheusTrigger("http://prometheus.ns.svc:9090", "sum(x)", "2")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "keda.sh/v1alpha1",
		"kind":       "ScaledObject",
		"metadata":   map[string]any{"namespace": "ns", "name": "so"},
		"spec": map[string]any{
			"scaleTargetRef":  map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "app"},
			"minReplicaCount": int64(1),
			"maxReplicaCount": int64(5),
			"pollingInterval": int64(5),
			"triggers": []any{map[string]any{
				"type": "prometheus",
				"metadata": map[string]any{
					"serverAddress": "http://prometheus.ns.svc:9090", "query": "sum(x)", "threshold": "2",
				},
			}},
		},
	}
	if diff := cmp.Diff(want, got.Object); diff != "" {
		t.Errorf("ScaledObject: -want +got:\n%s", diff)
	}
	// DeepCopy panics on types unstructured does not allow (int32, ...).
	_ = got.DeepCopy()
}

func TestScaledObjectFollowingWVA(t *testing.T) {
	onePodPer15s := []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 1, PeriodSeconds: 15}}
	got, err := ScaledObject("llm", "granite-l4", ScaledObjectSpec{
		Target: "granite-l4", MinReplicas: 1, MaxReplicas: 4,
		Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
			ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](0), Policies: onePodPer15s},
		},
		Triggers: []Trigger{DesiredReplicasTrigger("http://prometheus.monitoring:9090", "llm", "granite-l4")},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantAdvanced := map[string]any{"horizontalPodAutoscalerConfig": map[string]any{"behavior": map[string]any{
		"scaleDown": map[string]any{
			"stabilizationWindowSeconds": int64(0),
			"policies":                   []any{map[string]any{"type": "Pods", "value": int64(1), "periodSeconds": int64(15)}},
		},
	}}}
	if diff := cmp.Diff(wantAdvanced, got.Object["spec"].(map[string]any)["advanced"]); diff != "" {
		t.Errorf("spec.advanced: -want +got:\n%s", diff)
	}
	wantTriggers := []any{map[string]any{
		"type":       "prometheus",
		"metricType": "AverageValue",
		"metadata": map[string]any{
			"serverAddress": "http://prometheus.monitoring:9090",
			"query":         `max(wva_desired_replicas{namespace="llm",variant_name="granite-l4"})`,
			"threshold":     "1",
		},
	}}
	if diff := cmp.Diff(wantTriggers, got.Object["spec"].(map[string]any)["triggers"]); diff != "" {
		t.Errorf("spec.triggers: -want +got:\n%s", diff)
	}
	_ = got.DeepCopy()
}

func TestStatusOf(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{
		"hpaName":             "keda-hpa-so",
		"externalMetricNames": []any{"s0-prometheus"},
		"conditions": []any{
			map[string]any{"type": "Ready", "status": "True", "reason": "ScaledObjectReady", "message": "ok"},
			map[string]any{"type": "Active", "status": "False"},
		},
	}}}
	want := ScaledObjectStatus{
		Ready: "True", Active: "False", Reason: "ScaledObjectReady", Message: "ok",
		HPAName: "keda-hpa-so", ExternalMetricNames: []string{"s0-prometheus"},
	}
	if diff := cmp.Diff(want, StatusOf(obj)); diff != "" {
		t.Errorf("StatusOf: -want +got:\n%s", diff)
	}
	if got := StatusOf(&unstructured.Unstructured{Object: map[string]any{}}); got.Ready != "Unknown" || got.Active != "Unknown" {
		t.Errorf("StatusOf without status: Ready=%s Active=%s, want Unknown", got.Ready, got.Active)
	}
}

func TestExternalMetricPath(t *testing.T) {
	want := "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/s0-prometheus?labelSelector=scaledobject.keda.sh%2Fname%3Dso"
	if got := ExternalMetricPath("ns", "s0-prometheus", "so"); got != want {
		t.Errorf("ExternalMetricPath = %q, want %q", got, want)
	}
}

// fakeClient answers every request with status and body, and records the
// request.
func fakeClient(status int, body string, got **http.Request) *fake.RESTClient {
	return &fake.RESTClient{
		NegotiatedSerializer: clientgoscheme.Codecs.WithoutConversion(),
		Client: fake.CreateHTTPClient(func(req *http.Request) (*http.Response, error) {
			*got = req
			return &http.Response{
				StatusCode: status,
				Header:     http.Header{"Content-Type": []string{"application/json"}},
				Body:       io.NopCloser(strings.NewReader(body)),
			}, nil
		}),
	}
}

func TestExternalMetric(t *testing.T) {
	const answer = `{"kind":"ExternalMetricValueList","apiVersion":"external.metrics.k8s.io/v1beta1","metadata":{},
"items":[{"metricName":"s0-prometheus","metricLabels":null,"timestamp":"2026-01-01T00:00:00Z","value":"6"}]}`
	var req *http.Request
	values, err := ExternalMetric(context.Background(), fakeClient(http.StatusOK, answer, &req), "ns", "s0-prometheus", "so")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.URL.Path, "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/s0-prometheus"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
	if got, want := req.URL.Query().Get("labelSelector"), "scaledobject.keda.sh/name=so"; got != want {
		t.Errorf("labelSelector %q, want %q", got, want)
	}
	if len(values) != 1 || values[0].MetricName != "s0-prometheus" || values[0].Value.Cmp(resource.MustParse("6")) != 0 {
		t.Errorf("values = %+v, want one s0-prometheus = 6", values)
	}

	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"not found":  {http.StatusNotFound, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`},
		"wrong kind": {http.StatusOK, `{"kind":"APIResourceList","items":[]}`},
		"not JSON":   {http.StatusOK, `<html>`},
	} {
		t.Run(name, func(t *testing.T) {
			var req *http.Request
			if _, err := ExternalMetric(context.Background(), fakeClient(tc.status, tc.body, &req), "ns", "m", "so"); err == nil {
				t.Error("ExternalMetric succeeded")
			} else if !strings.Contains(err.Error(), "/namespaces/ns/m") {
				t.Errorf("error %q does not name the path", err)
			}
		})
	}
}
