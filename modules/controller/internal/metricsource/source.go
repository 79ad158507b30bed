package metricsource

import (
	"context"

	"github.com/wva-project/wva/modules/capacity"
)

// vLLM metric names, as the server exports them with labels model_name and,
// once scraped, namespace and pod.
const (
	MetricKvCacheUsage = "vllm:kv_cache_usage_perc"
	MetricQueueLength  = "vllm:num_requests_waiting"
)

// Source returns the metrics of the given pods of one model.
type Source interface {
	// ReplicaMetrics returns one entry per pod, in the order given. A pod the
	// source knows nothing about is returned with HasKvCacheUsage and
	// HasQueueLength false; an error means the source itself failed and no
	// entry can be trusted.
	ReplicaMetrics(ctx context.Context, namespace, modelID string, pods []string) ([]capacity.ReplicaMetrics, error)
}

// Static is a Source that serves fixed values, keyed by namespace/pod; it
// backs tests and the envtest suite, where no pod ever runs.
type Static struct {
	// Metrics by "namespace/pod".
	Metrics map[string]capacity.ReplicaMetrics
	// Err, when set, is returned by every call.
	Err error
}

var _ Source = (*Static)(nil)

// ReplicaMetrics implements Source.
func (s *Static) ReplicaMetrics(_ context.Context, namespace, _ string, pods []string) ([]capacity.ReplicaMetrics, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	out := make([]capacity.ReplicaMetrics, len(pods))
	for i, pod := range pods {
		m := s.Metrics[namespace+"/"+pod] // zero value: no metrics
		m.Pod = pod
		out[i] = m
	}
	return out, nil
}
