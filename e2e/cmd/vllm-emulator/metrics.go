package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wva-project/wva/e2e/internal/emulator"
)

// vLLM's metric names (vllm/v1/metrics/loggers.py); WVA queries the first
// and third.
const (
	metricKVCacheUsage     = "vllm:kv_cache_usage_perc"
	metricRunning          = "vllm:num_requests_running"
	metricWaiting          = "vllm:num_requests_waiting"
	metricRequestSuccess   = "vllm:request_success_total"
	metricPromptTokens     = "vllm:prompt_tokens_total"
	metricGenerationTokens = "vllm:generation_tokens_total"
	metricLatency          = "vllm:e2e_request_latency_seconds"
	metricFirstToken       = "vllm:time_to_first_token_seconds"
	metricQueueTime        = "vllm:request_queue_time_seconds"
)

// collector exports an engine's snapshot, taken once per scrape so that
// every series of one scrape describes the same instant.
type collector struct {
	engine *emulator.Engine

	kvCacheUsage, running, waiting   *prometheus.Desc
	success, promptTokens, genTokens *prometheus.Desc
	latency, firstToken, queueTime   *prometheus.Desc
}

// newCollector labels every series model_name=model and engine="0", as vLLM
// v1 does for its single engine.
func newCollector(engine *emulator.Engine, model string) *collector {
	labels := prometheus.Labels{"model_name": model, "engine": "0"}
	desc := func(name, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, variable, labels)
	}
	return &collector{
		engine:       engine,
		kvCacheUsage: desc(metricKVCacheUsage, "KV-cache usage. 1 means 100 percent usage."),
		running:      desc(metricRunning, "Number of requests in model execution batches."),
		waiting:      desc(metricWaiting, "Number of requests waiting to be processed."),
		success:      desc(metricRequestSuccess, "Count of successfully processed requests.", "finished_reason"),
		promptTokens: desc(metricPromptTokens, "Number of prefill tokens processed."),
		genTokens:    desc(metricGenerationTokens, "Number of generation tokens processed."),
		latency:      desc(metricLatency, "Histogram of e2e request latency in seconds."),
		firstToken:   desc(metricFirstToken, "Histogram of time to first token in seconds."),
		queueTime:    desc(metricQueueTime, "Histogram of time spent in WAITING phase for request."),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.kvCacheUsage, c.running, c.waiting, c.success, c.promptTokens, c.genTokens,
		c.latency, c.firstToken, c.queueTime,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.engine.Snapshot()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	histogram := func(d *prometheus.Desc, h emulator.Histogram) {
		ch <- prometheus.MustNewConstHistogram(d, h.Count, h.Sum, h.Cumulative())
	}
	gauge(c.kvCacheUsage, s.KVCacheUsage())
	gauge(c.running, float64(s.Running))
	gauge(c.waiting, float64(s.Waiting))
	// Every emulated request runs to max_tokens; none stops early.
	counter(c.success, 0, "stop")
	counter(c.success, s.Succeeded, "length")
	counter(c.success, s.Aborted, "abort")
	counter(c.promptTokens, s.PromptTokens)
	counter(c.genTokens, s.GenerationTokens)
	histogram(c.latency, s.Latency)
	histogram(c.firstToken, s.TimeToFirstToken)
	histogram(c.queueTime, s.QueueTime)
}
