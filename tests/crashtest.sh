#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Power-cut test: boot, load, cut the power at a random point, reboot, verify the reload; repeat.
#
# Usage: tests/crashtest.sh [CUTS] [--kernel 6.1|6.12|KVER]     (default 25 cuts, kernel 6.1)
#
# Boot 1 formats a space (two NVMe drives, the 64-96 MiB range of each, 1 MiB segments, so it
# fills in seconds and evicts all the time) and runs `crashload run` (tests/crash/crashload.c):
# writers commit atoms of 1 B..300 KiB and SYNC every few, readers read and map recent ones.
# The host SIGKILLs QEMU (tests/vm/run.sh --kill-after) once the guest has logged a random
# number of commits, plus a random fraction of a second: a power cut that loses the guest's
# page cache and whatever the emulated drives had not yet been handed.  Each next boot gets the
# previous boot's log (--file), checks it with `crashload verify` (synced atoms exact or
# legitimately evicted, unsynced ones exact or gone, never wrong bytes; eviction whole-segment
# and FIFO; old ids stay gone), then runs the load again until the next cut.  After CUTS cuts
# a last boot only verifies.
#
# Output: TAP, one line per cut (its boot's load and the next boot's verify); the seed first.
# Exit 1 if any cut failed or any boot logged a kernel splat (run.sh's scan, every boot).
# Environment: SCRATCH_CRASH_SEED (RANDOM seed: kill points and nonces; default fixed),
#   SCRATCH_CRASH_TIMEOUT (wall-clock seconds per boot, default 400).
# Files: build/crash/<kernel>/ (images, vm work dir, logs/boot-N.out and boot-N.chan).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2

CUTS=25
KERNEL=6.1
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL=$2; shift 2 ;;
	-h | --help) sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*[!0-9]* | '') echo "crashtest: unknown argument $1" >&2; exit 2 ;;
	*) CUTS=$1; shift ;;
	esac
done
[ "$CUTS" -ge 1 ] || { echo "crashtest: CUTS must be at least 1" >&2; exit 2; }

SEED=${SCRATCH_CRASH_SEED:-4242}
RANDOM=$SEED
TMO=${SCRATCH_CRASH_TIMEOUT:-400}
# The kill point: this many COMMIT lines on the test channel (the verify logs 16 of its own
# before the load starts; the load commits a few hundred a second under TCG), then this many
# milliseconds more.
KILL_LINES_MIN=40
KILL_LINES_MAX=800
KILL_MS_MAX=1500
# crashload's space: the 64-96 MiB range of each 128 MiB drive.
LOAD_OPTS=(--offset-mib 64 --region-mib 32 --seg-shift 20)

W=$ROOT/build/crash/$KERNEL
LOGS=$W/logs
BIN=$W/bin
export SCRATCH_VM_DIR=$W/vm
export SCRATCH_VM_TESTS=$BIN	# only crashload goes to /tests
export SCRATCH_VM_BENCH=$W/nobench
rm -rf "$W/img" "$LOGS"
mkdir -p "$LOGS" "$BIN" "$SCRATCH_VM_BENCH" "$SCRATCH_VM_DIR"

# ---- crashload (static, for the guest) ------------------------------------------------------
src=tests/crash/crashload.c
exe=$BIN/crashload
if [ ! -x "$exe" ] || [ "$src" -nt "$exe" ] || [ tests/scratch_test.h -nt "$exe" ] ||
	[ include/uapi/scratch.h -nt "$exe" ]; then
	gcc -O2 -Wall -Wextra -Iinclude -Ikmod -D_GNU_SOURCE -static -pthread -o "$exe" "$src" \
		-luring -lxxhash || { echo "not ok - crashtest: building $exe failed"; exit 1; }
fi

echo "TAP version 13"
echo "1..$CUTS"
echo "# crashtest: $CUTS power cuts, kernel $KERNEL, seed $SEED (set SCRATCH_CRASH_SEED to change)"
T0=$(date +%s)

# ---- per-boot results ------------------------------------------------------------------------
declare -a RC KILLED CUTDESC VERIFY VFAIL RFAIL
total_synced=0
total_unsynced=0
total_gone=0
qemu_retries=0

# classify BOOT: split the boot's `not ok` lines into the verify's (of the previous cut) and
# the rest (this boot's load, boot, or anything outside the verify).
classify() {
	local b=$1 out=$LOGS/boot-$1.out
	VERIFY[b]=$(grep -aE '^(not )?ok - crash verify' "$out" | tail -n 1)
	VFAIL[b]=$(grep -aE '^not ok' "$out" | grep -aE 'crash verify|in test crash-verify' || true)
	RFAIL[b]=$(grep -aE '^not ok' "$out" | grep -avE 'crash verify|in test crash-verify' || true)
}

