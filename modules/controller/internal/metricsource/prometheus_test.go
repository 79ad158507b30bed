package metricsource

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/wva-project/wva/modules/capacity"
)

func TestQuery(t *testing.T) {
	cases := map[string]struct {
		metric, namespace, modelID string
		want                       string
	}{
		"plain": {
			metric: MetricKvCacheUsage, namespace: "production", modelID: "ibm/granite-13b",
			want: `max by (pod) (vllm:kv_cache_usage_perc{namespace="production",model_name="ibm/granite-13b"})`,
		},
		"quotes and backslashes are escaped": {
			metric: MetricQueueLength, namespace: "lab", modelID: `evil"} or vector(1) or {x="\`,
			want: `max by (pod) (vllm:num_requests_waiting{namespace="lab",model_name="evil\"} or vector(1) or {x=\"\\"})`,
		},
		"newline is escaped": {
			metric: MetricQueueLength, namespace: "lab", modelID: "a\nb",
			want: `max by (pod) (vllm:num_requests_waiting{namespace="lab",model_name="a\nb"})`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Query(tc.metric, tc.namespace, tc.modelID)); diff != "" {
				t.Errorf("Query: -want +got:\n%s", diff)
			}
		})
	}
}

// fixtureServer answers /api/v1/query from testdata files chosen by the
// metric name in the query, and records the queries it saw.
type fixtureServer struct {
	t        *testing.T
	status   int
	fixtures map[string]string // metric name => testdata file
	mu       sync.Mutex
	queries  []string
}

func (f *fixtureServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/prom/api/v1/query" || r.Method != http.MethodPost {
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	q := r.FormValue("query")
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	for metric, file := range f.fixtures {
		if strings.Contains(q, metric+"{") {
			body, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				f.t.Errorf("reading fixture: %v", err)
			}
			w.Header().Set("Content-Type", "application/json")
			if f.status != 0 {
				w.WriteHeader(f.status)
			}
			_, _ = w.Write(body)
			return
		}
	}
	http.Error(w, "no fixture for "+q, http.StatusInternalServerError)
}

func newSource(t *testing.T, h http.Handler) *Prometheus {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p, err := NewPrometheus(srv.URL+"/prom/", time.Second, srv.Client().Transport)
	if err != nil {
		t.Fatalf("NewPrometheus: %v", err)
	}
	return p
}

func TestReplicaMetrics(t *testing.T) {
	f := &fixtureServer{t: t, fixtures: map[string]string{
		MetricKvCacheUsage: "kv_cache_usage.json",
		MetricQueueLength:  "num_requests_waiting.json",
	}}
	p := newSource(t, f)
	got, err := p.ModelMetrics(context.Background(), "production", "ibm/granite-13b")
	if err != nil {
		t.Fatalf("ModelMetrics: %v", err)
	}
	want := map[string]capacity.ReplicaMetrics{
		"granite-a-0": {Pod: "granite-a-0", KvCacheUsage: 0.85, HasKvCacheUsage: true, QueueLength: 7, HasQueueLength: true},
		"granite-a-1": {Pod: "granite-a-1", KvCacheUsage: 0.25, HasKvCacheUsage: true}, // no queue sample
		"granite-b-0": {Pod: "granite-b-0", QueueLength: 1, HasQueueLength: true},      // NaN KV sample
		// The fixture's series; the controller keeps the pods of its targets.
		"other-model-pod": {Pod: "other-model-pod", QueueLength: 3, HasQueueLength: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ModelMetrics: -want +got:\n%s", diff)
	}
	// The two queries run concurrently: their order is not fixed.
	wantQueries := p.Queries("production", "ibm/granite-13b")
	sort.Strings(wantQueries)
	sort.Strings(f.queries)
	if diff := cmp.Diff(wantQueries, f.queries); diff != "" {
		t.Errorf("queries: -want +got:\n%s", diff)
	}
}

// TestReplicaMetricsErrors: each failure keeps the API's error type and
// message, and names the PromQL that failed.
func TestReplicaMetricsErrors(t *testing.T) {
	cases := map[string]struct {
		status      int
		fixture     string
		wantAPIErr  *promv1.Error
		wantMessage string
	}{
		"API error body": {
			status: http.StatusBadRequest, fixture: "error_bad_data.json",
			wantAPIErr: &promv1.Error{Type: promv1.ErrBadData,
				Msg: `invalid parameter "query": 1:1: parse error: unexpected character`},
			wantMessage: `bad_data: invalid parameter "query": 1:1: parse error: unexpected character`,
		},
		"not a vector": {fixture: "matrix.json", wantMessage: `result type "matrix": want vector`},
		"bad sample":   {fixture: "bad_value.json", wantMessage: `bad_response: `},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fixtureServer{t: t, status: tc.status, fixtures: map[string]string{
				MetricKvCacheUsage: tc.fixture, MetricQueueLength: tc.fixture,
			}}
			p := newSource(t, f)
			_, err := p.ModelMetrics(context.Background(), "ns", "m")
			if err == nil {
				t.Fatal("ModelMetrics: no error")
			}
			if tc.wantAPIErr != nil {
				var apiErr *promv1.Error
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %v is not a *promv1.Error", err)
				}
				if diff := cmp.Diff(tc.wantAPIErr, apiErr); diff != "" {
					t.Errorf("promv1.Error: -want +got:\n%s", diff)
				}
			}
			if !strings.Contains(err.Error(), tc.wantMessage) {
				t.Errorf("error %q does not contain %q", err, tc.wantMessage)
			}
			for _, q := range p.Queries("ns", "m") {
				if want := fmt.Sprintf("prometheus query %q: ", q); !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name the query: no %q", err, want)
				}
			}
		})
	}
}

// TestReplicaMetricsHTTPErrorWithoutBody: a front end's plain-text error
// (a proxy's 502) keeps its status and the first line of its body.
func TestReplicaMetricsHTTPErrorWithoutBody(t *testing.T) {
	p := newSource(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream down\nsecond line", http.StatusBadGateway)
	}))
	_, err := p.ModelMetrics(context.Background(), "ns", "m")
	var apiErr *promv1.Error
	if !errors.As(err, &apiErr) || apiErr.Type != promv1.ErrServer {
		t.Fatalf("error = %v, want a *promv1.Error of type %s", err, promv1.ErrServer)
	}
	q := Query(MetricKvCacheUsage, "ns", "m")
	if want := fmt.Sprintf("prometheus query %q: server_error: server error: 502: upstream down", q); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if strings.Contains(err.Error(), "second line") {
		t.Errorf("error %q holds more than the body's first line", err)
	}
}

func TestReplicaMetricsTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	p, err := NewPrometheus(srv.URL, 50*time.Millisecond, srv.Client().Transport)
	if err != nil {
		t.Fatalf("NewPrometheus: %v", err)
	}
	_, err = p.ModelMetrics(context.Background(), "ns", "m")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
	if q := Query(MetricQueueLength, "ns", "m"); !strings.Contains(err.Error(), strconv.Quote(q)) {
		t.Errorf("error %q does not name the query %q", err, q)
	}
}

func TestReplicaMetricsEmptyResult(t *testing.T) {
	f := &fixtureServer{t: t, fixtures: map[string]string{
		MetricKvCacheUsage: "empty.json", MetricQueueLength: "empty.json",
	}}
	got, err := newSource(t, f).ModelMetrics(context.Background(), "ns", "m")
	if err != nil {
		t.Fatalf("ModelMetrics: %v", err)
	}
	if diff := cmp.Diff(map[string]capacity.ReplicaMetrics{}, got); diff != "" {
		t.Errorf("ModelMetrics: -want +got:\n%s", diff)
	}
}

func TestNewPrometheusRejects(t *testing.T) {
	cases := map[string]struct {
		url     string
		timeout time.Duration
	}{
		"no scheme":    {url: "prometheus:9090", timeout: time.Second},
		"no host":      {url: "http://", timeout: time.Second},
		"unparsable":   {url: "http://[::1", timeout: time.Second},
		"zero timeout": {url: "http://prometheus:9090", timeout: 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := NewPrometheus(tc.url, tc.timeout, nil); err == nil {
				t.Errorf("NewPrometheus(%q, %s): no error", tc.url, tc.timeout)
			}
		})
	}
}

func TestStatic(t *testing.T) {
	s := &Static{Metrics: map[string]capacity.ReplicaMetrics{
		"ns/a":    {KvCacheUsage: 0.5, HasKvCacheUsage: true, QueueLength: 1, HasQueueLength: true},
		"other/a": {KvCacheUsage: 0.9, HasKvCacheUsage: true},
	}}
	s.Set("ns", "b", capacity.ReplicaMetrics{QueueLength: 2, HasQueueLength: true})
	got, err := s.ModelMetrics(context.Background(), "ns", "m")
	if err != nil {
		t.Fatalf("ModelMetrics: %v", err)
	}
	want := map[string]capacity.ReplicaMetrics{
		"a": {Pod: "a", KvCacheUsage: 0.5, HasKvCacheUsage: true, QueueLength: 1, HasQueueLength: true},
		"b": {Pod: "b", QueueLength: 2, HasQueueLength: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ModelMetrics: -want +got:\n%s", diff)
	}
	down := errors.New("down")
	s.SetErr(down)
	if _, err := s.ModelMetrics(context.Background(), "ns", "m"); !errors.Is(err, down) {
		t.Errorf("error = %v, want %v", err, down)
	}
}

func TestModelNames(t *testing.T) {
	var asked string
	p := newSource(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.FormValue("query")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"model_name":"meta/llama-70b"},"value":[1,"2"]},
			{"metric":{"model_name":"ibm/granite-13b"},"value":[1,"1"]},
			{"metric":{"model_name":"zz"},"value":[1,"1"]}]}}`))
	}))
	got, err := p.ModelNames(context.Background(), "lab", 2)
	if err != nil {
		t.Fatalf("ModelNames: %v", err)
	}
	if diff := cmp.Diff([]string{"ibm/granite-13b", "meta/llama-70b"}, got); diff != "" {
		t.Errorf("ModelNames: -want +got:\n%s", diff)
	}
	if want := `count by (model_name) (vllm:kv_cache_usage_perc{namespace="lab"})`; asked != want {
		t.Errorf("query = %q, want %q", asked, want)
	}
}

// TestGetFallback: a front end that allows only GET answers 405 to POST; the
// query is sent again with GET.
func TestGetFallback(t *testing.T) {
	var methods []string
	var mu sync.Mutex
	p := newSource(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method)
		mu.Unlock()
		if r.Method != http.MethodGet {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		if !strings.Contains(r.URL.Query().Get("query"), "model_name=\"m\"") {
			t.Errorf("GET query %q lacks the model", r.URL.Query().Get("query"))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"p"},"value":[1,"0.5"]}]}}`))
	}))
	got, err := p.ModelMetrics(context.Background(), "ns", "m")
	if err != nil {
		t.Fatalf("ModelMetrics: %v", err)
	}
	want := map[string]capacity.ReplicaMetrics{"p": {Pod: "p", KvCacheUsage: 0.5, HasKvCacheUsage: true, QueueLength: 0.5, HasQueueLength: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ModelMetrics: -want +got:\n%s", diff)
	}
	sort.Strings(methods)
	if diff := cmp.Diff([]string{"GET", "GET", "POST", "POST"}, methods); diff != "" {
		t.Errorf("methods: -want +got:\n%s", diff)
	}
}
