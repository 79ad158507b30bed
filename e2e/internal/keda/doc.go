// Package keda installs KEDA (github.com/kedacore/keda/v2), the autoscaler
// that scales on WVA's wva_desired_replicas gauge in metrics actuation mode,
// from the manifests of its own Go module, on a cluster reached through
// client-go only.
//
// Render builds KEDA's config/minimal kustomization (CRDs, RBAC, the operator
// and the metrics API server; no admission webhooks) from the module's
// config directory, found with ModuleDir (`go mod download -json`), through
// an overlay that swaps upstream's images for locally built ones, sets
// imagePullPolicy IfNotPresent, labels every object with the version as
// KEDA's release manifests do, and turns off the operator's patching of the
// webhook configuration that config/minimal does not install. KEDA's
// operator generates and rotates its own certificates (no cert-manager).
//
// Install server-side applies the result and waits, each within a deadline,
// until the operator and the metrics API server are available and the
// v1beta1.external.metrics.k8s.io APIService is Available and serves
// discovery. Uninstall removes it again, custom resources first so that the
// operator can clear their finalizers.
//
// ScaledObject, PrometheusTrigger, ScaledObjectStatus and ExternalMetric are
// what a test needs to drive KEDA without importing its Go types (which
// would pull KEDA's hundreds of dependencies into the e2e module).
//
// `make keda-images` writes the images; the e2e feature "KEDA runs"
// (e2e/keda_test.go, `make test-e2e-keda`) uses this package end to end.
package keda
