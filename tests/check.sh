#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Body of `make check`: native unit tests and the VM suite per kernel, each logged, then one TAP summary line.
#
# Usage: tests/check.sh [unit] [6.1] [6.12] [rt] [debug] [crash] [fault] [host]    (no argument: all)
#   rt: Debian's 6.1 PREEMPT_RT kernel; debug: the project's 6.1 debug kernel (KASAN, lockdep,
#   kmemleak, fault injection; scripts/debug-kernel.sh builds it once); fault: boots of their
#   own for NVMe hot removal (debug kernel) and memory pressure (a 384 MiB guest); host: the
#   worker-host VM, systemd booting this machine's root with our packages (needs make deb).
# Logs: build/check/unit.tap, build/check/<kernel>.tap.  Every stage runs even if an earlier one
# failed; the last output line is "N passed, N failed"; exit 1 on any failure.
# Environment: SCRATCH_CHECK_VM_TIMEOUT (seconds per VM run, default 1200).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=build/check
mkdir -p "$OUT"
[ $# -gt 0 ] || set -- unit 6.1 6.12 rt debug crash fault host

logs=()
rc=0

# stage NAME LOG CMD...: run CMD with output shown and tee'd to LOG; a failing CMD whose log
# has no `not ok` line gets one, so the summary counts it.
stage() {
	local name=$1 log=$2 t0 src=0
	shift 2
	echo "# ==== $name: $*"
	t0=$(date +%s)
	set +e
	"$@" 2>&1 | tee "$log"
	src=${PIPESTATUS[0]}
	set -e
	if [ "$src" -ne 0 ]; then
		rc=1
		if ! grep -q '^not ok' "$log"; then
			echo "not ok - $name: exit $src" | tee -a "$log"
		fi
	fi
	echo "# ==== $name: exit $src after $(($(date +%s) - t0))s"
	logs+=("$log")
}

for what in "$@"; do
	case $what in
	unit)
		if ! ls tests/unit/*.c >/dev/null 2>&1; then
			echo "# ==== unit: no unit tests (tests/unit/*.c), skipped"
			continue
		fi
		stage unit "$OUT/unit.tap" make -s unit
		# The on-disk parsers, briefly; `make fuzz` runs longer.
		stage fuzz "$OUT/fuzz.tap" scripts/fuzz.sh "${SCRATCH_CHECK_FUZZ_SECONDS:-15}"
		# make install, pkg-config, the ABI lists and the man pages, as a new user meets them.
		stage install "$OUT/install.tap" scripts/install-check.sh
		;;
	6.1 | 6.12 | rt)
		stage "vm-$what" "$OUT/$what.tap" tests/vm/run.sh --kernel "$what" --drives 2 \
			--drive-size 1G --timeout "${SCRATCH_CHECK_VM_TIMEOUT:-1200}" -- check
		;;
	debug)
		# KASAN and lockdep make the guest several times slower: more time per program.
		stage "vm-$what" "$OUT/$what.tap" tests/vm/run.sh --kernel debug --drives 2 \
			--drive-size 1G --mem 3G --test-timeout 1500 \
			--timeout "${SCRATCH_CHECK_DEBUG_TIMEOUT:-2400}" -- check
		;;
	crash)
		# Power cuts: SIGKILL of QEMU during writes, syncs and evictions.
		stage crash "$OUT/crash.tap" tests/crashtest.sh "${SCRATCH_CHECK_CUTS:-12}" --kernel 6.1
		;;
	fault)
		# One program per boot, so that the guest still unloads the module and scans for leaks.
		for t in hotplug mempress; do
			rm -rf "$OUT/$t-tests"
			mkdir -p "$OUT/$t-tests"
			cp build/tests/$t "$OUT/$t-tests/"
		done
		# Drives behind PCIe root ports, unplugged and plugged back by the guest; KASAN watches.
		stage hotplug "$OUT/hotplug.tap" tests/vm/run.sh --kernel debug --hotplug \
			--tests "$OUT/hotplug-tests" --drives 2 --drive-size 1G --timeout 900 -- check
		# Ten times the guest's RAM through the space next to a cgroup holding half of it.
		stage mempress "$OUT/mempress.tap" tests/vm/run.sh --kernel 6.1 --mem 384M \
			--tests "$OUT/mempress-tests" --drives 2 --drive-size 1G --timeout 1200 -- check
		;;
	host)
		# A worker host: a space assembled by uuid at boot, group access, metrics (tests/vm/hostvm.sh).
		stage host "$OUT/host.tap" tests/vm/hostvm.sh
		;;
	*)
		echo "check.sh: unknown stage '$what' (unit, 6.1, 6.12, rt, debug, crash, fault, host)" >&2
		exit 2
		;;
	esac
done

if [ ${#logs[@]} -eq 0 ]; then
	echo "0 passed, 0 failed"
	exit 1
fi
tests/tap-summary.sh "${logs[@]}" || rc=1
exit $rc
