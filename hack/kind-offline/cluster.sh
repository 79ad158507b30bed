#!/usr/bin/env bash
# Creates or deletes a kind cluster with the configuration that fits this
# machine, and writes its kubeconfig to bin/kubeconfig-<name>.
#
# Usage: cluster.sh up|down
# Environment (make exports it):
#   KIND            kind binary (bin/kind/<version>/kind)
#   KIND_CLUSTER    cluster name (wva)
#   KIND_NODE_IMAGE node image (offline: localhost/kindest/node:<v>-offline)
#   KIND_CONFIG     kind config file (kind/cluster-offline.yaml or kind/cluster.yaml)
#   KIND_PROVIDER   docker or podman (detected when unset)
#   KIND_WAIT       how long kind waits for the control plane (3m)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

action="${1:-}"
kind="${KIND:?KIND must point at the kind binary (make sets it)}"
cluster="${KIND_CLUSTER:-wva}"
provider="$(detect_provider)"
kubeconfig="${BIN}/kubeconfig-${cluster}"
export KIND_EXPERIMENTAL_PROVIDER="${provider}"
use_containers_conf

cluster_exists() {
  "${kind}" get clusters 2>/dev/null | grep -qx "${cluster}"
}

up() {
  local image="${KIND_NODE_IMAGE:?KIND_NODE_IMAGE must be set}"
  local config="${KIND_CONFIG:?KIND_CONFIG must be set}"
  if cluster_exists; then
    log "cluster ${cluster} already exists (${provider}); refreshing its kubeconfig"
    "${kind}" get kubeconfig --name "${cluster}" >"${kubeconfig}"
  else
    log "creating cluster ${cluster}: provider ${provider}, image ${image}, config ${config}"
    step "kind create cluster ${cluster}" "${kind}" create cluster --name "${cluster}" --image "${image}" \
      --config "${config}" --kubeconfig "${kubeconfig}" --wait "${KIND_WAIT:-3m}"
  fi
  chmod 0600 "${kubeconfig}"
  cat >&2 <<MSG

Cluster ${cluster} is up. Use it with:
  export KUBECONFIG=${kubeconfig}
  kubectl get nodes
Load the controller image: make kind-load KIND_CLUSTER=${cluster}
Delete the cluster:        make kind-down KIND_CLUSTER=${cluster}
MSG
}

down() {
  if cluster_exists; then
    step "kind delete cluster ${cluster}" "${kind}" delete cluster --name "${cluster}" --kubeconfig "${kubeconfig}"
  else
    log "cluster ${cluster} does not exist (${provider}): nothing to delete"
  fi
  rm -f "${kubeconfig}"
}

case "${action}" in
  up) up ;;
  down) down ;;
  *) die "usage: $0 up|down" ;;
esac
