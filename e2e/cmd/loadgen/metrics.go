package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wva-project/wva/e2e/internal/loadgen"
)

// collector exports a runner's progress, read once per scrape.
type collector struct {
	progress func() loadgen.Progress

	offered, scheduled, requests, inFlight, latency *prometheus.Desc
}

func newCollector(progress func() loadgen.Progress) *collector {
	return &collector{
		progress:  progress,
		offered:   prometheus.NewDesc("loadgen_offered_rps", "Request rate the profile offers now, in requests per second.", nil, nil),
		scheduled: prometheus.NewDesc("loadgen_requests_scheduled_total", "Requests due by the profile so far, sent or skipped.", nil, nil),
		requests: prometheus.NewDesc("loadgen_requests_total",
			"Requests by result: success (2xx), failure (error or other status), skipped (max outstanding reached), canceled (stopped).",
			[]string{"result"}, nil),
		inFlight: prometheus.NewDesc("loadgen_requests_in_flight", "Requests sent and not yet answered.", nil, nil),
		latency:  prometheus.NewDesc("loadgen_request_latency_seconds", "Latency of succeeded requests.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.offered, c.scheduled, c.requests, c.inFlight, c.latency} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	p := c.progress()
	ch <- prometheus.MustNewConstMetric(c.offered, prometheus.GaugeValue, p.OfferedRPS)
	ch <- prometheus.MustNewConstMetric(c.scheduled, prometheus.CounterValue, float64(p.Scheduled))
	for result, n := range map[string]uint64{
		"success": p.Succeeded, "failure": p.Failed, "skipped": p.Skipped, "canceled": p.Canceled,
	} {
		ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(n), result)
	}
	ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(p.InFlight))
	ch <- prometheus.MustNewConstSummary(c.latency, p.Succeeded, p.LatencySum.Seconds(), map[float64]float64{
		0.5: p.LatencySeconds.P50, 0.95: p.LatencySeconds.P95, 0.99: p.LatencySeconds.P99,
	})
}
