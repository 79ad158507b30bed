// Package install deploys WVA to a cluster from the repository's kustomize
// overlays: it renders an overlay with the kustomize API (package manifests),
// optionally leaves out the capacity-scaling-config ConfigMap, applies the
// result with client-go (package apply) and waits until the controller
// Deployment is available. The e2e suite and cmd/deploy (`make up`) share it,
// so the cluster a developer pokes at is deployed exactly as the one the
// suite tests.
package install
