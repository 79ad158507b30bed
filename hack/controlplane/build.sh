#!/usr/bin/env bash
# Builds the Kubernetes-side binaries of the project from Go modules (no
# downloads but the Go module proxy) into a cache keyed by version:
#
#   $BIN/kubernetes/$KUBERNETES_VERSION/{kube-apiserver,kubectl,...}
#   $BIN/etcd/$ETCD_VERSION/etcd
#   $BIN/coredns/$COREDNS_VERSION/coredns
#   $BIN/kind/$KIND_VERSION/kind
#   $BIN/cri-tools/$CRI_TOOLS_VERSION/crictl
#   $BIN/pause/$PAUSE_VERSION/pause
#   $BIN/envtest/$KUBERNETES_VERSION/{kube-apiserver,etcd,kubectl}  (symlinks)
#
# Usage: build.sh NAME...   NAME is a Kubernetes command (see commands.sh),
#                           etcd, coredns, kind, crictl, pause, envtest or all.
# An existing output is kept (idempotent); -f rebuilds. Each binary is written
# to a temporary file first and renamed into place, so an interrupted build
# never leaves a truncated binary that a later run would take as done.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
# shellcheck source=SCRIPTDIR/versions.sh
source "${here}/versions.sh"
# shellcheck source=SCRIPTDIR/commands.sh
source "${here}/commands.sh"

BIN="$(realpath -m "${BIN:-${root}/bin}")"
GO="${GO:-go}"
force=false

# Static, reproducible, cgo-free binaries; the wrapper modules are not in go.work.
export CGO_ENABLED=0 GOWORK=off
go_build_flags=(-trimpath -buildvcs=false)

