#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest `crash` mode: one boot of the power-cut test (tests/crashtest.sh drives it from the host).
#
# Usage: /guest/crash.sh [--format] [--log FILE] [--verify-only] [--boot N] [--nonce HEX]
#                        [-- CRASHLOAD-OPTIONS...]
#   --log FILE      the previous boot's test channel (run.sh --file puts it in /sc_files/):
#                   `crashload verify` checks it first (a failure is reported, then the load
#                   runs anyway)
#   --format        format the regions (first boot only), else they are reloaded
#   --verify-only   stop after the verify (the last boot of a crash test)
# Then `crashload run` writes, syncs and reads atoms until the host cuts the power
# (run.sh --kill-after).  Both use the first two drives; their options follow `--`.
# shellcheck shell=dash

# shellcheck source=tests/vm/guest/lib.sh
. /guest/lib.sh

format=
log=
verify_only=0
failed=0
boot=0
nonce=
while [ $# -gt 0 ]; do
	case $1 in
	--format) format=--format; shift ;;
	--log) log=$2; shift 2 ;;
	--verify-only) verify_only=1; shift ;;
	--boot) boot=$2; shift 2 ;;
	--nonce) nonce=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "not ok - crash: unknown argument $1"; exit 1 ;;
	esac
done

CL=/tests/crashload
[ -x $CL ] || { echo "not ok - crash: $CL missing (tests/crashtest.sh builds it)"; exit 1; }
if ! d0=$(sc_drive 0) || ! d1=$(sc_drive 1); then
	echo "not ok - crash: two NVMe drives needed"
	exit 1
fi

if [ -n "$log" ]; then
	[ -r "$log" ] || { echo "not ok - crash: log $log missing"; exit 1; }
	echo "# crash: boot $boot: verifying $(grep -c '' "$log") lines of the previous boot's log"
	sc_test_start crash-verify
	$CL verify --boot "$boot" ${nonce:+--nonce "$nonce"} --log "$log" "$@" "$d0" "$d1"
	rc=$?
	sc_test_end crash-verify
	# A failed verify is reported (`not ok`), and the load still runs: later cuts stay meaningful.
	[ $rc -eq 0 ] || failed=1
fi
[ $verify_only = 1 ] && exit $failed

echo "# crash: boot $boot: load${format:+ (format)} until the power cut"
sc_test_start crash-run
$CL run --boot "$boot" ${nonce:+--nonce "$nonce"} $format "$@" "$d0" "$d1"
rc=$?
sc_test_end crash-run
# The load only stops on a failure (or with --seconds / --atoms).
[ $rc -eq 0 ] || failed=1
exit $failed
