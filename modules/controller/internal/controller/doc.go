// Package controller holds the two controllers of WVA.
//
// The VariantAutoscaling controller (variantautoscaling_controller.go) writes
// the configuration each VariantAutoscaling resolves to: status.appliedConfig
// and the ConfigResolved condition. It reads the in-memory capacity.Store
// only, so a ConfigMap change reaches every VariantAutoscaling within seconds
// whatever the metrics source does.
//
// The model controller (model_controller.go) scales. Its work item is a
// ModelKey, the (namespace, spec.modelID) that makes VariantAutoscalings
// variants of one model, so that one pass gathers the model once and decides
// every variant from one analysis:
//
//   - observe.go reads each variant's target and pods from the workload
//     cache (a Deployment or StatefulSet gives its replicas and selector as
//     its /scale subresource would; any other kind is one /scale GET), and
//     the model's metrics (one read of the metrics source, started before the
//     target reads so that they overlap);
//   - replicas.go tells replicas that serve load from those in flight
//     (starting, or Ready too recently for their metrics to count) and those
//     without metrics;
//   - plan.go runs capacity.AnalyzeModel on the pooled replicas;
//   - stabilizer.go applies the scale-down timeline, whose state (the window,
//     a step the target has not reached yet) is kept per model in memory;
//   - model_status.go writes each variant's scaling status and Events.
//
// Both controllers patch the same status objects, each its own fields and
// conditions; a patch carries the resourceVersion it was computed from and a
// conflict is resolved by one fresh read (status.go). Both subscribe to the
// ConfigMap watch (configwatch.Reloader), which runs on every replica so that a
// standby's Store is current when it takes over.
package controller
