// Package capacity is the capacity-scaling library of the Workload Variant
// Autoscaler: it turns the capacity-scaling-config ConfigMap into per-model
// thresholds and turns per-replica KV-cache and queue metrics into scaling
// decisions. It depends on no Kubernetes client: it takes a ConfigMap's Data
// (map[string]string) and plain metric values, so any controller or tool can
// use it.
//
// # Configuration
//
// Parse reads a ConfigMap's Data into an immutable Snapshot. The entry under
// the key "default" holds the global defaults; every other key is an
// override for one model_id in one namespace:
//
//	data:
//	  default: |
//	    kvCacheThreshold: 0.80
//	    queueLengthThreshold: 5
//	    kvSpareTrigger: 0.1
//	    queueSpareTrigger: 3
//	  granite-production: |
//	    model_id: ibm/granite-13b
//	    namespace: production
//	    kvCacheThreshold: 0.85
//
// Decoding is strict (DecodeEntry): a misspelt field, a quoted number, NaN or
// a value of the wrong type makes the entry invalid, with an error naming the
// field. So do the places where YAML 1.1, which sigs.k8s.io/yaml follows,
// reads something other than what the text seems to say: a second YAML
// document after "---", or text after "...", which would be ignored; a
// boolean such as no, on or y where a string is expected (quote it); a
// number written 010 (octal 8), 0x10, 0o17, 0b1 or 1_000; a number too large
// (1e309) or too small (1e-400, read as 0) to represent; a value with a YAML
// tag such as !!binary; a key that is not a string. Only the first few
// problems of an entry are reported, then their count, and a reason quotes
// at most 64 characters of any value, so it stays short whatever the input.
// An override sets exactly the fields it names, an explicit 0
// included, and inherits the others from the default entry, which inherits
// from the built-in defaults (DefaultCapacityScalingConfig). Each entry is
// validated as merged (CapacityScalingConfig.Validate) and passes or fails on
// its own: an invalid default falls back to the built-ins, an invalid
// override to the default. Skipped entries are reported by Snapshot.Errors
// as EntryError values, accepted entries with a caveat by Snapshot.Warnings.
// A skipped entry whose key is "default" in another case or with blanks
// ("Default") says that it was read as an override. Parse never fails and
// never panics.
//
// Parse reads only a ConfigMap's data: an entry under binaryData configures
// nothing. A caller with the whole ConfigMap logs IgnoredBinaryDataKeys of
// its BinaryData with the message BinaryDataIgnored.
//
// Snapshot.Resolve maps (model ID, namespace) to the effective configuration
// and its Source ("builtin", "default" or "override/<key>") with one map
// lookup and no allocation. Snapshot.Explain returns the same configuration
// with its Provenance: for each threshold, the entry that set it (the
// override, the default entry or the built-ins), computed by Parse so that
// Explain allocates nothing either. A Store holds the current snapshot behind an
// atomic pointer: readers never block, and a reload swaps the whole snapshot
// in at once.
//
// # Schedules
//
// An entry may carry schedules: at most MaxWindows windows, each with a
// name, the days it starts on (Mon..Sun, ranges such as Mon-Fri), a start
// and an end (HH:MM, the window being [start, end); an end at or before the
// start passes midnight) in an IANA time zone, and any of the four
// thresholds, which replace the entry's while the window is active. An
// override that declares no schedules inherits the default entry's windows
// (while one is active, it inherits from the default as that window makes
// it, and still sets exactly the fields it names); one that declares
// schedules, even an empty list, uses only its own. Every window's effective
// configuration is validated, windows of one entry must not overlap, and an
// entry with any bad window is skipped as a whole; problems of a window are
// WindowError values naming it.
//
// Start and end are wall-clock times. On the day the clock springs forward a
// skipped time counts as the instant of the jump; on the day it falls back a
// repeated time counts at its first occurrence (docs/capacity-scaling.md in
// the WVA repository works through Europe/Berlin and America/New_York).
// Snapshot.ResolveAt applies the window active
// at a given instant (the caller passes its clock's now), with the window in
// the Source ("override/granite-prod#business-hours") and the instant the
// window ends; it looks at no more than MaxWindows windows and allocates
// nothing. Snapshot.NextTransition says when the next window of any entry
// starts or ends. Resolve and Explain ignore schedules: they return an
// entry's own values.
//
// The package embeds the time zone database (time/tzdata), so a window's
// zone resolves the same way on any image; this adds about 450 KB to a
// binary that imports the package.
//
// # Analysis
//
// Analyze and AnalyzeModel are pure functions. A replica is saturated when
// its KV cache usage is at or above kvCacheThreshold or its queue length at
// or above queueLengthThreshold. The spare capacity (threshold minus usage)
// is averaged over the non-saturated replicas; scale-up is signalled when an
// average is below its trigger (kvSpareTrigger, queueSpareTrigger) or every
// replica with metrics is saturated. Scale-down is safe only when, with one
// replica fewer, the same load would still leave both averages at or above
// their triggers; a replica with missing metrics is never counted as idle
// and blocks scale-down, but never holds scale-up: the replicas that report
// decide whether the model is short of capacity. A replica in flight
// (Variant.InFlight: added, but not serving its share of the load yet)
// blocks scale-down and holds further scale-up for the whole model, so that
// capacity that is still starting is not added twice. Every comparison allows for Tolerance, so values
// behave like the decimals a user wrote. AnalyzeModel then scales up the
// cheapest variant of a model, or scales down the most expensive one, within
// each variant's replica bounds, and gives every decision a readable reason.
//
// The library does not log; callers log the errors and warnings it returns.
package capacity
