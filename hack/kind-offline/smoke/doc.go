// Package smoke holds the kind smoke test (build tag kindsmoke, run by
// `make test-kind-smoke`): it creates a real kind cluster from the node image
// this machine uses, waits for the node, CoreDNS and kube-proxy, loads a
// FROM-scratch probe image written by imagewriter with `kind load
// image-archive`, runs it as a pod that calls the API server through the
// `kubernetes` Service, exports the cluster's logs with `kind export logs`
// (as the e2e suite does on failure) and checks that the node's journals,
// crictl's image list and the per-container logs are there; it deletes the
// cluster, also when the test fails. The checks on the exported directory
// carry no build tag, so `make test-kind-unit` tests them without a cluster.
//
// The test talks only to the API server that kind publishes on 127.0.0.1,
// through the kubeconfig kind writes.
package smoke
