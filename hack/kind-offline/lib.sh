# shellcheck shell=bash
# Shared helpers for the hack/kind-offline scripts: logging, timed steps,
# provider detection and the cache layout under bin/. Sourced, never run.

KIND_OFFLINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${ROOT:-$(cd "${KIND_OFFLINE_DIR}/../.." && pwd)}"
BIN="${BIN:-${ROOT}/bin}"
# Everything these scripts cache lives under here, keyed by version.
KIND_OFFLINE_CACHE="${KIND_OFFLINE_CACHE:-${BIN}/kind-offline}"
# One line per timed step ("<epoch> <script> <step> <seconds>"), for the README's numbers.
KIND_OFFLINE_TIMINGS="${KIND_OFFLINE_TIMINGS:-${KIND_OFFLINE_CACHE}/timings.log}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# now prints seconds since the epoch with millisecond precision.
now() { date +%s.%3N; }

# elapsed START prints the seconds since START (from now) with one decimal.
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

# step NAME CMD... runs CMD with errexit in force, logs how long it took and
# appends the timing. A failure exits the script; the EXIT trap names the step.
step() {
  # Locals are prefixed: bash scoping is dynamic, so CMD would see plain names.
  local _step_name="$1" _step_start _step_took
  shift
  KIND_OFFLINE_STEP="${_step_name}"
  log "==> ${_step_name}"
  _step_start="$(now)"
  "$@"
  _step_took="$(elapsed "${_step_start}")"
  KIND_OFFLINE_STEP=""
  log "<== ${_step_name}: ${_step_took}s"
  mkdir -p "$(dirname "${KIND_OFFLINE_TIMINGS}")"
  printf '%s %s %s %s\n' "$(date +%s)" "$(basename "$0")" "${_step_name// /_}" "${_step_took}" >>"${KIND_OFFLINE_TIMINGS}"
}

# on_exit CMD runs CMD (a string) when the script exits, after earlier ones.
on_exit() { KIND_OFFLINE_EXIT_CMDS+=("$1"); }

_kind_offline_exit() {
  local rc=$? cmd
  if [[ ${rc} -ne 0 && -n "${KIND_OFFLINE_STEP:-}" ]]; then
    log "FAILED in step '${KIND_OFFLINE_STEP}' (exit ${rc})"
  fi
  for cmd in "${KIND_OFFLINE_EXIT_CMDS[@]}"; do
    eval "${cmd}" || true
  done
  return "${rc}"
}

KIND_OFFLINE_STEP=""
KIND_OFFLINE_EXIT_CMDS=()
trap _kind_offline_exit EXIT
# Command substitutions fail the script like any other command.
shopt -s inherit_errexit

# load_versions reads hack/versions.mk (plain `NAME ?= value` lines) into
# the environment unless a variable is already set (make exports them).
load_versions() {
  local file="${ROOT}/hack/versions.mk" name value
  [[ -f "${file}" ]] || die "missing ${file}"
  while IFS= read -r line; do
    [[ "${line}" =~ ^([A-Z_]+)[[:space:]]*\?=[[:space:]]*([^[:space:]]+) ]] || continue
    name="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    if [[ -z "${!name:-}" ]]; then
      export "${name}=${value}"
    fi
  done <"${file}"
}

# docker_engine_works succeeds when a Docker client can reach a running engine.
docker_engine_works() {
  command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1
}

# detect_provider prints the container engine kind should use: docker where a
# Docker engine answers, podman otherwise. KIND_PROVIDER overrides it.
detect_provider() {
  if [[ -n "${KIND_PROVIDER:-}" ]]; then
    echo "${KIND_PROVIDER}"
  elif docker_engine_works; then
    echo docker
  else
    echo podman
  fi
}

# engine_image_exists PROVIDER IMAGE succeeds when IMAGE is in PROVIDER's store.
engine_image_exists() {
  local provider="$1" image="$2"
  command -v "${provider}" >/dev/null 2>&1 || return 1
  "${provider}" image inspect "${image}" >/dev/null 2>&1
}

# containers_conf_path prints where the podman containers.conf is written.
containers_conf_path() { echo "${KIND_OFFLINE_CACHE}/containers.conf"; }

# use_containers_conf exports CONTAINERS_CONF when the file exists, so that
# podman (run by kind or by these scripts) gets ulimits within the hard limits.
use_containers_conf() {
  local conf
  conf="$(containers_conf_path)"
  if [[ -z "${CONTAINERS_CONF:-}" && -f "${conf}" ]]; then
    export CONTAINERS_CONF="${conf}"
  fi
}
