#!/usr/bin/env bash
# Runs the e2e suite in two passes on one kind cluster while the images that
# only the second pass needs are built in the background at the lowest CPU
# priority (nice 19), so that a cold run overlaps that build with the first
# pass, which mostly waits on the cluster. `make test-e2e` uses it when the
# KEDA image tarballs do not exist yet (a fresh machine); otherwise it runs
# the suite in one pass.
#
# Usage: MAKE=make hack/e2e-overlap.sh BUILD PASS1 PASS2 CLEANUP
#   BUILD    make target that writes the images (keda-images)
#   PASS1    make target running every feature but those that need them, on
#            a cluster it keeps
#   PASS2    make target running the features that need them, on the same
#            cluster, which it deletes at its end (unless told to keep it)
#   CLEANUP  make target that deletes the cluster, run only when PASS2
#            cannot run (the build failed)
#
# PASS2 runs even when PASS1 failed, so that one failing feature does not
# hide the others' results. The exit status is the first failure's. The
# build's output goes to BUILD_LOG (default bin/e2e-background-build.log),
# printed after PASS1; the build is stopped if this script is interrupted.
set -uo pipefail

if [[ $# -ne 4 ]]; then
	echo "usage: MAKE=make $0 BUILD PASS1 PASS2 CLEANUP" >&2
	exit 2
fi
build=$1 pass1=$2 pass2=$3 cleanup=$4
make=${MAKE:-make}
log=${BUILD_LOG:-bin/e2e-background-build.log}
mkdir -p "$(dirname "$log")"

stamp() { date -u +%H:%M:%S; }

# setsid: the build gets a process group of its own, so that an interrupt
# stops its go build too.
start=$(date +%s)
echo "[$(stamp)] e2e: building '$build' in the background (nice 19, log $log) while '$pass1' runs"
done_file=$log.done
rm -f "$done_file"
DONE_FILE=$done_file setsid bash -c 'nice -n 19 "$@"; rc=$?; date +%s >"$DONE_FILE"; exit $rc' build "$make" --no-print-directory "$build" \
	>"$log" 2>&1 &
build_pid=$!
stop_build() { kill -TERM -- "-$build_pid" 2>/dev/null; }
trap 'stop_build; exit 130' INT TERM

rc=0
"$make" --no-print-directory "$pass1" || rc=$?
echo "[$(stamp)] e2e: '$pass1' exited $rc; waiting for the background build"
build_rc=0
wait "$build_pid" || build_rc=$?
trap - INT TERM
took=unknown
[[ -s $done_file ]] && took="$(($(cat "$done_file") - start))s"
echo "[$(stamp)] e2e: background build '$build' exited $build_rc; it took $took; its output:"
sed 's/^/  | /' "$log"
if [[ $build_rc -ne 0 ]]; then
	echo "[$(stamp)] e2e: the build failed; '$pass2' cannot run, deleting the cluster" >&2
	"$make" --no-print-directory "$cleanup" || true
	[[ $rc -ne 0 ]] || rc=$build_rc
	exit "$rc"
fi
rc2=0
"$make" --no-print-directory "$pass2" || rc2=$?
echo "[$(stamp)] e2e: '$pass2' exited $rc2"
[[ $rc -ne 0 ]] || rc=$rc2
exit "$rc"
