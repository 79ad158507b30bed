package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wva-project/wva/e2e/internal/emulator"
	"github.com/wva-project/wva/e2e/internal/poll"
)

// scraped is one scrape of /metrics, parsed by Prometheus's own text parser.
type scraped struct {
	status int
	types  map[string]dto.MetricType
	// series maps a series, written name{label="value",...} with sorted
	// labels, to its value; a histogram gives name_count, name_sum and
	// name_bucket series.
	series map[string]float64
}

func scrape(t *testing.T, srv *httptest.Server) scraped {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if f := expfmt.ResponseFormat(resp.Header); f.FormatType() != expfmt.TypeTextPlain {
		t.Errorf("GET /metrics: Content-Type %q is not the text format", resp.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	out := scraped{status: resp.StatusCode, types: map[string]dto.MetricType{}, series: map[string]float64{}}
	for name, f := range families {
		out.types[name] = f.GetType()
		for _, m := range f.GetMetric() {
			labels := m.GetLabel()
			switch f.GetType() {
			case dto.MetricType_GAUGE:
				out.series[key(name, labels)] = m.GetGauge().GetValue()
			case dto.MetricType_COUNTER:
				out.series[key(name, labels)] = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				out.series[key(name+"_count", labels)] = float64(h.GetSampleCount())
				out.series[key(name+"_sum", labels)] = h.GetSampleSum()
				for _, b := range h.GetBucket() {
					le := fmt.Sprintf(`le="%g"`, b.GetUpperBound())
					out.series[key(name+"_bucket", labels, le)] = float64(b.GetCumulativeCount())
				}
			}
		}
	}
	return out
}

func key(name string, labels []*dto.LabelPair, extra ...string) string {
	var pairs []string
	for _, l := range labels {
		pairs = append(pairs, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	pairs = append(pairs, extra...)
	sort.Strings(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// pick returns the series of s named in want's keys (absent ones as -1).
func pick(s scraped, want map[string]float64) map[string]float64 {
	got := map[string]float64{}
	for k := range want {
		v, ok := s.series[k]
		if !ok {
			v = -1
		}
		got[k] = v
	}
	return got
}

const labels = `engine="0",model_name="m"`

func TestMetricNamesAndLabels(t *testing.T) {
	srv := startServer(t, fastConfig(), clock.RealClock{})
	got := scrape(t, srv)
	wantTypes := map[string]dto.MetricType{
		metricKVCacheUsage:                 dto.MetricType_GAUGE,
		metricRunning:                      dto.MetricType_GAUGE,
		metricWaiting:                      dto.MetricType_GAUGE,
		"vllm:request_success_total":       dto.MetricType_COUNTER,
		"vllm:prompt_tokens_total":         dto.MetricType_COUNTER,
		"vllm:generation_tokens_total":     dto.MetricType_COUNTER,
		"vllm:e2e_request_latency_seconds": dto.MetricType_HISTOGRAM,
		"vllm:time_to_first_token_seconds": dto.MetricType_HISTOGRAM,
		"vllm:request_queue_time_seconds":  dto.MetricType_HISTOGRAM,
	}
	if diff := cmp.Diff(wantTypes, got.types); diff != "" {
		t.Errorf("metric families (-want +got):\n%s", diff)
	}
	// What WVA's queries select on: model_name (and engine, as vLLM v1 sets it).
	want := map[string]float64{
		"vllm:kv_cache_usage_perc{" + labels + "}":                                       0,
		"vllm:num_requests_waiting{" + labels + "}":                                      0,
		"vllm:num_requests_running{" + labels + "}":                                      0,
		`vllm:request_success_total{engine="0",finished_reason="length",model_name="m"}`: 0,
		`vllm:request_success_total{engine="0",finished_reason="abort",model_name="m"}`:  0,
		`vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"}`:   0,
		"vllm:e2e_request_latency_seconds_count{" + labels + "}":                         0,
		`vllm:e2e_request_latency_seconds_bucket{engine="0",le="0.3",model_name="m"}`:    0,
		`vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="m"}`:  0,
	}
	if diff := cmp.Diff(want, pick(got, want)); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

// TestMetricsFollowLoad sends more requests than the engine runs at once,
// checks the gauges while they run and queue, then lets the clock pass
// their finishes and checks that they were answered and counted.
func TestMetricsFollowLoad(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := config{
		model: "m",
		// Each request: 100 prompt + 10 output tokens, 1s prefill + 1s decode.
		engine:           emulator.Config{KVCacheTokens: 1000, MaxNumSeqs: 2, PrefillTokensPerSecond: 100, DecodeTokensPerSecond: 10},
		defaultMaxTokens: 10,
		promptTokens:     100,
	}
	srv := startServer(t, cfg, clk)
	const n = 5
	statuses := make(chan int, n)
	for range n {
		go func() {
			resp, err := srv.Client().Post(srv.URL+"/v1/completions", "application/json", strings.NewReader(`{"model": "m", "prompt": "hello"}`))
			if err != nil {
				statuses <- -1
				return
			}
			_ = resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}

	var s scraped
	_, err := poll.Until(t.Context(), clock.RealClock{}, 5*time.Second, time.Millisecond, func(context.Context) (bool, string, error) {
		s = scrape(t, srv)
		running, waiting := s.series["vllm:num_requests_running{"+labels+"}"], s.series["vllm:num_requests_waiting{"+labels+"}"]
		return running+waiting == n, fmt.Sprintf("%g running, %g waiting", running, waiting), nil
	})
	if err != nil {
		t.Fatalf("waiting for %d requests to arrive: %v", n, err)
	}
	under := map[string]float64{
		"vllm:kv_cache_usage_perc{" + labels + "}":               0.22,
		"vllm:num_requests_running{" + labels + "}":              2,
		"vllm:num_requests_waiting{" + labels + "}":              3,
		"vllm:e2e_request_latency_seconds_count{" + labels + "}": 0,
	}
	if diff := cmp.Diff(under, pick(s, under)); diff != "" {
		t.Errorf("under load (-want +got):\n%s", diff)
	}

	// Admitted at 0, 0, 2, 2 and 4s; finished 2s later. The scrape processes
	// the finishes, which answers the requests.
	clk.Step(time.Minute)
	drained := map[string]float64{
		"vllm:kv_cache_usage_perc{" + labels + "}":                                       0,
		"vllm:num_requests_running{" + labels + "}":                                      0,
		"vllm:num_requests_waiting{" + labels + "}":                                      0,
		`vllm:request_success_total{engine="0",finished_reason="length",model_name="m"}`: n,
		"vllm:prompt_tokens_total{" + labels + "}":                                       n * 100,
		"vllm:generation_tokens_total{" + labels + "}":                                   n * 10,
		"vllm:e2e_request_latency_seconds_count{" + labels + "}":                         n,
		"vllm:e2e_request_latency_seconds_sum{" + labels + "}":                           2 + 2 + 4 + 4 + 6,
		`vllm:e2e_request_latency_seconds_bucket{engine="0",le="2",model_name="m"}`:      2,
		`vllm:e2e_request_latency_seconds_bucket{engine="0",le="5",model_name="m"}`:      4,
		"vllm:time_to_first_token_seconds_sum{" + labels + "}":                           1 + 1 + 3 + 3 + 5,
		"vllm:request_queue_time_seconds_sum{" + labels + "}":                            0 + 0 + 2 + 2 + 4,
	}
	if diff := cmp.Diff(drained, pick(scrape(t, srv), drained)); diff != "" {
		t.Errorf("after the load (-want +got):\n%s", diff)
	}
	for range n {
		if got := <-statuses; got != http.StatusOK {
			t.Errorf("completion: status %d, want 200", got)
		}
	}
}
