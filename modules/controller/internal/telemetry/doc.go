// Package telemetry defines the controller's own Prometheus metrics: config
// reloads, the entries of the current config, reload-to-enqueue latency,
// scaling decisions and the current and desired replicas of every variant.
// Metrics are fields of a Metrics value registered on a caller-chosen
// registry (controller-runtime's in the binary, a fresh one in tests), never
// package-level globals.
package telemetry
