#!/usr/bin/env bash
# Builds a Debian root filesystem with debootstrap and caches it under
# bin/kind-offline/debian/, keyed by everything that goes into it (suite,
# mirror, package lists), so that a second run with the same inputs returns
# at once. Prints the path of the finished rootfs on stdout.
#
# Usage: debian-rootfs.sh --name NAME [--include pkg,pkg] [--install "pkg pkg"]
#   --include  packages debootstrap installs (resolving their dependencies)
#   --install  packages apt-get installs in a chroot afterwards
# Environment: DEBIAN_SUITE (bookworm), DEBIAN_MIRROR (deb.debian.org).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name="" include="" install=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --name) name="$2"; shift 2 ;;
    --include) include="$2"; shift 2 ;;
    --install) install="$2"; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ -n "${name}" ]] || die "--name is required"

suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Bump when the way the rootfs is made changes, so old caches are not reused.
recipe=1
key="$(printf '%s\n' "${recipe}" "${suite}" "${mirror}" "${include}" "${install}" | sha256sum | cut -c1-12)"
cache="${KIND_OFFLINE_CACHE}/debian"
dest="${cache}/${suite}-${name}-${key}"

if [[ -f "${dest}.complete" ]]; then
  log "debian rootfs ${name}: cached at ${dest}"
  echo "${dest}"
  exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap is missing: run hack/kind-offline/host-setup.sh"
[[ "$(id -u)" -eq 0 ]] || die "debootstrap needs root"

mkdir -p "${cache}/pkgcache-${name}"
tmp="${dest}.tmp"
rm -rf "${tmp}" "${dest}.complete"

bootstrap() {
  # One package cache per rootfs: two debootstraps may run at once.
  local args=(--variant=minbase "--cache-dir=${cache}/pkgcache-${name}")
  [[ -n "${include}" ]] && args+=("--include=${include}")
  debootstrap "${args[@]}" "${suite}" "${tmp}" "${mirror}" >"${tmp}.log" 2>&1 ||
    { tail -n 30 "${tmp}.log" >&2; return 1; }
}

chroot_install() {
  [[ -n "${install}" ]] || return 0
  # Keep maintainer scripts from starting services inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"${tmp}/usr/sbin/policy-rc.d"
  chmod 0755 "${tmp}/usr/sbin/policy-rc.d"
  mount -t proc proc "${tmp}/proc"
  on_exit "umount '${tmp}/proc' 2>/dev/null"
  local rc=0
  # shellcheck disable=SC2086 # the package list is word-split on purpose
  chroot "${tmp}" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${install}" \
    >>"${tmp}.log" 2>&1 || rc=$?
  umount "${tmp}/proc"
  rm -f "${tmp}/usr/sbin/policy-rc.d"
  if [[ ${rc} -ne 0 ]]; then
    tail -n 30 "${tmp}.log" >&2
    return "${rc}"
  fi
}

# trim removes what a container image does not need, as kind's clean-install does.
trim() {
  chroot "${tmp}" apt-get clean
  rm -rf "${tmp}"/var/cache/debconf/*-old "${tmp}"/var/lib/apt/lists/* "${tmp}"/var/log/* \
    "${tmp}"/tmp/* "${tmp}"/var/tmp/* "${tmp}"/usr/share/doc/* "${tmp}"/usr/share/doc-base/* \
    "${tmp}"/usr/share/man/* "${tmp}"/usr/share/locale/*
  # The host's resolver must not leak into images; runtimes mount their own.
  : >"${tmp}/etc/resolv.conf"
}

log "debian rootfs ${name}: ${suite} from ${mirror} (log: ${tmp}.log)"
step "debootstrap ${name}" bootstrap
step "apt-get install ${name}" chroot_install
trim
rm -rf "${dest}"
mv "${tmp}" "${dest}"
mv "${tmp}.log" "${dest}.log"
touch "${dest}.complete"
echo "${dest}"
