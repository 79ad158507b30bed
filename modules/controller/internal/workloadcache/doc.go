// Package workloadcache caches, only in the namespaces that hold
// VariantAutoscalings, what the model controller reads on every pass: pods,
// and the Deployments and StatefulSets that are the usual scale targets. A
// cluster-wide informer would hold every pod and workload of the cluster,
// most of them in namespaces the controller has no work in. Here each
// namespace gets its own informers on first use, and loses them when its
// last VariantAutoscaling goes. Objects are slimmed as they enter the cache
// to the fields a pass reads: no pod specs, no pod templates.
package workloadcache
