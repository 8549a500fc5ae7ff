#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Power-cut test: boot, load, cut the power at a random point, reboot, verify the reload; repeat.
#
# Usage: tests/crashtest.sh [CUTS] [--kernel 6.1|6.12|KVER] [--mode kill|dmlog|both]
#                           [--points N] [--no-reformat]
#                           (default 25 cuts, kernel 6.1, both, N = 2 x CUTS crash points)
#
# Two kinds of power cut (--mode, default both):
# kill: CUTS + 1 boots.  Boot 1 formats a space (two NVMe drives, the 64-96 MiB range of each,
# 1 MiB segments, so it fills in seconds and evicts all the time) and runs `crashload run`
# (tests/crash/crashload.c): writers commit atoms of 1 B..300 KiB and SYNC every few, readers
# read and map recent ones.  The host SIGKILLs QEMU (tests/vm/run.sh --kill-after) once the
# guest has logged a random number of commits, plus a random fraction of a second: a power cut
# that loses the guest's page cache and whatever the emulated drives had not yet been handed.
# Each next boot gets the previous boot's log (--file), checks it with `crashload verify`
# (synced atoms exact or legitimately evicted, unsynced ones exact or gone, never wrong bytes;
# eviction whole-segment and FIFO; old ids stay gone), then runs the load again until the next
# cut.  After CUTS cuts a last boot only verifies.
# QEMU's drives (cache=unsafe) keep every write QEMU was handed: that cut loses the guest's page
# cache and queued requests, never a drive's volatile cache.
# dmlog: N crash points, at most 50 per boot, that lose exactly that.  Each boot
# (tests/vm/guest/dmlog.sh) records crashload on two regions behind dm-log-writes, then
# rebuilds crash states from the logs (tests/crash/lwreplay.c: both drives cut at one instant,
# every flushed or FUA write kept, and for one drive a random subset of the writes its cache
# held, some torn) and checks each with `crashload verify`.  The drives first hold an older
# space (250 atoms, no wrap), which the recorded run formats over: its tables must never pass
# for the new space's (--no-reformat: blank drives; --reformat, the default, is accepted).
#
# Output: TAP, one line per kill cut (its boot's load and the next boot's verify) and per dmlog
# crash point; the seed first.
# Exit 1 if any cut failed or any boot logged a kernel splat (run.sh's scan, every boot).
# Environment: SCRATCH_CRASH_SEED (RANDOM seed: kill points, nonces, crash points; default
#   fixed), SCRATCH_CRASH_TIMEOUT (wall-clock seconds per boot, default 400; twice that for a
#   dmlog boot),
#   SCRATCH_CRASH_POINTS (default for --points), SCRATCH_CRASH_RECORD (seconds each dmlog boot
#   records, default 20).
# Files: build/crash/<kernel>/ (images, vm work dir, logs/boot-N.out and boot-N.chan,
#   logs/dmlog-N.out).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2

CUTS=25
KERNEL=6.1
MODE=both
POINTS=${SCRATCH_CRASH_POINTS:-}
REFORMAT=250
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL=$2; shift 2 ;;
	--mode) MODE=$2; shift 2 ;;
	--points) POINTS=$2; shift 2 ;;
	--reformat) REFORMAT=250; shift ;;
	--no-reformat) REFORMAT=0; shift ;;
	-h | --help) awk 'NR >= 3 && !/^#/ { exit } NR >= 3 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*[!0-9]* | '') echo "crashtest: unknown argument $1" >&2; exit 2 ;;
	*) CUTS=$1; shift ;;
	esac
done
[ "$CUTS" -ge 1 ] || { echo "crashtest: CUTS must be at least 1" >&2; exit 2; }
case $MODE in
kill | dmlog | both) ;;
*) echo "crashtest: --mode kill, dmlog or both" >&2; exit 2 ;;
esac
[ -n "$POINTS" ] || POINTS=$((2 * CUTS))
case $POINTS in '' | *[!0-9]*) echo "crashtest: bad --points $POINTS" >&2; exit 2 ;; esac
KILL_CUTS=$CUTS
[ "$MODE" != dmlog ] || KILL_CUTS=0
[ "$MODE" != kill ] || POINTS=0

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
BIN=$ROOT/build/crash/bin
export SCRATCH_VM_DIR=$W/vm
export SCRATCH_VM_TESTS=$BIN	# only crashload goes to /tests
export SCRATCH_VM_BENCH=$W/nobench
rm -rf "$W/img" "$LOGS"
mkdir -p "$LOGS" "$SCRATCH_VM_BENCH" "$SCRATCH_VM_DIR"

# ---- crashload, dmctl, lwreplay: built by make (mk/tests.mk), static, for the guest ------------
for tool in crashload dmctl lwreplay; do
	[ -x "$BIN/$tool" ] || { echo "not ok - crashtest: $BIN/$tool not built (make tests)"; exit 1; }
done

echo "TAP version 13"
echo "1..$((KILL_CUTS + POINTS))"
echo "# crashtest: $KILL_CUTS power cuts by SIGKILL, $POINTS crash points replayed from" \
	"dm-log-writes, kernel $KERNEL, seed $SEED (set SCRATCH_CRASH_SEED to change)"
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
[ "$KILL_CUTS" -gt 0 ] || CUTS=-1	# no kill boots at all
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

