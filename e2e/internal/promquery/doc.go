// Package promquery runs PromQL instant queries on a Prometheus server in
// the cluster through the API server's service proxy
// (/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy/api/v1/query), so
// that a test reaches Prometheus the one way it may reach the cluster:
// through the API server of its kubeconfig.
package promquery
