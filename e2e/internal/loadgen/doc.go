// Package loadgen offers HTTP load at a rate that follows a profile, open
// loop: each request is sent when the schedule says, whether or not earlier
// ones have been answered (up to a cap on outstanding requests), as users
// of a model server would.
//
// A profile is a comma-separated list of segments, played in order:
//
//	hold:RATE:DURATION        RATE requests per second for DURATION
//	ramp:FROM-TO:DURATION     from FROM to TO requests per second, linearly
//
// RATE, FROM and TO are non-negative decimal numbers, DURATION a positive Go
// duration (90s, 2m, 1h30m). For example
//
//	ramp:0-12:60s,hold:12:120s,hold:0:30s
//
// rises from idle to 12 requests per second over a minute, holds for two
// and stays idle for 30 seconds. A Schedule plays its profile Repeat times,
// or forever.
//
// The schedule is deterministic: with L(t) the expected number of requests
// by time t (the integral of the rate), the n-th request (n = 1, 2, ...) is
// sent at the time L(t) = n - 1/2. A constant rate r thus gets evenly spaced
// requests, the first half an interval after the start, and a segment of
// expected load k gets k requests, rounded.
package loadgen
