#!/usr/bin/env bash
# The commands built from k8s.io/kubernetes/cmd/<name>, in build order (the
# envtest pair first). Sourced by gen-replaces.sh and build.sh.
# shellcheck disable=SC2034 # used by the scripts that source this file
KUBERNETES_COMMANDS=(
  kube-apiserver
  kubectl
  kube-controller-manager
  kube-scheduler
  kube-proxy
  kubelet
  kubeadm
)
