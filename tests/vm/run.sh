#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a QEMU (TCG) test VM with NVMe drives and scratch.ko, stream a guest mode script's output, check the kernel log.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: tests/vm/run.sh [options] [--] MODE [ARGS...]
  MODE                 guest script /guest/MODE.sh (check, demo, bench); ARGS are passed to it
  --kernel 6.1|6.12|rt|debug|KVER  guest kernel: newest /boot/vmlinuz-<series>.*-amd64, Debian's
                       6.1 PREEMPT_RT kernel, the project's debug kernel (scripts/debug-kernel.sh:
                       KASAN, lockdep, kmemleak, fault injection), or an exact KVER (default 6.1)
  --module PATH        scratch.ko to load (default kmod/scratch.ko for 6.1, build/k6.12/kmod/scratch.ko for 6.12)
  --tests DIR          directory whose executables become /tests (default build/tests; env SCRATCH_VM_TESTS)
  --drives N           number of emulated NVMe drives, serials sc0..sc<N-1> (default 2)
  --drive-size SIZE    size of each fresh sparse raw image, truncate(1) syntax (default 1G)
  --mem SIZE           guest memory (default 2G, 3G with --bench)
  --cpus N             guest CPUs (default 2)
  --timeout SEC        wall-clock limit for the whole VM run, then QEMU is killed (default 1500)
  --test-timeout SEC   per-program timeout inside the guest (sc_timeout=, default 600)
  --append STRING      extra kernel command line
  --bench              benchmark VM: 3G memory unless --mem, drive cache=writeback (flushes reach the host)
  --keep               keep the drive images after the run
  --images DIR         boot on the images DIR/nvme<i>.img, creating missing ones (sparse,
                       --drive-size); they are kept, whatever state the guest left them in
  --reuse-images       the same with the default image names in the work dir
  --file PATH          make a host file readable in the guest as /sc_files/<basename> (repeatable)
  --kill-after SEC     power cut: SIGKILL QEMU SEC seconds (fractions allowed) after the kill
                       clock starts, which is when the test channel shows its first line, or
                       with --kill-lines N, its N-th line matching --kill-match REGEX
                       (grep -E, default '^COMMIT '); a missing SCRATCH-EXIT is then no failure
  --kill-lines N       see --kill-after
  --kill-match REGEX   see --kill-after
  --hotplug            drives behind PCIe root ports (hot-unpluggable, QEMU ids nvme<i>) and a
                       monitor the guest drives: a test channel line "# vm-monitor: CMD" sends
                       CMD to QEMU's human monitor, with @IMG<i>@ replaced by drive i's image
                       path; the guest sees SCRATCH_VM_HOTPLUG=1
Environment: SCRATCH_VM_KVM=1 (use KVM instead of TCG), SCRATCH_VM_DIR (work dir, default build/vm),
  SCRATCH_VM_MODULE (default for --module), SCRATCH_VM_TESTS, SCRATCH_VM_BENCH, SCRATCH_VM_TOOLS
  (see mkinitramfs.sh).
Output: the guest's test channel on stdout, live. Kernel console: <vmdir>/<kver>-<mode>.console.log.
Exit: the guest's SCRATCH-EXIT code; 1 (with a `not ok` line) if it is missing, or on kernel splats.
  After a power cut (--kill-after): 1 if the test channel has a `not ok` line or the kernel log
  a splat, else 0 (or the SCRATCH-EXIT code if the guest finished before the cut).
EOF
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

