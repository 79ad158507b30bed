#!/usr/bin/env bash
# Builds the Prometheus server (github.com/prometheus/prometheus/cmd/prometheus)
# from Go modules into $BIN/prometheus/$PROMETHEUS_VERSION/prometheus: static
# (CGO_ENABLED=0), -trimpath, without the web UI assets (the builtinassets tag
# is off; tests use the HTTP API only), and with one service discovery:
# kubernetes_sd_configs, which the e2e features and deploy/demo use
# (static_configs, file and http discovery are always in). Prometheus's own
# build tags select them (plugins/plugin_*.go: remove_all_sd drops every
# optional one, enable_<name>_sd keeps one back); leaving out the cloud
# SDKs (AWS, Azure, GCE, OCI, ...) shortens the cold build.
#
# This directory is a wrapper module (not in go.work) whose go.mod has a `tool`
# line for the server and a go.sum pinning all its dependencies: `go install
# pkg@version` would resolve them afresh, and refuses modules with replace
# directives should Prometheus ever add one.
#
# Usage: PROMETHEUS_VERSION=v0.316.0 build.sh [-f]
# An existing binary is kept (idempotent); -f rebuilds. The binary is written
# to a temporary file and renamed into place, so an interrupted build never
# leaves a truncated binary that a later run would take as done.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
BIN="$(realpath -m "${BIN:-${root}/bin}")"
GO="${GO:-go}"
module=github.com/prometheus/prometheus

log() { printf 'prometheus: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -n "${PROMETHEUS_VERSION:-}" ]] || die "PROMETHEUS_VERSION is not set (hack/versions.mk pins it)"
force=false
if [[ "${1:-}" == "-f" ]]; then force=true; fi

export CGO_ENABLED=0 GOWORK=off

dest="${BIN}/prometheus/${PROMETHEUS_VERSION}/prometheus"
if [[ -x "${dest}" && "${force}" == false ]]; then
  log "up to date (${dest#"${root}"/})"
  exit 0
fi

# The wrapper module must require exactly the pinned version, or the path
# (which names the version) would hold another one.
required="$("${GO}" -C "${here}" list -m -f '{{.Version}}' "${module}")"
if [[ "${required}" != "${PROMETHEUS_VERSION}" ]]; then
  die "hack/prometheus/go.mod requires ${module} ${required}, PROMETHEUS_VERSION is ${PROMETHEUS_VERSION}: run make prometheus-gen"
fi

# Version stamp as Prometheus's own release build sets it (.promu.yml): the
# human version (3.x.y) is the VERSION file of the module (v0.3xx.y), the
# build date its release time, so two builds of one version are identical.
# On a fresh machine the module is not in the module cache yet, and
# `go list -m` reports no Dir for a module it has not downloaded.
"${GO}" -C "${here}" mod download "${module}"
dir="$("${GO}" -C "${here}" list -m -f '{{.Dir}}' "${module}")"
[[ -f "${dir}/VERSION" ]] || die "no VERSION file in ${module}@${PROMETHEUS_VERSION} (${dir})"
version="$(<"${dir}/VERSION")"
date="$("${GO}" -C "${here}" list -m -f '{{.Time.UTC.Format "20060102-15:04:05"}}' "${module}")"
pkg=github.com/prometheus/common/version
ldflags="-s -w -X ${pkg}.Version=${version} -X ${pkg}.Branch=module -X ${pkg}.BuildDate=${date}"
ldflags+=" -X ${pkg}.BuildUser=wva -X ${pkg}.Revision=${module}@${PROMETHEUS_VERSION}"

tags=netgo,remove_all_sd,enable_kubernetes_sd
mkdir -p "$(dirname "${dest}")"
log "building prometheus ${version} (${module}/cmd/prometheus@${PROMETHEUS_VERSION}, tags ${tags})"
start="$(date +%s%N)"
"${GO}" -C "${here}" build -trimpath -buildvcs=false -tags "${tags}" -ldflags "${ldflags}" \
  -o "${dest}.tmp" "${module}/cmd/prometheus"
ms=$((($(date +%s%N) - start) / 1000000))
chmod 0755 "${dest}.tmp"
mv -f "${dest}.tmp" "${dest}"
log "$(printf 'built in %d.%01ds: %s' $((ms / 1000)) $((ms % 1000 / 100)) "${dest#"${root}"/}")"
