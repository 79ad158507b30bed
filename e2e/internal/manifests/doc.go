// Package manifests renders and inspects WVA's deployment manifests
// (deploy/kustomize) the way `kustomize build` does, with the kustomize API on
// the real file system.
//
// The e2e suite uses Render to deploy an overlay to its cluster; this package's
// own tests check the rendered base and overlays for the properties the
// deployment promises: least-privilege RBAC, a restricted controller pod, the
// capacity-scaling-config ConfigMap in sync with deploy/configmap-capacity-scaling.yaml,
// and each overlay's settings.
package manifests
