// Package metricsource reads the per-replica vLLM metrics the capacity
// analysis needs (KV-cache utilization and waiting requests) behind the small
// Source interface, so that sources other than Prometheus (a direct pod
// scrape, a fake in tests) can be plugged in.
//
// Prometheus is the production source: client_golang's API client over a
// transport built from HTTPOptions (a CA file, a bearer token or basic-auth
// password read from a file on every query, custom headers such as a
// tenant), which the controller and kubectl wva bind to the same
// --prometheus-* flags. Every query error names its PromQL (QueryError).
package metricsource