# ---- dmlog: crash states rebuilt from dm-log-writes logs ---------------------------------------
# Each boot: RECORD seconds of crashload on two 32 MiB regions behind dm-log-writes (logs of
# 1 GiB each on the same drive), then up to PER_BOOT crash points, each replayed and verified
# in about a second (tests/vm/guest/dmlog.sh).
PER_BOOT=50
RECORD=${SCRATCH_CRASH_RECORD:-20}
DM_REGION_MIB=32
DM_LOG_MIB=1024
tapn=$KILL_CUTS
dm_boots=0
dm_ok=0
dm_failed=0
dm_unflushed=0
dm_synced=0
left=$POINTS
while [ "$left" -gt 0 ]; do
	dm_boots=$((dm_boots + 1))
	db=$dm_boots
	np=$((left < PER_BOOT ? left : PER_BOOT))
	left=$((left - np))
	nonce=$(printf '%04x%04x%04x%04x' "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM")
	pseed=$((RANDOM * 32768 + RANDOM))
	out=$LOGS/dmlog-$db.out
	echo "# dmlog boot $db: ${RECORD}s of load, then $np crash points (replay seed $pseed)"
	tb=$(date +%s)
	rc=0
	tests/vm/run.sh --kernel "$KERNEL" --drives 1 \
		--drive-size "$((4 * DM_REGION_MIB + 2 * DM_LOG_MIB + 64))M" --mem 1G --timeout "$((2 * TMO))" \
		-- dmlog --points "$np" --seconds "$RECORD" --seed "$pseed" --nonce "$nonce" \
		--region-mib "$DM_REGION_MIB" --log-mib "$DM_LOG_MIB" --reformat "$REFORMAT" \
		>"$out" 2>&1 || rc=$?
	cp "$SCRATCH_VM_DIR"/*-dmlog.console.log "$LOGS/dmlog-$db.console" 2>/dev/null || true
	grep -a '^# dmlog: \(log\|recorded\|[0-9]* crash\)' "$out"
	# One TAP line per crash point, renumbered, with the guest's details of failures.
	got=0
	bfail=0
	while IFS= read -r l; do
		case $l in
		'ok '[0-9]*' - dmlog point '*)
			tapn=$((tapn + 1))
			got=$((got + 1))
			dm_ok=$((dm_ok + 1))
			case $l in *" kept="[1-9]*) dm_unflushed=$((dm_unflushed + 1)) ;; esac
			if [[ $l =~ -\>\ ([0-9]+)\ synced\ atoms\ exact ]]; then
				dm_synced=$((dm_synced + BASH_REMATCH[1]))
			fi
			echo "ok $tapn - dmlog boot $db ${l#ok [0-9]* - dmlog }"
			;;
		'not ok '[0-9]*' - dmlog point '*)
			tapn=$((tapn + 1))
			got=$((got + 1))
			dm_failed=$((dm_failed + 1))
			bfail=$((bfail + 1))
			echo "not ok $tapn - dmlog boot $db ${l#not ok [0-9]* - dmlog }"
			;;
		'#   '*) echo "$l" ;;
		esac
	done < <(grep -aE '^(not )?ok [0-9]+ - dmlog point |^#   ' "$out")
	if [ "$got" -lt "$np" ] || { [ "$rc" != 0 ] && [ "$bfail" = 0 ]; }; then
		reason=$(grep -a '^not ok - ' "$out" | head -n 3 | tr '\n' ';')
		reason=${reason:-run.sh exit $rc}
		if [ "$got" -ge "$np" ]; then
			# Every point passed, but the boot did not (a kernel splat, a timeout...).
			tapn=$((tapn + 1))
			echo "not ok $tapn - dmlog boot $db: $reason"
		fi
		for ((k = got + 1; k <= np; k++)); do
			tapn=$((tapn + 1))
			dm_failed=$((dm_failed + 1))
			echo "not ok $tapn - dmlog boot $db point $k: not run: $reason"
		done
		echo "#   logs: ${out#"$ROOT"/}, dmlog-$db.console"
		failed=1
	fi
	[ "$bfail" = 0 ] || failed=1
	echo "# dmlog boot $db: $(($(date +%s) - tb))s, run.sh exit $rc"
done

splats=$(grep -alE '^not ok - kernel log' "$LOGS"/boot-*.out "$LOGS"/dmlog-*.out 2>/dev/null |
	wc -l)
[ "$KILL_CUTS" = 0 ] ||
	echo "# crashtest: $KILL_CUTS SIGKILL cuts, verified $total_synced synced atoms exact," \
		"$total_unsynced unsynced exact, $total_gone gone; $qemu_retries boot(s) retried after" \
		"QEMU crashed before the guest started"
[ "$POINTS" = 0 ] ||
	echo "# crashtest: $POINTS dm-log-writes crash points in $dm_boots boot(s): $dm_ok ok," \
		"$dm_failed failed; $dm_unflushed with writes from a drive's volatile cache kept;" \
		"$dm_synced synced atoms verified exact"
echo "# crashtest: seed $SEED, $(($(date +%s) - T0))s, $splats boot(s) with kernel splats"
# What the verifies found, by kind (one incident may show in several lines).
grep -ahE '^(#   )?# FAIL:' "$LOGS"/boot-[0-9]*.out "$LOGS"/dmlog-[0-9]*.out 2>/dev/null |
	sed 's/^#   //' | awk '
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
