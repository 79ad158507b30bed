// Package promrange runs PromQL range queries on a Prometheus server in the
// cluster through the API server's service proxy
// (/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy/api/v1/query_range),
// so that a program on the developer's machine reaches Prometheus the way it
// reaches the rest of the cluster: through the API server of its
// kubeconfig, with no port-forward and no other address.
package promrange
