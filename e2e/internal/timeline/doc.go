// Package timeline records what happens to one model during a load run, for
// the closed-loop e2e features: every second, the offered load, the
// requests running and waiting and the mean KV-cache usage of the model's
// replicas (from the in-cluster Prometheus, through the API server's
// service proxy), and for each variant the replicas its Deployment has
// (spec.replicas and ready) and the replicas WVA wants
// (status.desiredReplicas of its VariantAutoscaling). Every change of a
// Deployment's spec.replicas is also recorded from a watch, at the time it
// was seen rather than at the next sample.
//
// A recorded Series is written as CSV (WriteCSV) and drawn as a PNG
// (WritePNG); Steps and Phases describe its scaling history for the
// features' assertions.
package timeline
