package keda

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// ScaledObjectResource is the resource of KEDA's ScaledObjects.
var ScaledObjectResource = schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "scaledobjects"}

// scaledObjectLabel is the label selector KEDA's metrics server needs on an
// external metrics request, naming the ScaledObject whose trigger answers.
const scaledObjectLabel = "scaledobject.keda.sh/name"

// Trigger is one entry of a ScaledObject's spec.triggers.
type Trigger struct {
	// Type is the scaler, e.g. "prometheus".
	Type string
	// MetricType is how the HPA compares the metric with the threshold:
	// "AverageValue" (KEDA's default when empty), "Value" or
	// "Utilization".
	MetricType string
	// Metadata configures the scaler.
	Metadata map[string]string
}

// PrometheusTrigger is a prometheus trigger: KEDA runs query on the
// Prometheus at serverAddress and the HPA aims at threshold per replica.
func PrometheusTrigger(serverAddress, query, threshold string) Trigger {
	return Trigger{Type: "prometheus", Metadata: map[string]string{
		"serverAddress": serverAddress,
		"query":         query,
		"threshold":     threshold,
	}}
}

// DesiredReplicasTrigger is the trigger that makes KEDA's HPA follow WVA's
// wva_desired_replicas for the VariantAutoscaling namespace/variant, read
// from the Prometheus at serverAddress that scrapes the controller: the
// HPA scales to ceil(value / threshold), so metric type AverageValue with
// threshold 1 is the gauge itself. max() collapses the series of a
// controller rollout, when two pods briefly export the gauge.
func DesiredReplicasTrigger(serverAddress, namespace, variant string) Trigger {
	t := PrometheusTrigger(serverAddress,
		fmt.Sprintf("max(wva_desired_replicas{namespace=%q,variant_name=%q})", namespace, variant), "1")
	t.MetricType = "AverageValue"
	return t
}

// ScaledObjectSpec is the part of a ScaledObject's spec a test sets.
type ScaledObjectSpec struct {
	// Target is the Deployment to scale, in the ScaledObject's namespace.
	Target string
	// MinReplicas and MaxReplicas bound the HPA KEDA creates.
	MinReplicas, MaxReplicas int32
	// PollingInterval is how often, in seconds, KEDA checks the triggers
	// for activation (KEDA's default 30 when 0).
	PollingInterval int32
	// Behavior, when set, is the HPA's scaling behavior
	// (spec.advanced.horizontalPodAutoscalerConfig.behavior).
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior
	Triggers []Trigger
}

// ScaledObject returns the ScaledObject namespace/name for spec. It fails
// only if spec.Behavior does not convert to unstructured content.
func ScaledObject(namespace, name string, spec ScaledObjectSpec) (*unstructured.Unstructured, error) {
	triggers := make([]any, 0, len(spec.Triggers))
	for _, t := range spec.Triggers {
		metadata := make(map[string]any, len(t.Metadata))
		for k, v := range t.Metadata {
			metadata[k] = v
		}
		trigger := map[string]any{"type": t.Type, "metadata": metadata}
		if t.MetricType != "" {
			trigger["metricType"] = t.MetricType
		}
		triggers = append(triggers, trigger)
	}
	s := map[string]any{
		"scaleTargetRef":  map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.Target},
		"minReplicaCount": int64(spec.MinReplicas),
		"maxReplicaCount": int64(spec.MaxReplicas),
		"triggers":        triggers,
	}
	if spec.PollingInterval > 0 {
		s["pollingInterval"] = int64(spec.PollingInterval)
	}
	if spec.Behavior != nil {
		behavior, err := runtime.DefaultUnstructuredConverter.ToUnstructured(spec.Behavior)
		if err != nil {
			return nil, fmt.Errorf("ScaledObject %s/%s: behavior: %w", namespace, name, err)
		}
		s["advanced"] = map[string]any{"horizontalPodAutoscalerConfig": map[string]any{"behavior": behavior}}
	}
	u := &unstructured.Unstructured{Object: map[string]any{"spec": s}}
	u.SetGroupVersionKind(ScaledObjectResource.GroupVersion().WithKind("ScaledObject"))
	u.SetNamespace(namespace)
	u.SetName(name)
	return u, nil
}

// ScaledObjectStatus is what KEDA reports on a ScaledObject.
type ScaledObjectStatus struct {
	// Ready and Active are the conditions' statuses ("Unknown" when
	// absent); Reason and Message are those of Ready.
	Ready, Active   string
	Reason, Message string
	// HPAName is the HorizontalPodAutoscaler KEDA created.
	HPAName string
	// ExternalMetricNames are the names under which the metrics server
	// serves the triggers, e.g. "s0-prometheus".
	ExternalMetricNames []string
}

// StatusOf reads the status of a ScaledObject.
func StatusOf(obj *unstructured.Unstructured) ScaledObjectStatus {
	var s ScaledObjectStatus
	s.Ready, s.Reason, s.Message = condition(obj, "Ready")
	s.Active, _, _ = condition(obj, "Active")
	s.HPAName, _, _ = unstructured.NestedString(obj.Object, "status", "hpaName")
	s.ExternalMetricNames, _, _ = unstructured.NestedStringSlice(obj.Object, "status", "externalMetricNames")
	return s
}

// String summarises the status in one line.
func (s ScaledObjectStatus) String() string {
	return fmt.Sprintf("Ready=%s (%s: %s) Active=%s hpaName=%q externalMetricNames=%v",
		s.Ready, s.Reason, s.Message, s.Active, s.HPAName, s.ExternalMetricNames)
}

// MetricValue is one item of an external metrics API answer.
type MetricValue struct {
	MetricName   string            `json:"metricName"`
	MetricLabels map[string]string `json:"metricLabels"`
	Timestamp    metav1.Time       `json:"timestamp"`
	Value        resource.Quantity `json:"value"`
}

// ExternalMetricPath is the external metrics API path that serves metric
// of the ScaledObject namespace/scaledObject, as an HPA (or
// `kubectl get --raw`) requests it.
func ExternalMetricPath(namespace, metric, scaledObject string) string {
	q := url.Values{"labelSelector": {scaledObjectLabel + "=" + scaledObject}}
	return "/apis/" + ExternalMetricsGroupVersion + "/namespaces/" + url.PathEscape(namespace) + "/" +
		url.PathEscape(metric) + "?" + q.Encode()
}

// ExternalMetric asks the external metrics API, through the API server (and
// its aggregator) that client talks to, for metric of the ScaledObject
// namespace/scaledObject. client is any REST client of the cluster, e.g.
// kubernetes.Interface's CoreV1().RESTClient().
func ExternalMetric(ctx context.Context, client rest.Interface, namespace, metric, scaledObject string) ([]MetricValue, error) {
	path := ExternalMetricPath(namespace, metric, scaledObject)
	req := client.Get().AbsPath("/apis", ExternalMetricsGroupVersion, "namespaces", namespace, metric).
		Param("labelSelector", scaledObjectLabel+"="+scaledObject)
	raw, err := req.DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	var list struct {
		Kind  string        `json:"kind"`
		Items []MetricValue `json:"items"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("GET %s: decoding %q: %w", path, raw, err)
	}
	if list.Kind != "ExternalMetricValueList" {
		return nil, fmt.Errorf("GET %s: got kind %q, want ExternalMetricValueList: %s", path, list.Kind, raw)
	}
	return list.Items, nil
}
