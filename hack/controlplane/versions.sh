#!/usr/bin/env bash
# Reads hack/versions.mk into the environment of the sourcing script: every
# `NAME ?= value` line becomes NAME=value unless NAME is already set, which is
# what make's `?=` does too. Source it; it defines no functions.
__versions_file="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/versions.mk"
while IFS= read -r __line; do
  if [[ "${__line}" =~ ^([A-Z][A-Z0-9_]*)[[:space:]]*\?=[[:space:]]*([^[:space:]#]+)[[:space:]]*$ ]]; then
    __name="${BASH_REMATCH[1]}"
    if [[ -z "${!__name:-}" ]]; then
      export "${__name}=${BASH_REMATCH[2]}"
    fi
  fi
done <"${__versions_file}"
unset __versions_file __line __name
