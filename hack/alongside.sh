#!/usr/bin/env bash
# Runs a command while make targets that need only CPU (no cluster, no real
# time deadline) run in the background at the lowest CPU priority, so that
# they use the cores the command leaves idle. `make test` runs lint and the
# capacity module's standalone and -race -count tests this way alongside
# test-e2e, whose features mostly wait on the cluster, instead of before it.
#
# Usage: MAKE=make hack/alongside.sh 'TARGETS' LOG -- COMMAND [ARG...]
#   TARGETS  make targets, run in one `make -k` in the background (its
#            output goes to LOG and is printed when both have ended); empty
#            runs COMMAND alone
#   COMMAND  run in the foreground at normal priority
#
# The background make runs under SCHED_IDLE (chrt --idle) and nice 19 where
# chrt is available: below test-e2e's own background build (nice 19), which
# the second e2e pass waits for. The exit status is COMMAND's when it
# failed, otherwise the targets'. An interrupt stops the background make's
# process group.
set -uo pipefail

if [[ $# -lt 4 || $3 != -- ]]; then
	echo "usage: MAKE=make $0 'TARGETS' LOG -- COMMAND [ARG...]" >&2
	exit 2
fi
targets=$1 log=$2
shift 3
make=${MAKE:-make}

if [[ -z ${targets// /} ]]; then
	exec "$@"
fi

stamp() { date -u +%H:%M:%S; }
idle=()
if chrt --idle 0 true 2>/dev/null; then
	idle=(chrt --idle 0)
fi
mkdir -p "$(dirname "$log")"
start=$(date +%s)
echo "[$(stamp)] alongside: running '$targets' in the background (${idle[*]:+${idle[*]} }nice 19, log $log) while '$*' runs"
done_file=$log.done
rm -f "$done_file"
# setsid: a process group of its own, so that an interrupt stops its go
# commands too. The targets are word-split on purpose; the inner script
# expands its variables itself.
# shellcheck disable=SC2086,SC2016
DONE_FILE=$done_file setsid bash -c '"$@"; rc=$?; date +%s >"$DONE_FILE"; exit $rc' alongside \
	"${idle[@]}" nice -n 19 "$make" --no-print-directory -k $targets >"$log" 2>&1 &
pid=$!
trap 'kill -TERM -- "-$pid" 2>/dev/null; exit 130' INT TERM

rc=0
"$@" || rc=$?
echo "[$(stamp)] alongside: '$*' exited $rc; waiting for '$targets'"
targets_rc=0
wait "$pid" || targets_rc=$?
trap - INT TERM
took=unknown
[[ -s $done_file ]] && took="$(($(cat "$done_file") - start))s"
echo "[$(stamp)] alongside: '$targets' exited $targets_rc after $took; their output:"
sed 's/^/  | /' "$log"
[[ $rc -ne 0 ]] || rc=$targets_rc
exit "$rc"
