// Package zaplog parses the JSON log lines the controller writes through zap
// (fields "level", "msg", "ts", "logger", "caller", plus the key/value pairs of
// the call) and finds the lines the capacity-scaling spec promises.
//
// The e2e suite reads the controller's log through the Kubernetes API
// (pods/log with timestamps=true), so each line may start with the RFC 3339
// timestamp the container runtime recorded when the line was written; Parse
// keeps it as Entry.Time, which is what the suite measures latencies with.
// Lines that are not JSON objects (a panic's stack trace, klog output of a
// library) are returned separately rather than failing the parse.
package zaplog
