// Package spec holds what the capacity-scaling spec fixes and the features
// assert: the controller's log lines (copied from the spec, not imported
// from the controller, so that the suite checks the contract), zap's level
// names, the deadlines (2 s to log a reload, 5 s to reach every
// VariantAutoscaling, 10 s for the fan-out, ...) and the controller's
// ServiceAccount user.
package spec
