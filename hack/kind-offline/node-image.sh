#!/usr/bin/env bash
# Assembles a kind node image without a registry and without
# `kind build node-image` (which needs the kindest/base image, pulls etcd,
# CoreDNS, pause and kindnetd, and only drives Docker): a Debian rootfs with
# Debian's containerd, runc and CNI plugins, kind's base files from the
# sigs.k8s.io/kind module, the Kubernetes binaries built from Go modules and
# the component images preloaded into containerd, and crictl (which
# `kind export logs` runs on the node), imported into podman (or
# Docker) as one image. The facts behind each step: shared KIND-OFFLINE.md.
#
# Does nothing when the image is already there and was built by the current
# recipe (FORCE=1 rebuilds it anyway). The recipe is a hash of the versions,
# these scripts and the image writer's sources, stored as an image label, so
# a stale image left on a machine is rebuilt rather than silently reused.
# Usage: node-image.sh [--check]   (--check: exit 0 iff the image is current)
# Environment (make exports it; defaults from hack/versions.mk):
#   KUBERNETES_VERSION ETCD_VERSION COREDNS_VERSION PAUSE_VERSION KIND_VERSION
#   CRI_TOOLS_VERSION
#   KIND_NODE_IMAGE  (localhost/kindest/node:<KUBERNETES_VERSION>-offline)
#   KIND_PROVIDER    (podman, or docker where a Docker engine answers)
#   IMAGEWRITER      (path of the built cmd/imagewriter)
#   GO               (go)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_versions

GO="${GO:-go}"
provider="$(detect_provider)"
image="${KIND_NODE_IMAGE:-localhost/kindest/node:${KUBERNETES_VERSION}-offline}"
imagewriter="${IMAGEWRITER:?IMAGEWRITER must point at the built hack/kind-offline/cmd/imagewriter}"
use_containers_conf

k8s_bin="${BIN}/kubernetes/${KUBERNETES_VERSION}"
etcd_bin="${BIN}/etcd/${ETCD_VERSION}/etcd"
coredns_bin="${BIN}/coredns/${COREDNS_VERSION}/coredns"
pause_bin="${BIN}/pause/${PAUSE_VERSION}/pause"
crictl_bin="${BIN}/cri-tools/${CRI_TOOLS_VERSION}/crictl"

# Package lists: the node's (what kind's base image installs, from Debian)
# and kube-proxy's (nft and conntrack for nftables mode).
node_include="systemd,systemd-sysv,dbus,iproute2,iptables,kmod,procps,ca-certificates"
node_install="conntrack nftables ethtool util-linux mount libseccomp2 pigz e2fsprogs bash jq containerd runc containernetworking-plugins socat"
kube_proxy_include="nftables,conntrack"

check_inputs() {
  local f missing=()
  for f in "${k8s_bin}"/{kubeadm,kubelet,kubectl,kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy} \
    "${etcd_bin}" "${coredns_bin}" "${pause_bin}" "${crictl_bin}" "${imagewriter}"; do
    [[ -x "${f}" ]] || missing+=("${f}")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    die "missing binaries (run 'make k8s-binaries'): ${missing[*]}"
  fi
  local tool
  for tool in debootstrap containerd ctr jq "${provider}"; do
    command -v "${tool}" >/dev/null || die "${tool} is missing: run hack/kind-offline/host-setup.sh"
  done
  [[ "$(id -u)" -eq 0 ]] || die "building the node image needs root (debootstrap, chroot, containerd)"
}

# debian_rootfses builds (or finds) the node and kube-proxy rootfses, in parallel.
debian_rootfses() {
  local kp_out="${work}/kube-proxy-rootfs.path" kp_pid rc=0
  "${KIND_OFFLINE_DIR}/debian-rootfs.sh" --name kube-proxy --include "${kube_proxy_include}" >"${kp_out}" &
  kp_pid=$!
  node_rootfs="$("${KIND_OFFLINE_DIR}/debian-rootfs.sh" --name node --include "${node_include}" --install "${node_install}")" || rc=$?
  wait "${kp_pid}" || rc=$?
  [[ ${rc} -eq 0 ]] || return "${rc}"
  kube_proxy_rootfs="$(cat "${kp_out}")"
}

