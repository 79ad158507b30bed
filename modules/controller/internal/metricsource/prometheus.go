package metricsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wva-project/wva/modules/capacity"
)

// maxResponseBytes bounds what one query may return; a model has at most a
// few hundred replicas, each a short JSON object.
const maxResponseBytes = 8 << 20

// Prometheus is a Source backed by the Prometheus HTTP API (/api/v1/query).
type Prometheus struct {
	endpoint string
	timeout  time.Duration
	client   *http.Client
}

var _ Source = (*Prometheus)(nil)

// NewPrometheus returns a source querying the Prometheus server at baseURL
// (e.g. http://prometheus.monitoring:9090, or a path-prefixed URL behind a
// proxy). Each query is bounded by timeout. A nil client means http.DefaultClient.
func NewPrometheus(baseURL string, timeout time.Duration, client *http.Client) (*Prometheus, error) {
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
	if client == nil {
		client = http.DefaultClient
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/query"
	return &Prometheus{endpoint: u.String(), timeout: timeout, client: client}, nil
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

// APIError is an error the Prometheus API reported in its response body.
type APIError struct {
	StatusCode int    // HTTP status
	Type       string // errorType, e.g. bad_data, timeout, execution
	Message    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("prometheus API error (HTTP %d, %s): %s", e.StatusCode, e.Type, e.Message)
}

// query runs one instant query and returns its value per pod label. Samples
// that are NaN or infinite count as missing.
func (p *Prometheus) query(ctx context.Context, promQL string) (map[string]float64, error) {
	return p.queryBy(ctx, promQL, "pod")
}

// queryBy runs one instant query and returns its value per value of label.
func (p *Prometheus) queryBy(ctx context.Context, promQL, label string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	form := url.Values{"query": {promQL}}
	// POST keeps long queries out of URLs; a front end that allows only GET
	// (405) is asked again with GET, as Prometheus's own client does.
	status, body, err := p.do(ctx, http.MethodPost, form)
	if err == nil && status == http.StatusMethodNotAllowed {
		status, body, err = p.do(ctx, http.MethodGet, form)
	}
	if err != nil {
		return nil, fmt.Errorf("querying Prometheus for %q: %w", promQL, err)
	}
	values, err := parseResponse(status, body, label)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", promQL, err)
	}
	return values, nil
}

// do sends one query request and returns the response's status and body.
func (p *Prometheus) do(ctx context.Context, method string, form url.Values) (int, []byte, error) {
	var req *http.Request
	var err error
	if method == http.MethodGet {
		req, err = http.NewRequestWithContext(ctx, method, p.endpoint+"?"+form.Encode(), nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, p.endpoint, strings.NewReader(form.Encode()))
		if req != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return 0, nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the response: %w", err)
	}
	return resp.StatusCode, body, nil
}

type apiResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
}

type vectorData struct {
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string `json:"metric"`
		Value  []json.RawMessage `json:"value"`
	} `json:"result"`
}

// parseResponse decodes an /api/v1/query response holding an instant vector,
// keyed by the value of label.
func parseResponse(statusCode int, body []byte, label string) (map[string]float64, error) {
	var resp apiResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		if statusCode != http.StatusOK {
			return nil, &APIError{StatusCode: statusCode, Type: "http", Message: http.StatusText(statusCode)}
		}
		return nil, fmt.Errorf("decoding Prometheus response: %w", err)
	}
	if resp.Status != "success" {
		return nil, &APIError{StatusCode: statusCode, Type: resp.ErrorType, Message: resp.Error}
	}
	var data vectorData
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return nil, fmt.Errorf("decoding Prometheus result: %w", err)
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("prometheus result type %q: want vector", data.ResultType)
	}
	values := make(map[string]float64, len(data.Result))
	for _, sample := range data.Result {
		key := sample.Metric[label]
		if key == "" {
			continue
		}
		v, err := sampleValue(sample.Value)
		if err != nil {
			return nil, fmt.Errorf("sample of %s %q: %w", label, key, err)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		values[key] = v
	}
	return values, nil
}

// sampleValue decodes a [<unix time>, "<value>"] pair.
func sampleValue(pair []json.RawMessage) (float64, error) {
	if len(pair) != 2 {
		return 0, errors.New("value must be a [time, value] pair")
	}
	var s string
	if err := json.Unmarshal(pair[1], &s); err != nil {
		return 0, fmt.Errorf("value must be a string: %w", err)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing value %q: %w", s, err)
	}
	return v, nil
}
