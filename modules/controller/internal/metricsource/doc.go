// Package metricsource reads the per-replica vLLM metrics the capacity
// analysis needs (KV-cache utilization and waiting requests) behind the small
// Source interface, so that sources other than Prometheus (a direct pod
// scrape, a fake in tests) can be plugged in.
package metricsource
