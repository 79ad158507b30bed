// Package emulator simulates the scheduler of one vLLM engine closely enough
// to drive an autoscaler: requests occupy KV-cache tokens and batch slots for
// a time that depends on their length, and the ones that do not fit wait in
// a first-come-first-served queue, so the gauges WVA scales on
// (vllm:kv_cache_usage_perc, vllm:num_requests_waiting) respond to load the
// way a real server's do.
//
// The model:
//
//   - The engine has a KV cache of Config.KVCacheTokens tokens and runs at
//     most Config.MaxNumSeqs requests at once (vLLM's --max-num-seqs).
//   - A request needs PromptTokens+OutputTokens tokens of KV cache, reserved
//     in full when it is admitted and released when it finishes.
//   - A running request takes PromptTokens/PrefillTokensPerSecond to produce
//     its first token and OutputTokens/DecodeTokensPerSecond more to finish;
//     decode speed is per sequence, so running requests do not slow each
//     other down.
//   - Arrivals join the tail of the waiting queue; the head is admitted as
//     soon as a batch slot and enough KV cache are free. A head that does not
//     fit blocks the requests behind it, as in vLLM's FCFS scheduler.
//
// The engine is a discrete-event simulation on the time of an injected
// clock (k8s.io/utils/clock). Every call first processes the finishes that
// are due at the clock's current time, in order, admitting waiting requests
// at the exact time capacity was freed. State therefore depends only on the
// clock and the calls made, not on goroutine scheduling: a test steps a
// clocktesting.FakeClock and reads Snapshot. Ticket.Wait blocks an HTTP
// handler until its request is done, using clock timers only as wake-ups.
package emulator
