package configwatch

import (
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"

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
	// MsgBoundary is logged once per instant at which a scheduled window
	// starts or ends, with the windows and entries it switches and the
	// number of VariantAutoscalings requeued.
	// MsgResyncApplied: after a watch error, a read of the ConfigMap through
	// the API found a version the cache did not hold (INFO), before the
	// watch delivered it; the spec's reload lines precede it.
	MsgResyncApplied = "Capacity scaling ConfigMap read through the API while the watches recover, cache updated"
	// MsgResyncStarted and MsgResyncEnded open and close the window of those
	// reads (DEBUG).
	MsgResyncStarted = "Watch error: reading the capacity scaling ConfigMap through the API until the watches recover"
	MsgResyncEnded   = "Capacity scaling ConfigMap reads through the API stopped: no watch error for the window"
	MsgBoundary      = "Capacity scaling schedule boundary, reconciling the VariantAutoscalings it switches"
	// MsgBoundaryListFailed: the VariantAutoscalings to requeue at a
	// boundary could not be listed from the cache.
	MsgBoundaryListFailed = "Failed to list VariantAutoscaling resources at a capacity scaling schedule boundary"
	// MsgInvalidDefault replaces the spec's MsgNoDefault when the "default"
	// key exists but its entry is invalid (its MsgInvalidEntry line says
	// why): the entry is there, it was skipped.
	MsgInvalidDefault     = "Invalid 'default' entry in capacity scaling ConfigMap skipped, using hardcoded defaults"
	MsgMoreInvalidEntries = "More invalid capacity scaling config entries skipped than logged one by one"
	MsgMoreEntryWarnings  = "More capacity scaling config entries accepted with a warning than logged one by one"
)

// maxProblemLines bounds the WARN lines one load logs per kind (invalid
// entries, entries with a caveat): past it, one summary line gives the
// total, so that a ConfigMap with thousands of bad entries does not flood
// the log.
const maxProblemLines = 20

// reportProblems logs what parsing the ConfigMap cm into snap found wrong:
// the spec's WARN per skipped entry and one per entry accepted with a
// caveat (each up to maxProblemLines, then a summary line), the spec's
// missing-default line when there is no "default" key, a line of its own
// when the "default" entry is there but invalid, and one line naming the
// binaryData keys, which configure nothing.
func reportProblems(log logr.Logger, cm *corev1.ConfigMap, snap *capacity.Snapshot) {
	errs := snap.Errors()
	for i, e := range errs {
		if i == maxProblemLines {
			logging.Warn(log, MsgMoreInvalidEntries, "logged", maxProblemLines, "invalid", len(errs))
			break
		}
		logging.Warn(log, MsgInvalidEntry, "key", e.Key, "error", e.Error())
	}
	warnings := snap.Warnings()
	for i, w := range warnings {
		if i == maxProblemLines {
			logging.Warn(log, MsgMoreEntryWarnings, "logged", maxProblemLines, "warnings", len(warnings))
			break
		}
		logging.Warn(log, MsgEntryWarning, "key", w.Key, "warning", w.Message)
	}
	if !snap.HasDefault() {
		if _, present := cm.Data[capacity.DefaultKey]; present {
			logging.Warn(log, MsgInvalidDefault, "key", capacity.DefaultKey)
		} else {
			logging.Warn(log, MsgNoDefault)
		}
	}
	if keys := capacity.IgnoredBinaryDataKeys(cm.BinaryData); len(keys) > 0 {
		shown := keys[:min(len(keys), maxProblemLines)]
		logging.Warn(log, capacity.BinaryDataIgnored, "keys", shown, "count", len(keys))
	}
}
