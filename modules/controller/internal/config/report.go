package config

import (
	"github.com/go-logr/logr"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/logging"
)

// Log messages fixed by the capacity-scaling spec (docs/capacity-scaling.md).
const (
	MsgNotFound        = "Capacity scaling ConfigMap not found, using hardcoded defaults"
	MsgInitialFailed   = "Failed to load initial capacity scaling config, will use defaults"
	MsgLoaded          = "Capacity scaling configuration loaded"
	MsgChanged         = "Capacity scaling ConfigMap changed, reloading cache"
	MsgCacheUpdated    = "Capacity scaling config cache updated"
	MsgInvalidEntry    = "Invalid capacity scaling config entry, skipping"
	MsgNoDefault       = "No 'default' entry in capacity scaling ConfigMap, using hardcoded defaults"
	MsgTriggerAll      = "Triggering reconciliation for all VariantAutoscaling resources due to ConfigMap change"
	MsgAppliedOverride = "Applied capacity scaling override"
)

// Log messages of this implementation (not in the spec).
const (
	MsgEntryWarning = "Capacity scaling config entry accepted with a warning"
	MsgDeleted      = "Capacity scaling ConfigMap deleted, using hardcoded defaults"
	MsgUnchanged    = "Capacity scaling ConfigMap event carries the cached resourceVersion, cache kept"
	MsgListFailed   = "Failed to list VariantAutoscaling resources after ConfigMap change"
	MsgStandby      = "Capacity scaling config cache updated on a standby replica; the leader reconciles"
)

// reportProblems logs what parsing a ConfigMap found wrong: one WARN per
// skipped entry, one per entry accepted with a caveat, and one when no valid
// default entry exists.
func reportProblems(log logr.Logger, snap *capacity.Snapshot) {
	for _, e := range snap.Errors() {
		logging.Warn(log, MsgInvalidEntry, "key", e.Key, "error", e.Error())
	}
	for _, w := range snap.Warnings() {
		logging.Warn(log, MsgEntryWarning, "key", w.Key, "warning", w.Message)
	}
	if !snap.HasDefault() {
		logging.Warn(log, MsgNoDefault)
	}
}