# describe_cut BOOT: where the cut landed, from the boot's test channel.
describe_cut() {
	local chan=$LOGS/boot-$1.chan stats
	stats=$(grep -a '^# stats' "$chan" | tail -n 1 | sed 's/^# stats //')
	awk '
		/^START run/ { run = 1 }
		!run { next }
		/^COMMIT / { c++; since++; last = "COMMIT" }
		/^SYNC / { inflight++; last = "SYNC" }
		/^SYNCED / { s++; since = 0; inflight--; last = "SYNCED" }
		END {
			printf "%d commits, %d syncs, %d commits after the last SYNCED, %d sync(s) under way, " \
				"last line %s", c, s, since, inflight, last
		}
	' "$chan"
	[ -z "$stats" ] || printf '; at %s' "$stats"
}

report_cut() { # report_cut K: TAP line for cut K (boot K's load, boot K+1's verify)
	local k=$1 n why=()
	n=$((k + 1))
	# A failed verify in boot K belongs to cut K-1: run.sh's exit says nothing more then.
	if [ "${RC[k]}" != 0 ] && [ -z "${RFAIL[k]}" ] && [ -z "${VFAIL[k]}" ]; then
		why+=("boot $k: run.sh exit ${RC[k]}")
	fi
	[ -n "${RFAIL[k]}" ] && why+=("boot $k: load, boot or kernel failure")
	[ "${KILLED[k]}" = 1 ] || why+=("boot $k: the power cut never came (the load stopped)")
	case ${VERIFY[n]} in
	'ok - '*) ;;
	'') why+=("boot $n: no verify result") ;;
	*) why+=("boot $n: verify failed") ;;
	esac
	[ -n "${VFAIL[n]}" ] && [ "${VERIFY[n]#ok}" != "${VERIFY[n]}" ] && why+=("boot $n: verify-time failure")
	if [ "$n" -gt "$CUTS" ]; then
		[ "${RC[n]}" = 0 ] || why+=("boot $n (verify only): run.sh exit ${RC[n]}")
		[ -n "${RFAIL[n]}" ] && why+=("boot $n: failure")
	fi
	local v
	v=${VERIFY[n]#*crash verify: }
	if [ ${#why[@]} -eq 0 ]; then
		echo "ok $k - cut $k: ${CUTDESC[k]} -> $v"
	else
		echo "not ok $k - cut $k: $(IFS=';'; echo "${why[*]}")"
		echo "#   cut: ${CUTDESC[k]}"
		[ -z "${VERIFY[n]}" ] || echo "#   verify: ${VERIFY[n]}"
		{
			grep -ah '^# FAIL' "$LOGS/boot-$n.out" | head -n 20
			printf '%s\n' "${RFAIL[k]}" "${VFAIL[n]}" | grep -a . | head -n 10
			grep -ah '^# kernel' "$LOGS/boot-$k.out" "$LOGS/boot-$n.out" | head -n 20
		} | sed 's/^/#   /'
		echo "#   logs: ${LOGS#"$ROOT"/}/boot-$k.out, boot-$n.out (+ .chan)"
	fi
}

failed=0
for ((b = 1; b <= CUTS + 1; b++)); do
	nonce=$(printf '%04x%04x%04x%04x' "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM")
	guest=(--boot "$b" --nonce "$nonce")
	vm=(--kernel "$KERNEL" --drives 2 --drive-size 128M --images "$W/img" --mem 1G
		--timeout "$TMO")
	if [ "$b" = 1 ]; then
		guest+=(--format)
	else
		vm+=(--file "$LOGS/prev.log")
		guest+=(--log /sc_files/prev.log)
	fi
	if [ "$b" -le "$CUTS" ]; then
		lines=$((KILL_LINES_MIN + RANDOM % (KILL_LINES_MAX - KILL_LINES_MIN + 1)))
		ms=$((RANDOM % (KILL_MS_MAX + 1)))
		delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
		vm+=(--kill-after "$delay" --kill-lines "$lines" --kill-match '^COMMIT ')
		echo "# boot $b: ${guest[*]}; power cut after $lines COMMIT lines + ${delay}s"
	else
		guest+=(--verify-only)
		echo "# boot $b: ${guest[*]}; verify only"
	fi
	tb=$(date +%s)
	for try in 1 2 3; do
		rc=0
		tests/vm/run.sh "${vm[@]}" -- crash "${guest[@]}" -- "${LOAD_OPTS[@]}" \
			>"$LOGS/boot-$b.out" 2>&1 || rc=$?
		cp "$SCRATCH_VM_DIR"/*-crash.test.log "$LOGS/boot-$b.chan" 2>/dev/null ||
			: >"$LOGS/boot-$b.chan"
		cp "$SCRATCH_VM_DIR"/*-crash.console.log "$LOGS/boot-$b.console" 2>/dev/null || true
		KILLED[b]=0
		grep -aq '# vm: power cut' "$LOGS/boot-$b.out" && KILLED[b]=1
		# QEMU itself crashing before the guest's init said a word (QEMU 7.2 under TCG has
		# segfaulted here) touched no drive: boot again.  Anything later counts.
		if [ "$rc" != 0 ] && [ "${KILLED[b]}" = 0 ] && [ ! -s "$LOGS/boot-$b.chan" ] &&
			grep -aq '^not ok - vm: QEMU failed with exit code' "$LOGS/boot-$b.out" && [ $try -lt 3 ]; then
			echo "# boot $b: $(grep -a '^not ok - vm:' "$LOGS/boot-$b.out" | head -n 1)" \
				"before the guest started: booting again (logs: boot-$b.try$try.*)"
			mv "$LOGS/boot-$b.out" "$LOGS/boot-$b.try$try.out"
			mv "$LOGS/boot-$b.console" "$LOGS/boot-$b.try$try.console" 2>/dev/null || true
			qemu_retries=$((qemu_retries + 1))
			continue
		fi
		break
	done
	RC[b]=$rc
	classify "$b"

	# The next boot's log: the channel without a last line torn by the cut (no newline).
	chan=$LOGS/boot-$b.chan
	if [ -s "$chan" ] && [ -n "$(tail -c 1 "$chan")" ]; then
		echo "# boot $b: last channel line torn by the cut: $(tail -n 1 "$chan" | cut -c1-80)"
		sed -i '$d' "$chan"
	fi
	grep -aE '^(START|COMMIT|CARRY|SYNCED|GONE) ' "$chan" >"$LOGS/prev.log" || true
	cp "$LOGS/prev.log" "$LOGS/boot-$b.log"

	[ "$b" -le "$CUTS" ] && CUTDESC[b]="cut after $lines COMMIT lines + ${delay}s: $(describe_cut "$b")"
	echo "# boot $b: $(($(date +%s) - tb))s, run.sh exit $rc${VERIFY[b]:+; ${VERIFY[b]}}"
	if [[ ${VERIFY[b]} =~ ([0-9]+)\ synced\ atoms\ exact.*\ ([0-9]+)\ unsynced\ exact,\ ([0-9]+)\ gone ]]; then
		total_synced=$((total_synced + BASH_REMATCH[1]))
		total_unsynced=$((total_unsynced + BASH_REMATCH[2]))
		total_gone=$((total_gone + BASH_REMATCH[3]))
	fi
	if [ "$b" -ge 2 ]; then
		line=$(report_cut $((b - 1)))
		echo "$line"
		case $line in 'not ok'*) failed=1 ;; esac
	fi
done

splats=$(grep -alE '^not ok - kernel log' "$LOGS"/boot-*.out 2>/dev/null | wc -l)
echo "# crashtest: $CUTS cuts, seed $SEED, $(($(date +%s) - T0))s; verified $total_synced synced atoms" \
	"exact, $total_unsynced unsynced exact, $total_gone gone; $splats boot(s) with kernel splats;" \
	"$qemu_retries boot(s) retried after QEMU crashed before the guest started"
# What the verifies found, by kind (one incident may show in several lines).
grep -ah '^# FAIL:' "$LOGS"/boot-[0-9]*.out 2>/dev/null | awk '
	/names another atom|now reads as other bytes|appears twice/ { k["id reused for another atom"]++; next }
	/LOST SYNCED ATOM/ { k["lost synced atom"]++; next }
	/WRONG/ { k["wrong bytes or STAT"]++; next }
	/FIFO/ { k["eviction out of FIFO order"]++; next }
	/is back although/ { k["evicted atom back"]++; next }
	/more failures not shown/ { next }
	{ k["other"]++ }
	END { for (x in k) printf "# crashtest: FAIL lines: %d x %s\n", k[x], x }' | sort
[ "$splats" = 0 ] || failed=1
exit $failed