log() { printf 'controlplane: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# timed NAME CMD...: runs CMD and logs how long it took.
timed() {
  local name="$1" start ms
  shift
  start="$(date +%s%N)"
  "$@"
  ms=$((($(date +%s%N) - start) / 1000000))
  log "$(printf '%-24s built in %4d.%01ds' "${name}" $((ms / 1000)) $((ms % 1000 / 100)))"
}

# module_dir MODULE@VERSION: the extracted module directory in the module cache.
module_dir() {
  "${GO}" -C "${here}" mod download -json "$1" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

# build_date: RFC 3339 build date for the version ldflags: SOURCE_DATE_EPOCH if
# set, else the release time of k8s.io/kubernetes from the module proxy, so two
# builds of one version produce identical binaries.
build_date() {
  if [[ -n "${SOURCE_DATE_EPOCH:-}" ]]; then
    date -u -d "@${SOURCE_DATE_EPOCH}" +%Y-%m-%dT%H:%M:%SZ
    return
  fi
  "${GO}" -C "${here}" list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' \
    "k8s.io/kubernetes@${KUBERNETES_VERSION}"
}

kubernetes_ldflags() {
  local date major minor flags="-s -w" pkg
  date="$(build_date)"
  major="${KUBERNETES_VERSION#v}"
  major="${major%%.*}"
  minor="${KUBERNETES_VERSION#v*.}"
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X ${pkg}.gitVersion=${KUBERNETES_VERSION}"
    flags+=" -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    flags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${date}"
    # A module build has no commit; say nothing rather than "$Format:%H$".
    flags+=" -X ${pkg}.gitCommit="
  done
  echo "${flags}"
}

# install_file TMP DEST: moves a finished build into place.
install_file() {
  chmod 0755 "$1"
  mv -f "$1" "$2"
}

# needed DEST: true when DEST must be (re)built.
needed() {
  if [[ -x "$1" && "${force}" == false ]]; then
    log "$(printf '%-24s up to date (%s)' "$(basename "$1")" "${1#"${root}"/}")"
    return 1
  fi
  mkdir -p "$(dirname "$1")"
}

build_kubernetes() { # $1: command name
  local dest="${BIN}/kubernetes/${KUBERNETES_VERSION}/$1"
  needed "${dest}" || return 0
  log "building $1 ${KUBERNETES_VERSION} (k8s.io/kubernetes/cmd/$1)"
  timed "$1" "${GO}" -C "${here}" build "${go_build_flags[@]}" -ldflags "$(kubernetes_ldflags)" \
    -o "${dest}.tmp" "k8s.io/kubernetes/cmd/$1"
  install_file "${dest}.tmp" "${dest}"
}

build_etcd() {
  local dest="${BIN}/etcd/${ETCD_VERSION}/etcd"
  needed "${dest}" || return 0
  log "building etcd ${ETCD_VERSION} (go.etcd.io/etcd/server/v3)"
  # etcd's version is a constant of go.etcd.io/etcd/api/v3/version; only its
  # GitSHA is an ldflag, and a module build has no commit to put there.
  timed etcd "${GO}" -C "${here}/etcd" build "${go_build_flags[@]}" -ldflags "-s -w" \
    -o "${dest}.tmp" go.etcd.io/etcd/server/v3
  install_file "${dest}.tmp" "${dest}"
}

# go_install NAME PACKAGE@VERSION DEST [LDFLAGS]: `go install` outside any
# module; LDFLAGS are added to "-s -w".
go_install() {
  local name="$1" pkg="$2" dest="$3" ldflags="-s -w${4:+ $4}" gobin
  needed "${dest}" || return 0
  log "building ${name} (go install ${pkg})"
  gobin="$(mktemp -d "$(dirname "${dest}")/.gobin.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '${gobin}'; trap - RETURN" RETURN
  timed "${name}" env GOBIN="${gobin}" "${GO}" install "${go_build_flags[@]}" -ldflags "${ldflags}" "${pkg}"
  install_file "${gobin}/${name}" "${dest}"
}

build_pause() {
  local dest="${BIN}/pause/${PAUSE_VERSION}/pause" dir
  needed "${dest}" || return 0
  if ! command -v gcc >/dev/null || [[ ! -e /usr/include/stdio.h ]]; then
    log "gcc or libc6-dev missing: installing them with apt-get"
    if [[ "$(id -u)" -ne 0 ]]; then die "pause needs gcc and libc6-dev: apt-get install -y gcc libc6-dev"; fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null
  fi
  dir="$(module_dir "k8s.io/kubernetes@${KUBERNETES_VERSION}")"
  [[ -f "${dir}/build/pause/linux/pause.c" ]] || die "no build/pause/linux/pause.c in k8s.io/kubernetes@${KUBERNETES_VERSION} (${dir})"
  log "building pause ${PAUSE_VERSION} (build/pause/linux/pause.c of k8s.io/kubernetes ${KUBERNETES_VERSION})"
  # Upstream: CFLAGS = -Os -Wall -Werror -static -DVERSION=v$(TAG)-$(REV).
  timed pause gcc -Os -Wall -Werror -static "-DVERSION=v${PAUSE_VERSION}-kubernetes-${KUBERNETES_VERSION}" \
    -o "${dest}.tmp" "${dir}/build/pause/linux/pause.c"
  install_file "${dest}.tmp" "${dest}"
}

# The envtest assets directory (KUBEBUILDER_ASSETS): relative symlinks, so that
# bin/ can be moved or mounted elsewhere.
build_envtest() {
  local dir="${BIN}/envtest/${KUBERNETES_VERSION}"
  build_kubernetes kube-apiserver
  build_kubernetes kubectl
  build_etcd
  mkdir -p "${dir}"
  ln -sfn "../../kubernetes/${KUBERNETES_VERSION}/kube-apiserver" "${dir}/kube-apiserver"
  ln -sfn "../../kubernetes/${KUBERNETES_VERSION}/kubectl" "${dir}/kubectl"
  ln -sfn "../../etcd/${ETCD_VERSION}/etcd" "${dir}/etcd"
  log "$(printf '%-24s ready (%s)' envtest "${dir#"${root}"/}")"
}

build_one() {
  local name="$1" c
  for c in "${KUBERNETES_COMMANDS[@]}"; do
    if [[ "${name}" == "${c}" ]]; then
      build_kubernetes "${name}"
      return
    fi
  done
  case "${name}" in
  etcd) build_etcd ;;
  coredns) go_install coredns "github.com/coredns/coredns@${COREDNS_VERSION}" "${BIN}/coredns/${COREDNS_VERSION}/coredns" ;;
  kind) go_install kind "sigs.k8s.io/kind@${KIND_VERSION}" "${BIN}/kind/${KIND_VERSION}/kind" ;;
  crictl)
    # Upstream's release build sets the version the same way (hack/release.sh);
    # without it `crictl --version` says "unknown".
    go_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@${CRI_TOOLS_VERSION}" \
      "${BIN}/cri-tools/${CRI_TOOLS_VERSION}/crictl" \
      "-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRI_TOOLS_VERSION}"
    ;;
  pause) build_pause ;;
  envtest) build_envtest ;;
  all)
    build_envtest
    for c in "${KUBERNETES_COMMANDS[@]}"; do build_kubernetes "${c}"; done
    build_one coredns
    build_one kind
    build_one crictl
    build_pause
    ;;
  *) die "unknown binary ${name}: want one of ${KUBERNETES_COMMANDS[*]} etcd coredns kind crictl pause envtest all" ;;
  esac
}

main() {
  if [[ "${1:-}" == "-f" ]]; then
    force=true
    shift
  fi
  [[ $# -gt 0 ]] || die "usage: build.sh [-f] NAME... (a Kubernetes command, etcd, coredns, kind, crictl, pause, envtest or all)"
  local name
  for name in "$@"; do build_one "${name}"; done
}

main "$@"
