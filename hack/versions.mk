# Versions of everything the project builds from source for Kubernetes: the
# single place to pin them. Plain `NAME ?= value` lines, so that make includes
# this file, bash reads it (hack/controlplane/versions.sh) and Go tests parse it.
# A version is part of every output path under bin/, so bumping one here
# rebuilds exactly what it names. Upgrading Kubernetes: bump the two lines
# below, run `make controlplane-gen`, commit hack/controlplane/**.

# Kubernetes: kube-apiserver, kube-controller-manager, kube-scheduler,
# kube-proxy, kubelet, kubeadm, kubectl (k8s.io/kubernetes module) and the
# v0.<minor>.<patch> staging modules (k8s.io/api, k8s.io/client-go, ...).
KUBERNETES_VERSION ?= v1.37.2
# etcd (go.etcd.io/etcd/server/v3). kind's kubeadm patch uses imageTag 3.6.16-0.
ETCD_VERSION ?= v3.6.16
# CoreDNS (github.com/coredns/coredns).
COREDNS_VERSION ?= v1.14.6
# The pause (sandbox) image binary, from build/pause in k8s.io/kubernetes.
PAUSE_VERSION ?= 3.10
# kind (sigs.k8s.io/kind); pinned together with KUBERNETES_VERSION.
KIND_VERSION ?= v0.33.0
# crictl (sigs.k8s.io/cri-tools): in the offline kind node image, where kind
# runs it (`kind export logs`, image inspection), as kind's base image has it.
CRI_TOOLS_VERSION ?= v1.37.0
# Prometheus (github.com/prometheus/prometheus; module v0.316.0 is Prometheus
# 3.16.0), the real server the controller's metrics source is tested against.
PROMETHEUS_VERSION ?= v0.316.0
# KEDA (github.com/kedacore/keda/v2): the operator and the metrics API server
# (hack/keda) that scale on wva_desired_replicas in metrics actuation mode; its
# CRDs and manifests come from the same module (e2e/internal/keda).
KEDA_VERSION ?= v2.21.0
