#!/usr/bin/env bash
# Prepares this host for building the offline kind node image and running
# kind on it: Debian packages (installed only when missing), /lib/modules
# (kind bind-mounts it and podman will not create a missing source) and a
# containers.conf whose ulimits fit the host's hard limits.
#
# Idempotent: a second run changes nothing and takes well under a second.
# Usage: host-setup.sh [--provider docker|podman] [--offline 0|1]
#   --offline 1 (the default with podman) adds what building the offline node
#   image needs; with Docker and the published image nothing is installed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

provider="$(detect_provider)"
offline=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --provider) provider="$2"; shift 2 ;;
    --offline) offline="$2"; shift 2 ;;
    *) die "unknown argument: $1 (usage: $0 [--provider docker|podman] [--offline 0|1])" ;;
  esac
done
case "${provider}" in
  docker | podman) ;;
  *) die "--provider ${provider}: must be docker or podman" ;;
esac
if [[ -z "${offline}" ]]; then
  offline=0
  [[ "${provider}" == podman ]] && offline=1
fi
[[ "${offline}" == 0 || "${offline}" == 1 ]] || die "--offline ${offline}: must be 0 or 1"

# Host tools for the node image build: debootstrap for the Debian rootfs,
# containerd (and runc, which its package expects) for preloading images,
# jq for JSON edits. podman only where it is the provider.
packages=()
if [[ "${offline}" == 1 ]]; then
  packages+=(debootstrap containerd runc jq)
fi
if [[ "${provider}" == podman ]]; then
  packages+=(podman)
fi

install_packages() {
  local missing=() p
  if [[ ${#packages[@]} -eq 0 ]]; then
    log "no packages needed for ${provider} with the published node image"
    return 0
  fi
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "${p}" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("${p}")
    fi
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "packages already installed: ${packages[*]}"
    return 0
  fi
  [[ "$(id -u)" -eq 0 ]] || die "need root to apt-get install ${missing[*]}"
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

write_containers_conf() {
  local conf nofile nproc
  conf="$(containers_conf_path)"
  # podman's default ulimits (nofile 1048576) exceed the hard limits of
  # these machines and container creation fails; stay within them.
  nofile="$(ulimit -Hn)"
  nproc="$(ulimit -Hu)"
  [[ "${nofile}" == unlimited || "${nofile}" -gt 1048576 ]] && nofile=1048576
  [[ "${nproc}" == unlimited || "${nproc}" -gt 32768 ]] && nproc=32768
  mkdir -p "$(dirname "${conf}")"
  local want
  want="$(printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
    "${nofile}" "${nofile}" "${nproc}" "${nproc}")"
  if [[ -f "${conf}" && "$(cat "${conf}")" == "${want}" ]]; then
    log "containers.conf up to date: ${conf}"
    return 0
  fi
  printf '%s\n' "${want}" >"${conf}"
  log "wrote ${conf} (export CONTAINERS_CONF=${conf})"
}

main() {
  log "host set-up for provider ${provider} (offline node image: ${offline})"
  step "host packages" install_packages
  mkdir -p /lib/modules
  if [[ "${provider}" == podman ]]; then
    write_containers_conf
  fi
}

main
