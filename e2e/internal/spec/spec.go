package spec

import (
	"time"
)

// Log lines of the capacity-scaling spec (its "Log output" examples),
// copied from it rather than imported from the controller: the suite checks
// the contract, not the implementation's constants.
const (
	MsgNotFound        = "Capacity scaling ConfigMap not found, using hardcoded defaults"
	MsgLoaded          = "Capacity scaling configuration loaded"
	MsgChanged         = "Capacity scaling ConfigMap changed, reloading cache"
	MsgCacheUpdated    = "Capacity scaling config cache updated"
	MsgTriggerAll      = "Triggering reconciliation for all VariantAutoscaling resources due to ConfigMap change"
	MsgInvalidEntry    = "Invalid capacity scaling config entry, skipping"
	MsgAppliedOverride = "Applied capacity scaling override"
)

// A line docs/capacity-scaling.md documents beyond the spec's examples.
const MsgDeleted = "Capacity scaling ConfigMap deleted, using hardcoded defaults"

// zap's level names.
const (
	LevelDebug = "debug"
	LevelInfo  = "info"
	LevelWarn  = "warn"
)

// Deadlines the features assert.
const (
	// ReloadLogDeadline: a ConfigMap change is logged (changed, cache
	// updated, reconciliation triggered) within 2 s.
	ReloadLogDeadline = 2 * time.Second
	// ApplyDeadline: every VariantAutoscaling shows a change in its status
	// within 5 s.
	ApplyDeadline = 5 * time.Second
	// FanOutDeadline: 200 VariantAutoscalings show a change within 10 s.
	FanOutDeadline = 10 * time.Second
	// ReconcileDeadline: a new VariantAutoscaling gets its first status.
	ReconcileDeadline = 30 * time.Second
	// RolloutDeadline: the controller (or a test workload) becomes
	// available, or its pod goes away.
	RolloutDeadline = 2 * time.Minute
	// ScrapeDeadline: Prometheus has scraped a workload's gauges.
	ScrapeDeadline = time.Minute
	// KedaInstallDeadline bounds each wait of KEDA's install: the
	// operator, then the metrics server, then the APIService. The metrics
	// server starts only once the operator has written its certificates
	// into the kedaorg-certs Secret and the kubelet has refreshed the
	// volume.
	KedaInstallDeadline = 4 * time.Minute
	// KedaReadyDeadline: a ScaledObject is Ready and its HPA exists.
	KedaReadyDeadline = time.Minute
)

// The controller's identity, as the RBAC checks name it.
const ControllerUser = "system:serviceaccount:workload-variant-autoscaler-system:wva-controller"
