#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest `check` mode: run every /tests/* program (TAP) under a timeout with kernel-log markers, then rmmod.
#
# Usage: /guest/check.sh [FILTER...]   (FILTER: glob or substring of a test program's name;
#        with a filter the final `rmmod scratch` step is skipped)
# Environment: SC_TEST_TIMEOUT or SC_TIMEOUT (seconds per program, default 600).
# Each program is preceded by `# === NAME`; its TAP goes through unchanged.  A program that
# crashes, times out or exits non-zero without a `not ok` line gets a `not ok - NAME: ...` line.
# Harness exit codes: 0 pass, 1 fail, 4 skip.  Exits 1 if anything failed.
# shellcheck shell=dash

# shellcheck source=tests/vm/guest/lib.sh
. /guest/lib.sh

T=${SC_TEST_TIMEOUT:-${SC_TIMEOUT:-600}}

# A debug kernel's kmemleak: forget what boot left, so that the scan after rmmod reports
# only what the suite leaked.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -w $KMEMLEAK ] && echo clear >$KMEMLEAK
[ -n "$T" ] || T=600
failed=0
count=0

for t in /tests/*; do
	{ [ -f "$t" ] && [ -x "$t" ]; } || continue
	name=${t##*/}
	sc_match "$name" "$@" || continue
	count=$((count + 1))
	out=/tmp/check.out
	rcf=/tmp/check.rc
	tof=/tmp/check.timedout
	echo "# === $name"
	sc_test_start "$name"
	t0=$(sc_now)
	rm -f $tof
	{
		sc_run_group "$T" $tof "$t"
		echo $? >$rcf
	} | tee $out
	rc=$(cat $rcf 2>/dev/null)
	[ -n "$rc" ] || rc=255
	t1=$(sc_now)
	sc_test_end "$name"

	results=$(grep -cE '^(not )?ok ' $out)
	nok=$(grep -c '^not ok ' $out)
	bad=0
	case $rc in
	0)
		[ "$results" -eq 0 ] && echo "ok - $name"
		;;
	4)
		[ "$results" -eq 0 ] && echo "ok - $name # SKIP (exit 4)"
		;;
	*)
		bad=1
		if [ -e $tof ]; then
			echo "not ok - $name: timeout after ${T}s (exit $rc)"
		elif [ "$nok" -gt 0 ]; then
			:
		elif [ "$rc" -gt 128 ]; then
			echo "not ok - $name: killed by signal $((rc - 128))"
		else
			echo "not ok - $name: exit $rc"
		fi
		;;
	esac
	[ "$nok" -gt 0 ] && bad=1
	if [ $bad -ne 0 ]; then
		failed=1
		echo "# $name: exit $rc after $((t1 - t0))s; kernel log since its start:"
		dmesg | sed -n "/scratch-test: start $name\$/,\$p" | tail -n 60 | sed 's/^/# dmesg: /'
	fi
done

if [ $count -eq 0 ]; then
	echo "not ok - check: no test programs in /tests${1:+ matching $*}"
	failed=1
fi

if [ $# -eq 0 ] && grep -q '^scratch ' /proc/modules; then
	echo "# === rmmod"
	sc_test_start rmmod
	if err=$(rmmod scratch 2>&1); then
		echo "ok - rmmod scratch"
	else
		echo "not ok - rmmod scratch: $err"
		failed=1
	fi
	sc_test_end rmmod
fi

if [ $# -eq 0 ] && [ -w $KMEMLEAK ]; then
	echo "# === kmemleak"
	# Objects must look unreferenced for two scans in a row before they are reported.
	# A kmemleak that disabled itself (its own allocation failed) refuses the scan:
	# that must not read as "no leak".
	scanned=1
	echo scan >$KMEMLEAK 2>/dev/null || scanned=0
	sleep 6
	echo scan >$KMEMLEAK 2>/dev/null || scanned=0
	leaks=$(grep -c '^unreferenced object' $KMEMLEAK)
	if [ $scanned -eq 0 ]; then
		echo "not ok - kmemleak: disabled during the suite, no scan"
		dmesg | grep -i kmemleak | tail -n 5 | sed 's/^/# dmesg: /'
		failed=1
	elif [ "$leaks" -eq 0 ]; then
		echo "ok - kmemleak: no leak"
	else
		echo "not ok - kmemleak: $leaks unreferenced object(s)"
		head -n 60 $KMEMLEAK | sed 's/^/# kmemleak: /'
		failed=1
	fi
fi

exit $failed
