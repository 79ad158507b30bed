// Package load runs the load features (11-14): a Run deploys, in a
// namespace of its Fixture, Prometheus and an emulated vLLM model (package
// workload), points the controller at that Prometheus with the load
// features' settings (restored at teardown), creates one VariantAutoscaling
// per variant, records the timeline (package internal/timeline), starts
// the load Job and checks the cycle it drives: reaction and settle-down
// against their budgets, one up and one down phase, the VAs' bounds and the
// load generator's errors. The steps the features share (SetUpStep,
// StartStep, ScaleUpStep, ScaleDownStep, CheckCycleStep and the others of
// steps.go) are step constructors.
package load