KERNEL=6.1
MODULE=${SCRATCH_VM_MODULE:-}
DRIVES=2
DSIZE=1G
MEM=
CPUS=2
TMO=1500
TEST_TMO=
EXTRA_APPEND=
BENCH=0
KEEP=0
IMAGES=
REUSE=0
FILES=()
KILL_AFTER=
KILL_LINES=0
KILL_MATCH='^COMMIT '
HOTPLUG=0
ARGV=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL=$2; shift 2 ;;
	--module) MODULE=$2; shift 2 ;;
	--tests) export SCRATCH_VM_TESTS=$2; shift 2 ;;
	--drives) DRIVES=$2; shift 2 ;;
	--drive-size) DSIZE=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--cpus) CPUS=$2; shift 2 ;;
	--timeout) TMO=$2; shift 2 ;;
	--test-timeout) TEST_TMO=$2; shift 2 ;;
	--append) EXTRA_APPEND=$2; shift 2 ;;
	--bench) BENCH=1; shift ;;
	--keep) KEEP=1; shift ;;
	--images) IMAGES=$2; REUSE=1; shift 2 ;;
	--reuse-images) REUSE=1; shift ;;
	--file) FILES+=("$2"); shift 2 ;;
	--kill-after) KILL_AFTER=$2; shift 2 ;;
	--kill-lines) KILL_LINES=$2; shift 2 ;;
	--kill-match) KILL_MATCH=$2; shift 2 ;;
	--hotplug) HOTPLUG=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
MODE=$1
shift
ARGS=("$@")

vmfail() { # vmfail REASON: a counted TAP failure, exit 1
	echo "not ok - vm: $*"
	exit 1
}

case $MODE in '' | *[!A-Za-z0-9_-]*) vmfail "bad mode '$MODE'" ;; esac
[ -f "$HERE/guest/$MODE.sh" ] || vmfail "no guest script tests/vm/guest/$MODE.sh"
case $DRIVES in '' | *[!0-9]*) vmfail "bad --drives $DRIVES" ;; esac
case $TMO in '' | *[!0-9]*) vmfail "bad --timeout $TMO" ;; esac
[ -n "$MEM" ] || { [ $BENCH = 1 ] && MEM=3G || MEM=2G; }
if [ -n "$KILL_AFTER" ]; then
	[[ $KILL_AFTER =~ ^[0-9]+(\.[0-9]+)?$ ]] || vmfail "bad --kill-after $KILL_AFTER"
fi
case $KILL_LINES in '' | *[!0-9]*) vmfail "bad --kill-lines $KILL_LINES" ;; esac
for f in ${FILES[@]+"${FILES[@]}"}; do
	{ [ -f "$f" ] && [ -r "$f" ]; } || vmfail "--file $f: not a readable file"
	case ${f##*/} in '' | *[!A-Za-z0-9._-]*) vmfail "--file $f: name must be [A-Za-z0-9._-]" ;; esac
done

# ---- kernel and module -------------------------------------------------------------------
# MODDIR: where the guest's driver modules come from (mkinitramfs.sh).
MODDIR=
case $KERNEL in
6.1 | 6.12)
	# Debian's generic kernels of that series (not the -rt one).
	vmlinuz=$(printf '%s\n' /boot/vmlinuz-"$KERNEL".*-amd64 | grep -v -e '\*' -e '-rt-amd64$' |
		sort -V | tail -n 1) || true
	[ -n "$vmlinuz" ] || vmfail "no /boot/vmlinuz-$KERNEL.*-amd64 (run make deps)"
	kver=${vmlinuz#/boot/vmlinuz-}
	series=$KERNEL
	;;
rt)
	vmlinuz=$(printf '%s\n' /boot/vmlinuz-6.1.*-rt-amd64 | grep -v '\*' | sort -V | tail -n 1) || true
	[ -n "$vmlinuz" ] || vmfail "no /boot/vmlinuz-6.1.*-rt-amd64 (run make deps)"
	kver=${vmlinuz#/boot/vmlinuz-}
	series=rt
	;;
debug)
	kdir=$("$ROOT/scripts/debug-kernel.sh" --dir --no-build) ||
		vmfail "the debug kernel is not built (scripts/debug-kernel.sh, or make check)"
	vmlinuz=$kdir/bzImage
	kver=$(cat "$kdir/kver")
	MODDIR=$kdir/root/lib/modules/$kver
	series=debug
	;;
