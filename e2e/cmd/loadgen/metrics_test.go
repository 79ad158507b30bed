package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wva-project/wva/e2e/internal/loadgen"
)

func TestMetrics(t *testing.T) {
	p := loadgen.Progress{
		OfferedRPS:     12,
		Counts:         loadgen.Counts{Scheduled: 100, Sent: 95, Skipped: 5, Succeeded: 80, Failed: 10, Canceled: 1},
		InFlight:       4,
		LatencySeconds: loadgen.Quantiles{P50: 1.5, P95: 3, P99: 4},
		LatencySum:     120 * time.Second,
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(newCollector(func() loadgen.Progress { return p }))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			key := name + "{" + strings.Join(labels, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_GAUGE:
				got[key] = m.GetGauge().GetValue()
			case dto.MetricType_COUNTER:
				got[key] = m.GetCounter().GetValue()
			case dto.MetricType_SUMMARY:
				got[name+"_count{}"] = float64(m.GetSummary().GetSampleCount())
				got[name+"_sum{}"] = m.GetSummary().GetSampleSum()
				for _, q := range m.GetSummary().GetQuantile() {
					got[fmt.Sprintf("%s{quantile=%g}", name, q.GetQuantile())] = q.GetValue()
				}
			default:
				t.Errorf("%s: unexpected type %s", name, f.GetType())
			}
		}
	}
	want := map[string]float64{
		"loadgen_offered_rps{}":                          12,
		"loadgen_requests_scheduled_total{}":             100,
		"loadgen_requests_total{result=success}":         80,
		"loadgen_requests_total{result=failure}":         10,
		"loadgen_requests_total{result=skipped}":         5,
		"loadgen_requests_total{result=canceled}":        1,
		"loadgen_requests_in_flight{}":                   4,
		"loadgen_request_latency_seconds_count{}":        80,
		"loadgen_request_latency_seconds_sum{}":          120,
		"loadgen_request_latency_seconds{quantile=0.5}":  1.5,
		"loadgen_request_latency_seconds{quantile=0.95}": 3,
		"loadgen_request_latency_seconds{quantile=0.99}": 4,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}
