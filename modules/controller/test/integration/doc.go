// Package integration runs the real wva-controller manager in-process
// against a real kube-apiserver and etcd (envtest, binaries built from
// source by `make controlplane`). The tests carry the build tag
// `integration`; run them with `make test-integration`.
package integration