*)
	kver=$KERNEL
	vmlinuz=/boot/vmlinuz-$kver
	series=$(echo "$kver" | cut -d. -f1,2)
	;;
esac
[ -r "$vmlinuz" ] || vmfail "kernel image $vmlinuz not readable"
if [ -z "$MODULE" ]; then
	case $series in
	6.12) MODULE=$ROOT/build/k6.12/kmod/scratch.ko ;;
	rt) MODULE=$ROOT/build/krt/kmod/scratch.ko ;;
	debug) MODULE=$ROOT/build/kdebug/kmod/scratch.ko ;;
	*) MODULE=$ROOT/kmod/scratch.ko ;;
	esac
fi
[ -f "$MODULE" ] || vmfail "module $MODULE not built (make module / module-6.12 / module-rt / module-debug)"
vermagic=$(modinfo -F vermagic "$MODULE" 2>/dev/null | cut -d' ' -f1) || true
[ -z "$vermagic" ] || [ "$vermagic" = "$kver" ] ||
	vmfail "$MODULE was built for $vermagic, not for $kver"
export SCRATCH_VM_MODDIR=${MODDIR:-/lib/modules/$kver}
command -v qemu-system-x86_64 >/dev/null || vmfail "qemu-system-x86_64 not installed (make deps)"

VMDIR=${SCRATCH_VM_DIR:-$ROOT/build/vm}
mkdir -p "$VMDIR"
tag=$kver-$MODE
console=$VMDIR/$tag.console.log
testlog=$VMDIR/$tag.test.log
qlog=$VMDIR/$tag.qemu.log
base_initrd=$VMDIR/initramfs-$kver.cpio.gz

# One run per kernel+mode at a time: they share log and image names.
exec 9>"$VMDIR/$tag.lock"
flock -n 9 || { echo "# vm: waiting for another $tag run to finish" >&2; flock 9; }

"$HERE/mkinitramfs.sh" "$kver" "$MODULE" "$base_initrd" >&2 || vmfail "mkinitramfs failed"

