#!/usr/bin/env bash
# Builds KEDA (github.com/kedacore/keda/v2) from Go modules into
#
#   $BIN/keda/$KEDA_VERSION/keda          the operator        (cmd/operator)
#   $BIN/keda/$KEDA_VERSION/keda-adapter  the metrics server  (cmd/adapter)
#
# static (CGO_ENABLED=0, as KEDA's Makefile builds them), -trimpath, stamped
# with the version the way KEDA's release build stamps it. The admission
# webhooks (cmd/webhooks) are not built: the project installs KEDA without them.
#
# This directory is a wrapper module (not in go.work): its go.mod requires KEDA,
# repeats KEDA's replace and exclude directives (a dependency's are ignored) and
# has a `tool` line per command, and its go.sum pins every dependency.
#
# Usage: KEDA_VERSION=v2.21.0 build.sh [-f] [keda|keda-adapter]...
# Without names both are built. An existing binary is kept (idempotent); -f
# rebuilds. Binaries are written to a temporary directory and renamed into
# place, so an interrupted build never leaves a truncated binary that a later
# run would take as done.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
# shellcheck source=SCRIPTDIR/lib.sh
source "${here}/lib.sh"
BIN="$(realpath -m "${BIN:-${root}/bin}")"
GO="${GO:-go}"

[[ -n "${KEDA_VERSION:-}" ]] || keda_die "KEDA_VERSION is not set (hack/versions.mk pins it)"
force=false
if [[ "${1:-}" == "-f" ]]; then
  force=true
  shift
fi
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then names=(keda keda-adapter); fi

export CGO_ENABLED=0 GOWORK=off

# package NAME: the main package a binary is built from (KEDA's Makefile names
# the binaries the same way: bin/keda, bin/keda-adapter).
package() {
  case "$1" in
  keda) echo "${keda_module}/cmd/operator" ;;
  keda-adapter) echo "${keda_module}/cmd/adapter" ;;
  *) keda_die "unknown binary $1: want keda or keda-adapter" ;;
  esac
}

dest_dir="${BIN}/keda/${KEDA_VERSION}"
todo=()
for name in "${names[@]}"; do
  package "${name}" >/dev/null
  if [[ -x "${dest_dir}/${name}" && "${force}" == false ]]; then
    keda_log "${name} up to date (${dest_dir#"${root}"/}/${name})"
  else
    todo+=("${name}")
  fi
done
if [[ ${#todo[@]} -eq 0 ]]; then exit 0; fi

# The wrapper must require exactly the pinned version, or the path (which
# names the version) would hold another one; and it must repeat KEDA's
# replace/exclude directives, or the build would not be KEDA's.
required="$("${GO}" -C "${here}" list -m -f '{{.Version}}' "${keda_module}")"
if [[ "${required}" != "${KEDA_VERSION}" ]]; then
  keda_die "hack/keda/go.mod requires ${keda_module} ${required}, KEDA_VERSION is ${KEDA_VERSION}: run make keda-gen"
fi
dir="$(keda_module_dir "${here}")"
if ! diff <(keda_directives "${dir}/go.mod") <(keda_directives "${here}/go.mod") >&2; then
  keda_die "the replace/exclude directives of hack/keda/go.mod (>) differ from ${keda_module}@${KEDA_VERSION}'s (<): run make keda-gen"
fi

# KEDA's release build (.github/workflows/release-build.yml, Makefile
# GO_LDFLAGS) sets version.Version to the tag without its "v", which the
# operator logs, puts in the keda_build_info metric and on the HPAs it creates
# (app.kubernetes.io/version). A module has no commit to put in GitCommit.
ldflags="-s -w -X ${keda_module}/version.Version=${KEDA_VERSION#v} -X ${keda_module}/version.GitCommit="

mkdir -p "${dest_dir}"
tmp="$(mktemp -d "${dest_dir}/.build.XXXXXX")"
trap 'rm -rf "${tmp}"' EXIT
pkgs=()
for name in "${todo[@]}"; do pkgs+=("$(package "${name}")"); done
keda_log "building ${todo[*]} ${KEDA_VERSION} (${pkgs[*]})"
start="$(date +%s%N)"
# One `go build` for both commands: they share most of their ~3,500 packages
# (the adapter links every scaler too), which the go command then compiles once.
"${GO}" -C "${here}" build -trimpath -buildvcs=false -ldflags "${ldflags}" -o "${tmp}/" "${pkgs[@]}"
ms=$((($(date +%s%N) - start) / 1000000))
for name in "${todo[@]}"; do
  built="${tmp}/$(basename "$(package "${name}")")"
  [[ -f "${built}" ]] || keda_die "go build wrote no ${built}"
  chmod 0755 "${built}"
  mv -f "${built}" "${dest_dir}/${name}"
done
keda_log "$(printf 'built %s in %d.%01ds into %s' "${todo[*]}" $((ms / 1000)) $((ms % 1000 / 100)) "${dest_dir#"${root}"/}")"
