// Command benchscale is the scale benchmark of the wva-controller (`make
// bench-scale`, not part of `make test`). It starts a real kube-apiserver and
// etcd through envtest (binaries built from source, KUBEBUILDER_ASSETS), runs
// the real wva-controller binary as a child process against them, and prints
// one line per measurement:
//
//	fanout vas=<N> total=<s> p50=<ms> p99=<ms> requests-per-va=<n> cpu=<s> rss=<MB>
//	memory foreign-configmaps=<n> foreign-pods=<n> rss-growth=<MB>
//	idle vas=<N> window=<s> cpu=<s> requests=<n> rss=<MB>
//
// The controller's CPU seconds and RSS are its own (/proc/<pid>/stat and
// /proc/<pid>/status), its API requests come from client-go's request
// metrics on its /metrics endpoint, and per-VariantAutoscaling latencies
// from a watch in this process: the time from the ConfigMap update to the
// first watch event that shows the new resourceVersion in
// status.appliedConfig. The metrics source is a fake Prometheus HTTP API
// served by this process (every query answers an empty vector), so the
// binary runs with its production code paths and no extra flag.
//
// docs/performance.md records the numbers and what they mean.
package main
