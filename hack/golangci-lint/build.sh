#!/usr/bin/env bash
# Builds golangci-lint with the Kube API Linter compiled in (main.go here)
# into $1. This directory is a wrapper module outside go.work: its go.mod
# requires both linters at the versions hack/variables.mk pins and its go.sum
# pins every dependency, so a fresh machine builds the same binary from the
# Go module proxy. One binary serves `make lint` for every module; only
# modules/api enables the kubeapilinter plugin (hack/kube-api-linter.yaml).
#
# Usage: GOLANGCI_LINT_VERSION=v2.15.0 KUBE_API_LINTER_VERSION=v0.0.0-... build.sh OUT
# The binary is written to a temporary file and renamed into place, so an
# interrupted build never leaves a truncated binary that make would take as
# up to date.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GO="${GO:-go}"
out="${1:?usage: build.sh OUT}"

log() { printf 'golangci-lint: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -n "${GOLANGCI_LINT_VERSION:-}" ]] || die "GOLANGCI_LINT_VERSION is not set (hack/variables.mk pins it)"
[[ -n "${KUBE_API_LINTER_VERSION:-}" ]] || die "KUBE_API_LINTER_VERSION is not set (hack/variables.mk pins it)"
export GOWORK=off

# The output path names both versions: the module must require exactly them.
check() {
  local module="$1" want="$2" got
  got="$("${GO}" -C "${here}" list -m -f '{{.Version}}' "${module}")"
  [[ "${got}" == "${want}" ]] || die "hack/golangci-lint/go.mod requires ${module} ${got}, the pin is ${want}: run make golangci-lint-gen"
}
check github.com/golangci/golangci-lint/v2 "${GOLANGCI_LINT_VERSION}"
check sigs.k8s.io/kube-api-linter "${KUBE_API_LINTER_VERSION}"

mkdir -p "$(dirname "${out}")"
log "building ${GOLANGCI_LINT_VERSION} with kube-api-linter ${KUBE_API_LINTER_VERSION}"
start="$(date +%s)"
"${GO}" -C "${here}" build -trimpath -o "${out}.tmp" .
mv -f "${out}.tmp" "${out}"
log "built in $(($(date +%s) - start))s: ${out}"
