#!/usr/bin/env bash
# The commands built from k8s.io/kubernetes/cmd/<name>, in build order (the
# envtest pair first). Sourced by gen-replaces.sh and build.sh.
KUBERNETES_COMMANDS=(
  kube-apiserver
  kubectl
  kube-controller-manager
  kube-scheduler
  kube-proxy
  kubelet
  kubeadm
)
