// Package actuation resolves a VariantAutoscaling's scale target through its
// /scale subresource, which works for Deployments, StatefulSets and any
// custom resource that declares one, and applies desired replicas to it (or,
// in metrics-only mode, leaves the target to an HPA or KEDA).
package actuation
