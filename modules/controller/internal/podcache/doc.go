// Package podcache caches pods only in the namespaces that hold
// VariantAutoscalings. The model controller reads the pods of its targets
// from a cache on every pass; a cluster-wide pod informer would hold every
// pod of the cluster, most of them in namespaces the controller has no work
// in. Here each namespace gets its own pod informer on first use, and loses
// it when its last VariantAutoscaling goes.
package podcache
