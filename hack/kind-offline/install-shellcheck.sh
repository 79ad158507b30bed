#!/usr/bin/env bash
# Installs shellcheck (the Debian package) when it is not on PATH, for
# `make test-kind-unit`, which runs it on these scripts. Quiet, idempotent
# (a no-op once shellcheck is found), and run as root without sudo, as
# host-setup.sh is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v shellcheck >/dev/null && exit 0
[[ "$(id -u)" -eq 0 ]] || die "need root to apt-get install shellcheck"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
