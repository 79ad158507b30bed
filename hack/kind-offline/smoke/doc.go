// Package smoke holds the kind smoke test (build tag kindsmoke, run by
// `make test-kind-smoke`): it creates a real kind cluster from the node image
// this machine uses, waits for the node, CoreDNS and kube-proxy, loads a
// FROM-scratch probe image written by imagewriter with `kind load
// image-archive`, runs it as a pod that calls the API server through the
// `kubernetes` Service, and deletes the cluster, also when the test fails.
//
// The test talks only to the API server that kind publishes on 127.0.0.1,
// through the kubeconfig kind writes.
package smoke
