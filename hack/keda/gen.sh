#!/usr/bin/env bash
# Regenerates hack/keda/go.mod and go.sum for KEDA_VERSION: requires
# github.com/kedacore/keda/v2@KEDA_VERSION, copies the replace and exclude
# directives of KEDA's own go.mod (Go ignores a dependency's), one `tool` line
# per command build.sh builds, then `go mod tidy`. go.mod is written from
# scratch so that no stale directive survives an upgrade.
#
# Upgrading: bump KEDA_VERSION in hack/versions.mk, run `make keda-gen` (this
# script), commit hack/keda/go.{mod,sum}.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/lib.sh
source "${here}/lib.sh"
GO="${GO:-go}"
export GOWORK=off GOFLAGS="${GOFLAGS:-} -mod=mod"

[[ -n "${KEDA_VERSION:-}" ]] || keda_die "KEDA_VERSION is not set (hack/versions.mk pins it)"

gomod="$("${GO}" -C "${here}" mod download -json "${keda_module}@${KEDA_VERSION}" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
[[ -n "${gomod}" && -f "${gomod}" ]] || keda_die "cannot locate the go.mod of ${keda_module}@${KEDA_VERSION}"
mapfile -t directives < <(keda_directives "${gomod}")
keda_log "${keda_module} ${KEDA_VERSION}: ${#directives[@]} replace/exclude directive(s) to repeat"

{
  cat <<EOT
module github.com/wva-project/wva/hack/keda

go 1.26.8

// Written by gen.sh (make keda-gen). KEDA's replace and exclude directives,
// repeated: Go applies only the main module's.
EOT
  for d in "${directives[@]}"; do printf '%s\n' "${d}"; done
  cat <<EOT

tool (
	${keda_module}/cmd/adapter
	${keda_module}/cmd/operator
)

require ${keda_module} ${KEDA_VERSION}
EOT
} >"${here}/go.mod"
rm -f "${here}/go.sum"
"${GO}" -C "${here}" mod tidy
keda_log "wrote hack/keda/go.mod and go.sum"
