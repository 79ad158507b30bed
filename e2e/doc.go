// Package e2e is WVA's end-to-end suite: the features the capacity-scaling
// spec promises, checked on a real Kubernetes cluster with the controller
// running in it from its own image (sigs.k8s.io/e2e-framework).
//
// The feature files carry the build tag e2e, so `go test ./...` runs only
// the unit tests of the helper packages under internal/ (README.md,
// "Layout") and conventions_test.go, which reads the features' sources:
// every feature carries the suite's labels, and every step is named (a
// constructor of internal/fixture or a function below the feature's test),
// none an inline closure.
//
// `make test-e2e` creates a kind cluster, deploys the kind overlay without
// the capacity-scaling-config ConfigMap and runs every feature; see
// README.md in this directory for the modes, settings and artifacts.
package e2e
