// Package apply puts rendered manifests on a cluster the way
// `kubectl apply --server-side` does, with client-go only: each object is
// server-side applied through the dynamic client, its resource found by a
// discovery-backed RESTMapper.
//
// CustomResourceDefinitions go first, and Apply waits (within an explicit
// deadline) until every one is Established and then refreshes the RESTMapper,
// so that custom resources in the same set (VariantAutoscalings in the
// examples) map to their new resource. WaitDeploymentAvailable waits for a
// rollout with a deadline and reports the status it last saw.
//
// e2e-framework's klient/decoder creates or updates objects; this package
// server-side applies them as one field manager and handles CRDs first
// (see e2e/README.md, "Layout"), and cmd/deploy uses it without the
// framework.
package apply
