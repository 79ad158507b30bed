// Package e2e is WVA's end-to-end suite: the features the capacity-scaling
// spec promises, checked on a real Kubernetes cluster with the controller
// running in it from its own image (sigs.k8s.io/e2e-framework).
//
// The feature files carry the build tag e2e, so `go test ./...` runs only
// the unit tests of the helper packages and labels_test.go:
//
//   - apply: server-side apply of rendered manifests with client-go
//   - install: deploy an overlay and wait for the controller (shared with
//     cmd/deploy, which `make up` runs)
//   - manifests: kustomize rendering of deploy/kustomize
//   - poll: waits with deadlines that report what they last saw
//   - zaplog: parsing and querying the controller's JSON log
//   - internal/cluster, internal/fixture, internal/load, internal/spec,
//     internal/waits: the suite's plumbing (README.md, "Layout")
//
// `make test-e2e` creates a kind cluster, deploys the kind overlay without
// the capacity-scaling-config ConfigMap and runs every feature; see
// README.md in this directory for the modes, settings and artifacts.
package e2e
