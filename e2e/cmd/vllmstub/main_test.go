package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one parsed series: its labels and gauge value.
type sample struct {
	Labels map[string]string
	Value  float64
}

// parse reads an exposition with Prometheus's own text parser (what the
// scraper accepts) and returns the gauges by metric name.
func parse(t *testing.T, text string) map[string][]sample {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parsing exposition: %v\n%s", err, text)
	}
	out := map[string][]sample{}
	for name, f := range families {
		if f.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s: type %s, want GAUGE", name, f.GetType())
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[name] = append(out[name], sample{Labels: labels, Value: m.GetGauge().GetValue()})
		}
	}
	return out
}

func TestWriteExposition(t *testing.T) {
	cases := map[string]struct {
		gauges gauges
		want   map[string][]sample
	}{
		"saturated": {
			gauges: gauges{Model: "ibm/granite-13b", KvCacheUsage: 0.95, NumRequestsWaiting: 0},
			want: map[string][]sample{
				metricKvCacheUsage: {{Labels: map[string]string{"model_name": "ibm/granite-13b"}, Value: 0.95}},
				metricQueueLength:  {{Labels: map[string]string{"model_name": "ibm/granite-13b"}, Value: 0}},
			},
		},
		"queue": {
			gauges: gauges{Model: "meta/llama-70b", KvCacheUsage: 0.1, NumRequestsWaiting: 12},
			want: map[string][]sample{
				metricKvCacheUsage: {{Labels: map[string]string{"model_name": "meta/llama-70b"}, Value: 0.1}},
				metricQueueLength:  {{Labels: map[string]string{"model_name": "meta/llama-70b"}, Value: 12}},
			},
		},
		"model name that needs escaping": {
			gauges: gauges{Model: "a\"b\\c\nd", KvCacheUsage: 1, NumRequestsWaiting: 3},
			want: map[string][]sample{
				metricKvCacheUsage: {{Labels: map[string]string{"model_name": "a\"b\\c\nd"}, Value: 1}},
				metricQueueLength:  {{Labels: map[string]string{"model_name": "a\"b\\c\nd"}, Value: 3}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			if err := writeExposition(&b, tc.gauges); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, parse(t, b.String())); diff != "" {
				t.Errorf("exposition (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExpositionText pins the exact text, as vLLM writes it.
func TestExpositionText(t *testing.T) {
	var b strings.Builder
	if err := writeExposition(&b, gauges{Model: "m", KvCacheUsage: 0.95, NumRequestsWaiting: 2}); err != nil {
		t.Fatal(err)
	}
	want := `# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{model_name="m"} 0.95
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="m"} 2
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("exposition (-want +got):\n%s", diff)
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(newHandler(gauges{Model: "m", KvCacheUsage: 0.5, NumRequestsWaiting: 1}))
	t.Cleanup(srv.Close)
	type response struct {
		Status      int
		ContentType string
		Body        string
	}
	cases := map[string]struct {
		method, path string
		want         response
	}{
		"healthz": {method: http.MethodGet, path: "/healthz",
			want: response{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: "ok\n"}},
		"unknown path": {method: http.MethodGet, path: "/nope",
			want: response{Status: http.StatusNotFound, ContentType: "text/plain; charset=utf-8", Body: "404 page not found\n"}},
		"metrics by POST": {method: http.MethodPost, path: "/metrics",
			want: response{Status: http.StatusMethodNotAllowed, ContentType: "text/plain; charset=utf-8", Body: "Method Not Allowed\n"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := fetch(t, srv.Client(), tc.method, srv.URL+tc.path)
			if diff := cmp.Diff(tc.want, response{got.StatusCode, got.Header.Get("Content-Type"), got.body}); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", tc.method, tc.path, diff)
			}
		})
	}

	got := fetch(t, srv.Client(), http.MethodGet, srv.URL+"/metrics")
	if got.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", got.Status)
	}
	format := expfmt.ResponseFormat(got.Header)
	if format.FormatType() != expfmt.TypeTextPlain {
		t.Errorf("GET /metrics: Content-Type %q is not the text format", got.Header.Get("Content-Type"))
	}
	want := map[string][]sample{
		metricKvCacheUsage: {{Labels: map[string]string{"model_name": "m"}, Value: 0.5}},
		metricQueueLength:  {{Labels: map[string]string{"model_name": "m"}, Value: 1}},
	}
	if diff := cmp.Diff(want, parse(t, got.body)); diff != "" {
		t.Errorf("GET /metrics (-want +got):\n%s", diff)
	}
}

func TestRun(t *testing.T) {
	getenv := func(string) string { return "" }
	t.Run("invalid flags", func(t *testing.T) {
		err := run(t.Context(), []string{"-kv-cache-usage", "2"}, getenv, io.Discard)
		want := `-kv-cache-usage="2": must be in [0, 1]`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("run: error %v, want one containing %q", err, want)
		}
	})
	t.Run("address in use", func(t *testing.T) {
		busy := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(busy.Close)
		addr := strings.TrimPrefix(busy.URL, "http://")
		err := run(t.Context(), []string{"-model", "m", "-listen", addr}, getenv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "serving on "+addr) {
			t.Errorf("run: error %v, want one naming %s", err, addr)
		}
	})
	t.Run("stops when the context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var log strings.Builder
		if err := run(ctx, []string{"-model", "m", "-listen", "127.0.0.1:0"}, getenv, &log); err != nil {
			t.Errorf("run: %v", err)
		}
		if want := `serving model "m"`; !strings.Contains(log.String(), want) {
			t.Errorf("log %q lacks %q", log.String(), want)
		}
	})
}

type fetched struct {
	*http.Response
	body string
}

func fetch(t *testing.T, c *http.Client, method, url string) fetched {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return fetched{resp, string(body)}
}
