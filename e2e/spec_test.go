//go:build e2e

package e2e

import "time"

// Log lines of the capacity-scaling spec (its "Log output" examples),
// copied from it rather than imported from the controller: the suite checks
// the contract, not the implementation's constants.
const (
	msgNotFound        = "Capacity scaling ConfigMap not found, using hardcoded defaults"
	msgLoaded          = "Capacity scaling configuration loaded"
	msgChanged         = "Capacity scaling ConfigMap changed, reloading cache"
	msgCacheUpdated    = "Capacity scaling config cache updated"
	msgTriggerAll      = "Triggering reconciliation for all VariantAutoscaling resources due to ConfigMap change"
	msgInvalidEntry    = "Invalid capacity scaling config entry, skipping"
	msgAppliedOverride = "Applied capacity scaling override"
)

// A line docs/capacity-scaling.md documents beyond the spec's examples.
const msgDeleted = "Capacity scaling ConfigMap deleted, using hardcoded defaults"

// zap's level names.
const (
	levelDebug = "debug"
	levelInfo  = "info"
	levelWarn  = "warn"
)

// Deadlines the features assert.
const (
	// reloadLogDeadline: a ConfigMap change is logged (changed, cache
	// updated, reconciliation triggered) within 2 s.
	reloadLogDeadline = 2 * time.Second
	// applyDeadline: every VariantAutoscaling shows a change in its status
	// within 5 s.
	applyDeadline = 5 * time.Second
	// fanOutDeadline: 200 VariantAutoscalings show a change within 10 s.
	fanOutDeadline = 10 * time.Second
	// reconcileDeadline: a new VariantAutoscaling gets its first status.
	reconcileDeadline = 30 * time.Second
	// rolloutDeadline: the controller (or a test workload) becomes
	// available, or its pod goes away.
	rolloutDeadline = 2 * time.Minute
)

// The controller's identity, as the RBAC checks name it.
const controllerUser = "system:serviceaccount:workload-variant-autoscaler-system:wva-controller"

// A default entry unlike the built-in defaults, so that a change is visible.
var defaultEntry = entry(
	"kvCacheThreshold: 0.70",
	"queueLengthThreshold: 8",
	"kvSpareTrigger: 0.20",
	"queueSpareTrigger: 4",
)
