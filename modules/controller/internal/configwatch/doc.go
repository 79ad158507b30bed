// Package configwatch keeps the controller's in-memory capacity scaling
// configuration in step with the capacity-scaling-config ConfigMap: one
// uncached read at startup (Loader), then the object delivered by each watch
// event (Reloader), parsed into an immutable capacity.Snapshot and swapped
// into a capacity.Store; reads through the API while the watches recover
// from an error (Resync); and a timer at every schedule boundary
// (Scheduler). Reconcilers read the Store only, so they make
// no API call for configuration. Log messages and keys are the ones the
// capacity-scaling spec documents.
package configwatch
