// Package scripts tests the shell scripts under hack/ that orchestrate
// `make test`: hack/alongside.sh (CPU-only suites at the lowest priority
// alongside test-e2e) and hack/e2e-overlap.sh (the KEDA build alongside the
// first e2e pass). The tests run them against a fake Makefile whose targets
// record what ran and fail on demand, so their exit statuses and ordering
// are checked without a cluster.
package scripts
