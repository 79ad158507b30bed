// Package logging builds the controller's zap-backed logr.Logger and adds
// the one level logr lacks: Warn. The capacity-scaling spec fixes several
// WARN lines, so they must reach zap at its Warn level rather than as Info.
package logging