# kube_proxy_layer tars the kube-proxy rootfs into a layer, once per rootfs.
kube_proxy_layer() {
  kube_proxy_base="${KIND_OFFLINE_CACHE}/layers/$(basename "${kube_proxy_rootfs}").tar"
  [[ -f "${kube_proxy_base}" ]] && return 0
  mkdir -p "$(dirname "${kube_proxy_base}")"
  tar --numeric-owner -C "${kube_proxy_rootfs}" \
    --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' --exclude='./run/*' --exclude='./tmp/*' \
    --exclude='./var/cache/apt/*' --exclude='./var/lib/apt/*' \
    -cf "${kube_proxy_base}.tmp" .
  mv "${kube_proxy_base}.tmp" "${kube_proxy_base}"
}

# component_images writes the preloaded images, cached by everything they are made of.
component_images() {
  local key
  # The binaries are keyed by path, size and mtime: a rebuild makes new images.
  key="$(printf '%s\n' "${KUBERNETES_VERSION}" "${ETCD_VERSION}" "${COREDNS_VERSION}" "${PAUSE_VERSION}" \
    "$(basename "${kube_proxy_base}")" "$(sha256sum <"${imagewriter}")" \
    "$(stat -L -c '%n %s %Y' "${k8s_bin}"/kube-{apiserver,controller-manager,scheduler,proxy} \
      "${etcd_bin}" "${coredns_bin}" "${pause_bin}")" | sha256sum | cut -c1-12)"
  images_dir="${KIND_OFFLINE_CACHE}/images/${KUBERNETES_VERSION}-${key}"
  if [[ -f "${images_dir}.complete" ]]; then
    log "component images cached in ${images_dir}"
    return 0
  fi
  rm -rf "${images_dir}"
  # Older image sets of this version are superseded: keep the cache small.
  rm -rf "${KIND_OFFLINE_CACHE}/images/${KUBERNETES_VERSION}-"*
  "${imagewriter}" components -bin "${BIN}" -out "${images_dir}" -kube-proxy-base "${kube_proxy_base}" \
    -kubernetes-version "${KUBERNETES_VERSION}" -etcd-version "${ETCD_VERSION}" \
    -coredns-version "${COREDNS_VERSION}" -pause-version "${PAUSE_VERSION}"
  touch "${images_dir}.complete"
}

# kind_base_files prints the directory of kind's node base files in its module.
kind_base_files() {
  local dir
  dir="$(cd "${work}" && GOWORK=off GOFLAGS=-mod=mod "${GO}" mod download -json "sigs.k8s.io/kind@${KIND_VERSION}" | jq -r .Dir)"
  [[ -d "${dir}/images/base/files" ]] || die "sigs.k8s.io/kind@${KIND_VERSION} has no images/base/files (in ${dir})"
  echo "${dir}/images/base/files"
}

# install_files MODE SRC_DIR DEST_DIR installs the regular files of SRC_DIR
# (module files are read-only, so install rather than cp).
install_files() {
  local mode="$1" src="$2" dest="$3" f
  mkdir -p "${dest}"
  for f in "${src}"/*; do
    [[ -f "${f}" ]] && install -m "${mode}" "${f}" "${dest}/"
  done
  return 0
}

# assemble follows kind's images/base/Dockerfile on a copy of the Debian rootfs.
assemble() {
  local files
  files="$(kind_base_files)"
  rootfs="${work}/rootfs"
  cp -a --reflink=auto "${node_rootfs}" "${rootfs}"
  local r="${rootfs}"

  install_files 0755 "${files}/usr/local/bin" "${r}/usr/local/bin"
  install_files 0644 "${files}/kind" "${r}/kind"
  install_files 0755 "${files}/kind/bin" "${r}/kind/bin"
  chmod 0755 "${r}/kind" "${r}/kind/bin"
  install_files 0644 "${files}/LICENSES" "${r}/LICENSES"
  install_files 0644 "${files}/etc" "${r}/etc"
  install_files 0644 "${files}/etc/containerd" "${r}/etc/containerd"
  install_files 0644 "${files}/etc/default" "${r}/etc/default"
  install_files 0644 "${files}/etc/sysctl.d" "${r}/etc/sysctl.d"
  install_files 0644 "${files}/etc/systemd/system" "${r}/etc/systemd/system"
  install_files 0644 "${files}/etc/systemd/system/kubelet.service.d" "${r}/etc/systemd/system/kubelet.service.d"

  # Services: what kind's Dockerfile removes, enables and masks.
  find "${r}/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
  rm -f "${r}"/lib/systemd/system/multi-user.target.wants/* "${r}"/etc/systemd/system/*.wants/* \
    "${r}"/lib/systemd/system/local-fs.target.wants/* "${r}"/lib/systemd/system/sockets.target.wants/*udev* \
    "${r}"/lib/systemd/system/sockets.target.wants/*initctl* "${r}"/lib/systemd/system/basic.target.wants/*
  grep -qx 'ReadKMsg=no' "${r}/etc/systemd/journald.conf" || echo "ReadKMsg=no" >>"${r}/etc/systemd/journald.conf"
  ln -sf /usr/lib/systemd/systemd "${r}/sbin/init"
  chroot "${r}" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
  chroot "${r}" systemctl mask systemd-binfmt.service >/dev/null 2>&1
  mkdir -p "${r}/etc/kubernetes/manifests"

  # Debian installs containerd in /usr/bin, runc in /usr/sbin and the CNI
  # plugins in /usr/lib/cni; kind's units and config expect kind's layout.
  local b
  for b in containerd containerd-shim-runc-v2 ctr; do
    ln -sf "/usr/bin/${b}" "${r}/usr/local/bin/${b}"
  done
  mkdir -p "${r}/usr/local/sbin" "${r}/opt/cni"
  ln -sf /usr/sbin/runc "${r}/usr/local/sbin/runc"
  ln -sfn /usr/lib/cni "${r}/opt/cni/bin"

  chroot "${r}" /usr/bin/ctr oci spec |
    jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
    jq 'del(.process.rlimits)' >"${r}/etc/containerd/cri-base.json"

  # kindnetd cannot be built from Go modules here: a static bridge network
  # for the single node's pod range (kind's default podSubnet is 10.244.0.0/16).
  mkdir -p "${r}/etc/cni/net.d"
  install -m 0644 "${KIND_OFFLINE_DIR}/10-kind-offline.conflist" "${r}/etc/cni/net.d/"

  for b in kubeadm kubelet kubectl; do
    install -m 0755 "${k8s_bin}/${b}" "${r}/usr/bin/${b}"
  done
  # crictl where kind's base image has it: kind runs `crictl images` in
  # `kind export logs` and `crictl inspecti` in `kind load docker-image`.
  # kind's base files carry /etc/crictl.yaml (installed above); write one
  # should a kind version stop shipping it, or crictl guesses the socket.
  install -m 0755 "${crictl_bin}" "${r}/usr/local/bin/crictl"
  if [[ ! -f "${r}/etc/crictl.yaml" ]]; then
    printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\n' >"${r}/etc/crictl.yaml"
  fi
  log "$(chroot "${r}" /usr/local/bin/crictl --version), $(tr -d '\n' <"${r}/etc/crictl.yaml")"
  echo "${KUBERNETES_VERSION}" >"${r}/kind/version"
}

# preload imports the component images into the rootfs's containerd store
# through a throw-away host containerd (CRI off, own socket and state).
preload() {
  local ctrd="${work}/containerd" pid tar
  mkdir -p "${ctrd}"
  cat >"${ctrd}/config.toml" <<TOML
version = 2
root = "${rootfs}/var/lib/containerd"
state = "${ctrd}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "${ctrd}/containerd.sock"
[ttrpc]
  address = "${ctrd}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${ctrd}/opt"
TOML
  containerd --config "${ctrd}/config.toml" >"${ctrd}/containerd.log" 2>&1 &
  pid=$!
  on_exit "kill ${pid} 2>/dev/null; wait ${pid} 2>/dev/null"
  local deadline=$((SECONDS + 30))
  until ctr --address "${ctrd}/containerd.sock" version >/dev/null 2>&1; do
    if ! kill -0 "${pid}" 2>/dev/null || [[ ${SECONDS} -ge ${deadline} ]]; then
      tail -n 20 "${ctrd}/containerd.log" >&2
      die "throw-away containerd did not answer on ${ctrd}/containerd.sock within 30s"
    fi
    sleep 0.2
  done
  for tar in "${images_dir}"/*.tar; do
    ctr --address "${ctrd}/containerd.sock" -n k8s.io images import \
      --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests "${tar}" >/dev/null
  done
  ctr --address "${ctrd}/containerd.sock" -n k8s.io images ls -q | grep -v '^sha256:' | sed 's/^/  preloaded: /' >&2
  kill "${pid}"
  wait "${pid}" || true
}

# import_image replaces the image; the one it replaces is removed unless a
# container (a running cluster) still uses it.
import_image() {
  local previous=""
  if engine_image_exists "${provider}" "${image}"; then
    previous="$("${provider}" image inspect -f '{{.Id}}' "${image}")"
  fi
  local changes=(--change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'
    --change 'ENV container=docker' --change 'STOPSIGNAL SIGRTMIN+3'
    --change "LABEL ${recipe_label}=$(recipe)")
  [[ "${provider}" == podman ]] && changes+=(--quiet)
  tar --numeric-owner -C "${rootfs}" \
    --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' --exclude='./run/*' --exclude='./tmp/*' \
    -c . | "${provider}" import "${changes[@]}" - "${image}" >/dev/null
  if [[ -n "${previous}" ]] && ! "${provider}" rmi "${previous}" >/dev/null 2>&1; then
    log "the previous ${image} (${previous:0:12}) is still in use; remove it later with: ${provider} rmi ${previous:0:12}"
  fi
}

recipe_label="io.wva-project.kind-offline.recipe"

# recipe prints the hash of everything the node image is made from, apart
# from the binaries, whose paths carry their versions.
recipe() {
  {
    printf '%s\n' "${KUBERNETES_VERSION}" "${ETCD_VERSION}" "${COREDNS_VERSION}" "${PAUSE_VERSION}" \
      "${KIND_VERSION}" "${CRI_TOOLS_VERSION}" "${DEBIAN_SUITE:-bookworm}" "${DEBIAN_MIRROR:-}"
    cd "${KIND_OFFLINE_DIR}"
    find lib.sh debian-rootfs.sh node-image.sh 10-kind-offline.conflist go.mod go.sum imagewriter components \
      cmd/imagewriter -type f ! -name '*_test.go' | LC_ALL=C sort | xargs sha256sum
  } | sha256sum | cut -c1-16
}

# image_state prints "current", "missing" or "stale <label>".
image_state() {
  if ! engine_image_exists "${provider}" "${image}"; then
    echo missing
    return 0
  fi
  local have
  have="$("${provider}" image inspect -f "{{index .Config.Labels \"${recipe_label}\"}}" "${image}")"
  if [[ "${have}" == "$(recipe)" ]]; then
    echo current
  else
    echo "stale ${have:-unlabelled}"
  fi
}

main() {
  local state
  state="$(image_state)"
  if [[ "${1:-}" == --check ]]; then
    [[ "${state}" == current ]]
    return
  fi
  # One build at a time per cache (make runs in parallel share it); after
  # waiting, the other build may have produced exactly this image.
  mkdir -p "${KIND_OFFLINE_CACHE}"
  exec {lock_fd}>"${KIND_OFFLINE_CACHE}/node-image.lock"
  if ! flock -n "${lock_fd}"; then
    log "another node image build holds ${KIND_OFFLINE_CACHE}/node-image.lock: waiting (up to 15 min)"
    flock -w 900 "${lock_fd}" || die "timed out waiting for ${KIND_OFFLINE_CACHE}/node-image.lock"
    [[ "${FORCE:-0}" == 1 ]] || state="$(image_state)"
  fi
  if [[ "${FORCE:-0}" != 1 && "${state}" == current ]]; then
    log "node image ${image} already in ${provider} and current: nothing to do (FORCE=1 rebuilds it)"
    return 0
  fi
  if [[ "${state}" == stale* ]]; then
    log "node image ${image} in ${provider} was built by another recipe (${state#stale }, now $(recipe)): rebuilding"
  fi
  local start
  start="$(now)"
  log "building node image ${image} for ${provider} (kind ${KIND_VERSION}, Kubernetes ${KUBERNETES_VERSION})"
  check_inputs
  mkdir -p "${KIND_OFFLINE_CACHE}/work"
  work="$(mktemp -d "${KIND_OFFLINE_CACHE}/work/node-image.XXXXXX")"
  on_exit "rm -rf '${work}'"

  step "debian rootfs" debian_rootfses
  step "kube-proxy base layer" kube_proxy_layer
  step "component images" component_images
  step "assemble rootfs" assemble
  step "preload images" preload
  step "import into ${provider}" import_image
  log "node image ${image} ready in $(elapsed "${start}")s ($("${provider}" image inspect -f '{{.Size}}' "${image}" | awk '{printf "%.0f MB", $1/1e6}'))"
}

main "$@"