# ---- per-run state (removed on exit) -----------------------------------------------------
qpid=
spid=
kpid=
hpid=
mpid=
images=()
run_initrd=
# shellcheck disable=SC2317 # invoked by the traps
cleanup() {
	local i
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM -- -"$qpid" 2>/dev/null || kill -TERM "$qpid" 2>/dev/null || true
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 -- -"$qpid" 2>/dev/null || kill -0 "$qpid" 2>/dev/null || break
			sleep 0.3
		done
		kill -KILL -- -"$qpid" 2>/dev/null || true
		kill -KILL "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	fi
	for i in $kpid $hpid $mpid; do
		kill "$i" 2>/dev/null || true
		wait "$i" 2>/dev/null || true
	done
	[ -z "$run_initrd" ] || rm -f "$run_initrd"
	[ "$KEEP" = 1 ] || [ ${#images[@]} -eq 0 ] || rm -f "${images[@]}"
}
trap cleanup EXIT
trap 'echo "not ok - vm: interrupted"; exit 130' INT
trap 'echo "not ok - vm: terminated"; exit 143' TERM HUP

initrd=$base_initrd
if [ ${#ARGS[@]} -gt 0 ] || [ ${#FILES[@]} -gt 0 ]; then
	# Arguments travel as a second (concatenated) initramfs segment: /sc_args, one per line;
	# --file copies go in the same segment, under /sc_files/.
	run_initrd=$VMDIR/$tag.initrd
	argdir=$(mktemp -d "${TMPDIR:-/tmp}/scratch-args.XXXXXX")
	members=()
	if [ ${#ARGS[@]} -gt 0 ]; then
		printf '%s\n' "${ARGS[@]}" >"$argdir/sc_args"
		members+=(sc_args)
	fi
	if [ ${#FILES[@]} -gt 0 ]; then
		mkdir "$argdir/sc_files"
		members+=(sc_files)
		for f in "${FILES[@]}"; do
			cp "$f" "$argdir/sc_files/${f##*/}"
			members+=("sc_files/${f##*/}")
		done
	fi
	{
		cat "$base_initrd"
		(cd "$argdir" && printf '%s\n' "${members[@]}" | cpio -o -H newc -R 0:0 --quiet) |
			gzip -1
	} >"$run_initrd"
	rm -rf "$argdir"
	initrd=$run_initrd
fi

# cache=unsafe (and writeback): a guest write is in the host's page cache once QEMU has
# handled it.  So a SIGKILL of QEMU (--kill-after) loses exactly what the guest had not yet
# handed to the emulated drive (its own page cache, requests still queued): the power cut the
# crash test wants.  It does not model a drive losing its volatile cache (flushes are no-ops).
cache=unsafe
[ $BENCH = 1 ] && cache=writeback
[ -z "$IMAGES" ] || mkdir -p "$IMAGES"
drive_opts=()
imgs=()
for ((i = 0; i < DRIVES; i++)); do
	if [ "$REUSE" = 1 ]; then
		# Kept images: created when missing, never removed.
		img=$VMDIR/$tag-nvme$i.img
		[ -z "$IMAGES" ] || img=$IMAGES/nvme$i.img
		[ -f "$img" ] || truncate -s "$DSIZE" "$img"
	else
		img=$VMDIR/$tag-nvme$i.img
		rm -f "$img"
		truncate -s "$DSIZE" "$img"
		images+=("$img")
	fi
	imgs+=("$img")
	drive_opts+=(-drive "file=$img,if=none,id=d$i,format=raw,cache=$cache")
	if [ "$HOTPLUG" = 1 ]; then
		# Devices on the root complex itself cannot be unplugged: one root port each.
		drive_opts+=(-device "pcie-root-port,id=rp$i,chassis=$((i + 1)),slot=$((i + 1))"
			-device "nvme,serial=sc$i,drive=d$i,id=nvme$i,bus=rp$i")
	else
		drive_opts+=(-device "nvme,serial=sc$i,drive=d$i")
	fi
done

append="console=ttyS0,115200 oops=panic panic=-1 panic_on_warn=0 softlockup_panic=0 loglevel=4"
append+=" sc_mode=$MODE sc_drives=$DRIVES"
[ -z "$TEST_TMO" ] || append+=" sc_timeout=$TEST_TMO"
[ -z "$EXTRA_APPEND" ] || append+=" $EXTRA_APPEND"
[ "$HOTPLUG" = 0 ] || append+=" SCRATCH_VM_HOTPLUG=1"

if [ "${SCRATCH_VM_KVM:-0}" = 1 ]; then
	accel=(-accel kvm -cpu host)
else
	accel=(-accel tcg -cpu max)
fi
qemu=(qemu-system-x86_64 "${accel[@]}" -machine q35 -smp "$CPUS" -m "$MEM"
	-nodefaults -display none -no-reboot
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append"
	-serial "file:$console" -serial "file:$testlog"
	"${drive_opts[@]}")
monitor=$VMDIR/$tag.mon
if [ "$HOTPLUG" = 1 ]; then
	# QEMU opens both FIFOs read-write: neither side blocks on open.
	rm -f "$monitor.in" "$monitor.out"
	mkfifo "$monitor.in" "$monitor.out"
	qemu+=(-monitor "pipe:$monitor")
fi

killflag=$VMDIR/$tag.killed
rm -f "$console" "$testlog" "$qlog" "$killflag"
: >"$testlog"
echo "# vm: $kver, mode $MODE, $DRIVES x $DSIZE NVMe, ${MEM} RAM, $CPUS cpus, ${accel[1]}, timeout ${TMO}s"
t0=$(date +%s)
# timeout(1) runs QEMU in a new process group led by $qpid: cleanup kills that whole group.
timeout -k 10 "$TMO" "${qemu[@]}" </dev/null >"$qlog" 2>&1 &
qpid=$!
if [ -n "$KILL_AFTER" ]; then
	# Power cut: wait for the trigger on the test channel, then SIGKILL the whole group
	# (timeout and QEMU) at once; QEMU gets no chance to write anything more.
	(
		trap - EXIT INT TERM HUP
		while kill -0 "$qpid" 2>/dev/null; do
			if [ "$KILL_LINES" -gt 0 ]; then
				n=$(grep -acE -- "$KILL_MATCH" "$testlog" 2>/dev/null) || true
				[ "${n:-0}" -ge "$KILL_LINES" ] && break
			elif [ -s "$testlog" ]; then
				break
			fi
			sleep 0.1
		done
		kill -0 "$qpid" 2>/dev/null || exit 0
		sleep "$KILL_AFTER"
		kill -0 "$qpid" 2>/dev/null || exit 0
		date +%s.%N >"$killflag"
		kill -KILL -- -"$qpid" 2>/dev/null || kill -KILL "$qpid" 2>/dev/null || true
	) </dev/null >/dev/null 2>&1 &
	kpid=$!
fi
if [ "$HOTPLUG" = 1 ]; then
	# The monitor's replies go to a log; requests come from the test channel.
	cat "$monitor.out" >"$VMDIR/$tag.monitor.log" 2>/dev/null &
	mpid=$!
	(
		trap - EXIT INT TERM HUP
		done_n=0
		while kill -0 "$qpid" 2>/dev/null; do
			mapfile -t cmds < <(grep -a '^# vm-monitor: ' "$testlog" 2>/dev/null | sed 's/\r$//')
			while [ "$done_n" -lt "${#cmds[@]}" ]; do
				cmd=${cmds[$done_n]#\# vm-monitor: }
				for ((j = 0; j < ${#imgs[@]}; j++)); do
					cmd=${cmd//@IMG$j@/${imgs[$j]}}
				done
				echo "$cmd" >>"$VMDIR/$tag.monitor.log"
				echo "$cmd" >"$monitor.in"
				done_n=$((done_n + 1))
			done
			sleep 0.2
		done
	) </dev/null >/dev/null 2>&1 &
	hpid=$!
fi
# Live stream of the test channel until QEMU is gone (CRs from a cooked tty removed).
tail -n +1 -s 0.2 -F --pid="$qpid" "$testlog" 2>/dev/null | sed -u 's/\r$//' &
spid=$!
# (stderr: no "Killed" job notice from bash after a power cut; the verdict below says why)
{ wait "$spid" || true; } 2>/dev/null
spid=
# A last line cut short (power cut, crash) must not swallow the host's lines below.
[ ! -s "$testlog" ] || [ -z "$(tail -c 1 "$testlog")" ] || echo
qrc=0
{ wait "$qpid"; } 2>/dev/null || qrc=$?
qpid=
if [ -n "$kpid" ]; then
	kill "$kpid" 2>/dev/null || true
	wait "$kpid" 2>/dev/null || true
	kpid=
fi
for p in $hpid $mpid; do
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
done
hpid=
mpid=
[ "$HOTPLUG" = 0 ] || rm -f "$monitor.in" "$monitor.out"
t1=$(date +%s)
killed=0
if [ -f "$killflag" ]; then
	killed=1
	echo "# vm: power cut: QEMU SIGKILLed ${KILL_AFTER}s after the trigger" \
		"(${KILL_LINES} lines matching '$KILL_MATCH')"
fi
echo "# vm: QEMU exited ($qrc) after $((t1 - t0))s; kernel console: ${console#"$ROOT"/}"

# ---- verdict -------------------------------------------------------------------------------
status=0
sed -i 's/\r$//' "$console" "$testlog" 2>/dev/null || true
exit_line=$(grep -a '^SCRATCH-EXIT [0-9]*$' "$testlog" | tail -n 1) || true
if [ -n "$exit_line" ]; then
	status=${exit_line#SCRATCH-EXIT }
elif [ "$killed" = 1 ]; then
	# The power cut came first: the guest never got to its exit marker, by design.
	if grep -aq '^not ok' "$testlog"; then
		status=1
	fi
elif [ -z "${SCRATCH_VM_REBOOTED:-}" ] && grep -aq 'Kernel panic' "$console" 2>/dev/null &&
	! grep -aq '^# vm: scratch.ko loaded' "$testlog" && ! grep -aqE '(^|[] ])scratch: ' "$console"; then
	# Debian's kernel died while booting or loading its own drivers, before scratch.ko was
	# loaded: nothing of ours ran (TCG has shown a stray int3 from live code patching once in
	# hundreds of boots). Say so, keep that console log, and boot once more; a second death
	# fails as usual.
	panic=$(grep -a -m1 'Kernel panic' "$console")
	first=$(grep -aE -m1 'BUG:|Oops|general protection fault|Kernel panic' "$console")
	why=${first#*] }
	[ "$first" = "$panic" ] || why+="; ${panic#*] }"
	mv -f "$console" "$console.first-boot"
	echo "# vm: the guest kernel died before scratch.ko was loaded ($why);" \
		"console kept in ${console#"$ROOT"/}.first-boot; booting once more"
	cleanup
	trap - EXIT
	exec env SCRATCH_VM_REBOOTED=1 "$0" "${ARGV[@]}"
else
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		reason="timeout after ${TMO}s, QEMU killed"
	elif panic=$(grep -a -m1 'Kernel panic' "$console" 2>/dev/null); then
		reason="guest kernel panic: ${panic#*] }"
	elif [ "$qrc" != 0 ]; then
		reason="QEMU failed with exit code $qrc"
		sed 's/^/# qemu: /' "$qlog" | tail -n 20
	else
		reason="guest stopped without SCRATCH-EXIT"
	fi
	echo "not ok - vm: $reason"
	echo "# last lines of the kernel console:"
	tail -n 15 "$console" 2>/dev/null | sed 's/^/# console: /'
	status=1
fi

# Kernel splats, attributed to the test whose start/end markers enclose them.
splat_re='BUG:|WARNING:|Oops|general protection fault|Kernel panic|hung_task|blocked for more than|soft lockup|KASAN|UBSAN|possible circular locking|Call Trace:'
if [ -f "$console" ] && grep -a -v 'scratch-test:' "$console" | grep -aqE "$splat_re"; then
	echo "# kernel log splats (${console#"$ROOT"/}):"
	grep -a -v 'scratch-test:' "$console" | grep -aE "$splat_re" | head -n 40 | sed 's/^/# kernel: /'
	first=$(grep -a -v 'scratch-test:' "$console" | grep -anE "$splat_re" | head -n 1 | cut -d: -f1)
	echo "# kernel log after the first splat:"
	grep -a -v 'scratch-test:' "$console" | sed -n "${first},$((first + 30))p" | sed 's/^/# kernel: /'
	awk -v re="$splat_re" '
		{ sub(/\r$/, "") }
		/scratch-test: start / { cur = $0; sub(/.*scratch-test: start /, "", cur); next }
		/scratch-test: end /   { cur = ""; next }
		$0 ~ re {
			key = (cur == "") ? "-" : cur
			if (!(key in seen)) {
				seen[key] = 1
				line = $0
				sub(/^\[[^]]*\] */, "", line)
				where = (cur == "") ? "outside any test" : "in test " cur
				printf "not ok - kernel log: %s (%s)\n", line, where
			}
		}' "$console"
	status=1
fi

exit "$status"
