// Package waits is how a feature step waits: For, Since (a deadline counted
// from an earlier action, so that a feature's steps share one budget) and
// Hold (a condition that must keep holding for a window) poll a
// poll.Condition with an explicit deadline and fail the test with what it
// last saw; on success they log the time taken and the checks made.
//
// They wrap e2e/internal/poll rather than e2e-framework's klient/wait: see the
// "Layout" section of e2e/README.md for why.
package waits
