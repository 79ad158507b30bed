#!/usr/bin/env bash
# Helpers shared by build.sh and gen.sh; source it, it runs nothing.
#
# KEDA's go.mod has `replace` and `exclude` directives. Go applies those of the
# main module only, so the wrapper module must repeat them, and a KEDA bump can
# change them. Both scripts compare the two sets with the functions below.

keda_module=github.com/kedacore/keda/v2

# keda_log MESSAGE...: logs to stderr with the script's prefix.
keda_log() { printf 'keda: %s\n' "$*" >&2; }

# keda_die MESSAGE...: logs an error and exits.
keda_die() {
  keda_log "error: $*"
  exit 1
}

# keda_module_dir WRAPPER_DIR: downloads KEDA at the version the wrapper
# requires (a no-op when it is in the module cache) and prints its directory.
# `go list -m` reports no Dir for a module that is not downloaded yet, so
# download first.
keda_module_dir() {
  local dir
  "${GO}" -C "$1" mod download "${keda_module}"
  dir="$("${GO}" -C "$1" list -m -f '{{.Dir}}' "${keda_module}")"
  [[ -n "${dir}" && -f "${dir}/go.mod" ]] || keda_die "cannot locate ${keda_module} in the module cache (go list -m gave '${dir}')"
  printf '%s\n' "${dir}"
}

# keda_directives GO_MOD: prints the replace and exclude directives of GO_MOD,
# one per line as `replace OLD => NEW` or `exclude PATH VERSION`, in single-line
# or block form, comments and spacing dropped, sorted.
keda_directives() {
  awk '
    function emit(kind, rest) {
      sub(/\/\/.*/, "", rest)
      gsub(/[ \t]+/, " ", rest)
      gsub(/^ | $/, "", rest)
      if (rest != "") print kind " " rest
    }
    block != "" && /^[ \t]*\)/ { block = ""; next }
    block != "" { emit(block, $0); next }
    /^(replace|exclude)[ \t]*\([ \t]*(\/\/.*)?$/ { block = $1; next }
    /^(replace|exclude)[ \t]/ { kind = $1; sub(/^(replace|exclude)[ \t]+/, ""); emit(kind, $0) }
  ' "$1" | LC_ALL=C sort
}
