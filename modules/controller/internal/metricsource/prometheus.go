package metricsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/wva-project/wva/modules/capacity"
)

// Prometheus is a Source backed by the Prometheus HTTP API (/api/v1/query),
// through client_golang's API client: POST with a fallback to GET for front
// ends that allow only GET, and the API's error types.
type Prometheus struct {
	api     promv1.API
	timeout time.Duration
}

var _ Source = (*Prometheus)(nil)

// NewPrometheus returns a source querying the Prometheus server at baseURL
// (e.g. http://prometheus.monitoring:9090, or a path-prefixed URL behind a
// proxy such as https://thanos-querier.openshift-monitoring.svc:9091). Each
// query is bounded by timeout. rt carries TLS and credentials (see
// HTTPOptions.RoundTripper); nil means client_golang's default transport.
func NewPrometheus(baseURL string, timeout time.Duration, rt http.RoundTripper) (*Prometheus, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing Prometheus URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus URL %q: must be an absolute http:// or https:// URL", baseURL)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("prometheus timeout %s: must be positive", timeout)
	}
	client, err := api.NewClient(api.Config{Address: strings.TrimSuffix(baseURL, "/"), RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus URL %q: %w", baseURL, err)
	}
	return &Prometheus{api: promv1.NewAPI(client), timeout: timeout}, nil
}

// Query builds the PromQL for one metric of one model: the latest value per
// pod, selected by namespace and model_name. Label values are quoted as
// PromQL string literals (Go escaping), so any value is safe.
func Query(metric, namespace, modelID string) string {
	return fmt.Sprintf("max by (pod) (%s{namespace=%s,model_name=%s})",
		metric, strconv.Quote(namespace), strconv.Quote(modelID))
}

// ModelMetrics implements Source with two instant queries, one per metric,
// run concurrently.
func (p *Prometheus) ModelMetrics(ctx context.Context, namespace, modelID string) (map[string]capacity.ReplicaMetrics, error) {
	var kv, queue map[string]float64
	var kvErr, queueErr error
	var wg sync.WaitGroup
	wg.Go(func() { kv, kvErr = p.query(ctx, Query(MetricKvCacheUsage, namespace, modelID)) })
	queue, queueErr = p.query(ctx, Query(MetricQueueLength, namespace, modelID))
	wg.Wait()
	if err := errors.Join(kvErr, queueErr); err != nil {
		return nil, err
	}
	out := make(map[string]capacity.ReplicaMetrics, max(len(kv), len(queue)))
	for pod, v := range kv {
		m := out[pod]
		m.Pod, m.KvCacheUsage, m.HasKvCacheUsage = pod, v, true
		out[pod] = m
	}
	for pod, v := range queue {
		m := out[pod]
		m.Pod, m.QueueLength, m.HasQueueLength = pod, v, true
		out[pod] = m
	}
	return out, nil
}

var _ Explainer = (*Prometheus)(nil)

// Queries implements Explainer.
func (p *Prometheus) Queries(namespace, modelID string) []string {
	return []string{Query(MetricKvCacheUsage, namespace, modelID), Query(MetricQueueLength, namespace, modelID)}
}

// ModelNames implements Explainer: the model_name values of the KV-cache
// series in namespace.
func (p *Prometheus) ModelNames(ctx context.Context, namespace string, limit int) ([]string, error) {
	q := fmt.Sprintf("count by (model_name) (%s{namespace=%s})", MetricKvCacheUsage, strconv.Quote(namespace))
	values, err := p.queryBy(ctx, q, "model_name")
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(values))
	return names[:min(limit, len(names))], nil
}

// QueryError is the failure of one query; its message always holds the
// PromQL, so that a status condition or a log line can be reproduced by hand.
type QueryError struct {
	Query string
	Err   error // a *promv1.Error for what the API reported
}

func (e *QueryError) Error() string {
	var apiErr *promv1.Error
	if errors.As(e.Err, &apiErr) && apiErr.Detail != "" {
		// A status other than 400 and 422 leaves the body undecoded: a
		// Prometheus-style JSON error (a 503 from Thanos, say) keeps its
		// type and message; anything else shows its first line.
		var body struct {
			Status    string `json:"status"`
			ErrorType string `json:"errorType"`
			Error     string `json:"error"`
		}
		if json.Unmarshal([]byte(apiErr.Detail), &body) == nil && body.Status == "error" && body.Error != "" {
			return fmt.Sprintf("prometheus query %q: %s: %s (%s)", e.Query, body.ErrorType, body.Error, apiErr.Msg)
		}
		return fmt.Sprintf("prometheus query %q: %v: %s", e.Query, e.Err, detail(apiErr.Detail))
	}
	return fmt.Sprintf("prometheus query %q: %v", e.Query, e.Err)
}

func (e *QueryError) Unwrap() error { return e.Err }

// detail is the first line of an error response's body, at most 200 bytes:
// enough for a proxy's "401 Unauthorized" without a whole HTML page.
func detail(body string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	return line
}

// query runs one instant query and returns its value per pod label. Samples
// that are NaN or infinite count as missing.
func (p *Prometheus) query(ctx context.Context, promQL string) (map[string]float64, error) {
	return p.queryBy(ctx, promQL, "pod")
}

// queryBy runs one instant query and returns its value per value of label.
// The API's warnings (a Thanos partial response, say) are logged on the
// context's logger: the result may lack pods, which then count as missing.
func (p *Prometheus) queryBy(ctx context.Context, promQL, label string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	value, warnings, _, err := p.api.Query(ctx, promQL, time.Time{})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return nil, &QueryError{Query: promQL, Err: err}
	}
	if len(warnings) > 0 {
		logr.FromContextOrDiscard(ctx).Info("Prometheus query returned warnings", "query", promQL, "warnings", []string(warnings))
	}
	vector, ok := value.(model.Vector)
	if !ok {
		return nil, &QueryError{Query: promQL, Err: fmt.Errorf("result type %q: want vector", resultType(value))}
	}
	values := make(map[string]float64, len(vector))
	for _, sample := range vector {
		key := string(sample.Metric[model.LabelName(label)])
		if key == "" || sample.Histogram != nil {
			continue
		}
		v := float64(sample.Value)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		values[key] = v
	}
	return values, nil
}

func resultType(v model.Value) string {
	if v == nil {
		return "none"
	}
	return v.Type().String()
}
