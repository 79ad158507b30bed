// Package controller holds the VariantAutoscaling reconciler: for one
// VariantAutoscaling it resolves the effective capacity configuration from the
// in-memory Store, groups the variants of its model through a field index,
// reads their replicas' metrics, analyses the model, applies the variant's
// decision (scale-down only after a stabilization window) and writes one
// status patch that records the applied configuration.
package controller
