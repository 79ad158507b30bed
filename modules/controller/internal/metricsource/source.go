package metricsource

import (
	"context"
	"strings"
	"sync"

	"github.com/wva-project/wva/modules/capacity"
)

// vLLM metric names, as the server exports them with labels model_name and,
// once scraped, namespace and pod.
const (
	MetricKvCacheUsage = "vllm:kv_cache_usage_perc"
	MetricQueueLength  = "vllm:num_requests_waiting"
)

// Source returns the metrics of the pods of one model.
type Source interface {
	// ModelMetrics returns the latest metrics of the pods of one model in
	// namespace, keyed by pod name. A pod the source knows nothing about is
	// absent; an error means the source itself failed and nothing it
	// returned can be trusted.
	ModelMetrics(ctx context.Context, namespace, modelID string) (map[string]capacity.ReplicaMetrics, error)
}

// Explainer is implemented by sources that can say why a model has no
// metrics, for the MetricsAvailable condition.
type Explainer interface {
	// Queries are the queries ModelMetrics runs for the model.
	Queries(namespace, modelID string) []string
	// ModelNames returns the model names the source holds vLLM series for in
	// namespace, sorted, at most limit of them.
	ModelNames(ctx context.Context, namespace string, limit int) ([]string, error)
}

// Static is a Source that serves fixed values, keyed by namespace/pod; it
// backs tests and the envtest suite, where no pod ever runs.
type Static struct {
	mu sync.Mutex
	// Metrics by "namespace/pod".
	Metrics map[string]capacity.ReplicaMetrics
	// Err, when set, is returned by every call.
	Err error
}

var _ Source = (*Static)(nil)

// Set replaces the metrics of namespace/pod; safe while the source is used.
func (s *Static) Set(namespace, pod string, m capacity.ReplicaMetrics) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Metrics == nil {
		s.Metrics = map[string]capacity.ReplicaMetrics{}
	}
	s.Metrics[namespace+"/"+pod] = m
}

// SetErr sets the error every call returns (nil: none); safe while the
// source is used.
func (s *Static) SetErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Err = err
}

// ModelMetrics implements Source: every pod of namespace, whatever the model.
func (s *Static) ModelMetrics(_ context.Context, namespace, _ string) (map[string]capacity.ReplicaMetrics, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := map[string]capacity.ReplicaMetrics{}
	prefix := namespace + "/"
	for k, m := range s.Metrics {
		if pod, ok := strings.CutPrefix(k, prefix); ok {
			m.Pod = pod
			out[pod] = m
		}
	}
	return out, nil
}
