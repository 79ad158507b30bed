// Package poll waits for conditions with explicit deadlines and says what it
// last saw when a deadline passes.
//
// The e2e suite never sleeps in the hope that something has happened: it
// polls a condition that reports, next to done, a short description of the
// state it observed, so that a timeout names the state the cluster was stuck
// in ("2/200 VAs at resourceVersion 1234; first behind: ns-a/va-17 at 1200").
// Until waits for a condition to become true; Hold checks that one stays true
// for a window (for "the controller does not change X" assertions). Both take
// a clock, so their own tests run on a fake one.
//
// It is kept next to e2e-framework's klient/wait on purpose: wait.For
// returns a bare context deadline error on timeout and has no Hold; see
// e2e/README.md, "Layout".
package poll
