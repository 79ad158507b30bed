// Package components describes the images this project runs on kind: the
// controller (Controller) and the Kubernetes components that
// kubeadm and containerd look for on a kind node (kube-apiserver,
// kube-controller-manager, kube-scheduler, kube-proxy, etcd, CoreDNS and the
// pause sandbox), built from the binaries hack/controlplane caches under
// bin/. The tags are exactly the ones kubeadm and kind's containerd config
// ask for, so that nothing is ever pulled.
package components
