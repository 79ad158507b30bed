// Package controlplane pins the Kubernetes-side binaries the project builds
// from Go modules: this module requires k8s.io/kubernetes (with its staging
// modules replaced by their published versions, see gen-replaces.sh) and
// lists the commands it builds as tools; ./etcd does the same for etcd.
//
// The package itself only reads hack/versions.mk, the single place where the
// versions are pinned. Its tests check the binaries that build.sh produced:
// every one reports the pinned version and is statically linked, and the
// envtest assets (etcd + kube-apiserver) start and serve requests.
package controlplane
