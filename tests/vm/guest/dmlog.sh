#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest `dmlog` mode: power cuts that really drop unflushed writes, replayed from a dm-log-writes log.
#
# Usage: /guest/dmlog.sh [--points N] [--seconds S] [--seed N] [--nonce HEX] [--region-mib R]
#                        [--log-mib L] [--reformat A] [-- CRASHLOAD-OPTIONS...]
#
# One boot records and then checks many crash states (tests/crashtest.sh drives it):
#  1. Drive 0 is cut into slices (dm-linear): per region i (two of R MiB, default 32) a data
#     slice d<i>, a work slice w<i> and a log l<i> (L MiB, default 1024), d<i> zeroed, and
#     lw<i> = dm-log-writes(d<i>, l<i>), which logs every write, flush and FUA to l<i>.
#     With --reformat A, d0 + d1 first hold an older space (crashload run directly on them until
#     A atoms), so the recorded run formats over it, as a worker that reformats its drives at
#     every start does; the base images start as copies of that.
#  2. `crashload run --format --dm-mark lw0,lw1` runs S seconds (default 20) on lw0 + lw1 (a
#     two-region space of 1 MiB segments: writes, syncs, evictions, readers), then detaches.
#     After every output line and every few ms it sends a mark group into the logs.
#  3. N crash points (default 20): random mark groups, in increasing order.  `lwreplay point`
#     brings the images /tmp/base<i> (tmpfs, zeros at first) to the cut (one instant for both
#     drives: every write flushed or FUA before it), writes them to w0 + w1 and, 3 times in 4,
#     adds for one drive a random subset of the writes its volatile cache held (its next flush's
#     group), some torn at sector or 4 KiB granularity.
#  4. `crashload verify` reattaches w0 + w1 and checks them against the output lines printed
#     before the cut: every atom before the last SYNCED among them exact, every other atom
#     exact or gone, never other bytes, eviction whole-segment and FIFO, and writing, syncing and
#     evicting go on.
# Output: one TAP line per crash point (`ok K - dmlog point K: ...`), summary comments; exit 1
# if any point failed or the recording failed.
# shellcheck shell=dash

# shellcheck source=tests/vm/guest/lib.sh
. /guest/lib.sh

points=20
seconds=20
seed=1
nonce=0123456789abcdef
reformat=0
R=32
L=1024
while [ $# -gt 0 ]; do
	case $1 in
	--points) points=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--nonce) nonce=$2; shift 2 ;;
	--region-mib) R=$2; shift 2 ;;
	--log-mib) L=$2; shift 2 ;;
	--reformat) reformat=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "not ok - dmlog: unknown argument $1"; exit 1 ;;
	esac
done

CL=/tests/crashload
DMCTL=/tests/dmctl
LWR=/tests/lwreplay
for x in $CL $DMCTL $LWR; do
	[ -x "$x" ] || { echo "not ok - dmlog: $x missing (tests/crashtest.sh builds it)"; exit 1; }
done
sc_dm_load || { echo "not ok - dmlog: device-mapper modules"; exit 1; }
drive=$(sc_drive 0) || { echo "not ok - dmlog: no NVMe drive"; exit 1; }
need=$((4 * R + 2 * L))
have=$(($(blockdev --getsize64 "$drive") >> 20))
[ "$have" -ge "$need" ] || { echo "not ok - dmlog: $drive has $have MiB, $need needed"; exit 1; }

# slice NAME OFFSET_MIB LEN_MIB: a dm-linear slice of the drive, /dev/mapper/NAME.
slice() {
	$DMCTL create "$1" "0 $(($3 * 2048)) linear $drive $(($2 * 2048))" ||
		{ echo "not ok - dmlog: dm-linear $1"; exit 1; }
}
slice d0 0 "$R"
slice d1 "$R" "$R"
slice w0 $((2 * R)) "$R"
slice w1 $((3 * R)) "$R"
slice l0 $((4 * R)) "$L"
slice l1 $((4 * R + L)) "$L"
# The logs replay onto the state they started from: zeros (the base images start as zeros).
for x in d0 d1; do
	$LWR zero /dev/mapper/$x || { echo "not ok - dmlog: zeroing $x"; exit 1; }
done
if [ "$reformat" -gt 0 ]; then
	echo "# dmlog: an older space first: $reformat atoms of crashload on the unlogged regions"
	$CL run --format --nonce fedcba9876543210 --offset-mib 0 --region-mib "$R" \
		--atoms "$reformat" "$@" /dev/mapper/d0 /dev/mapper/d1 >/tmp/old.chan 2>&1 ||
		{ echo "not ok - dmlog: the older space"; tail -n 5 /tmp/old.chan; exit 1; }
	grep -a '^# run:' /tmp/old.chan
	for i in 0 1; do
		dd if=/dev/mapper/d$i of=/tmp/base$i bs=1M 2>/dev/null ||
			{ echo "not ok - dmlog: copying d$i"; exit 1; }
	done
fi
for i in 0 1; do
	$DMCTL create lw$i "0 $((R * 2048)) log-writes /dev/mapper/d$i /dev/mapper/l$i" ||
		{ echo "not ok - dmlog: dm-log-writes lw$i"; exit 1; }
done

# ---- record ------------------------------------------------------------------------------
echo "# dmlog: recording ${seconds}s of crashload on two logged regions of $R MiB ($drive)"
t0=$(sc_now)
sc_test_start dmlog-run
$CL run --format --boot 1 --nonce "$nonce" --offset-mib 0 --region-mib "$R" \
	--seconds "$seconds" --dm-mark lw0,lw1 "$@" /dev/mapper/lw0 /dev/mapper/lw1 \
	>/tmp/run.chan 2>/tmp/run.err
rc=$?
sc_test_end dmlog-run
grep -a '^# stats' /tmp/run.chan | tail -n 1
grep -a '^# run:' /tmp/run.chan
if [ $rc -ne 0 ]; then
	echo "not ok - dmlog: crashload run exit $rc"
	grep -a '^not ok' /tmp/run.chan
	sed 's/^/# stderr: /' /tmp/run.err | head -n 20
	exit 1
fi
for i in 0 1; do
	st=$($DMCTL status lw$i)
	case $st in
	*logging_disabled*) echo "not ok - dmlog: lw$i stopped logging (log full?): $st"; exit 1 ;;
	esac
done
# Removing the targets writes the rest of the logs (and their final super).
$DMCTL remove lw0 lw1 || { echo "not ok - dmlog: removing the log-writes targets"; exit 1; }
ngroups=
for i in 0 1; do
	s=$($LWR index /dev/mapper/l$i /tmp/idx$i) || { echo "not ok - dmlog: index of l$i"; exit 1; }
	echo "# dmlog: log $i: $s"
	g=$(echo "$s" | sed -n 's/^groups=\([0-9]*\) .*/\1/p')
	[ -n "$ngroups" ] && [ "$ngroups" -le "${g:-0}" ] || ngroups=${g:-0}
done
[ "$ngroups" -gt 0 ] || { echo "not ok - dmlog: no marks in the logs"; exit 1; }
nlines=$(grep -c '' /tmp/run.chan)
echo "# dmlog: recorded $nlines output lines in $(($(sc_now) - t0))s;" \
	"$(grep -c '^COMMIT ' /tmp/run.chan) commits, $(grep -c '^SYNCED ' /tmp/run.chan) syncs"

# ---- replay and check -------------------------------------------------------------------------
# N distinct mark groups, ascending: the instants of the cuts.
awk -v s="$seed" -v p="$points" -v n="$ngroups" 'BEGIN {
	srand(s)
	if (p > n) p = n
	while (c < p) { x = int(rand() * n) + 1; if (!(x in a)) { a[x] = 1; c++ } }
	for (x in a) print x
}' | sort -n >/tmp/points
points=$(grep -c '' /tmp/points)
echo "1..$points"
last=0
k=0
failed=0
skipped=0
t0=$(sc_now)
while read -r n; do
	k=$((k + 1))
	# The cut may have moved past this group (see lwreplay: cuts need quiet marks).
	[ "$n" -gt "$last" ] || n=$((last + 1))
	sc_test_start "dmlog-point-$k"
	rm -f /tmp/point.out
	tp=$(cut -d' ' -f1 /proc/uptime)
	ok=1
	lrc=0
	out=
	if [ "$n" -le "$ngroups" ]; then
		out=$($LWR point /tmp/lw.state "$n" $((seed * 1000 + k)) \
			/dev/mapper/l0 /tmp/idx0 /tmp/base0 /dev/mapper/w0 \
			/dev/mapper/l1 /tmp/idx1 /tmp/base1 /dev/mapper/w1 </dev/null 2>/tmp/lwreplay.err)
		lrc=$?
	fi
	g=$(echo "$out" | sed -n 's/^group=\([0-9][0-9]*\) .*/\1/p')
	line=$(echo "$out" | sed -n 's/^group=[0-9]* line=\([0-9][0-9]*\) .*/\1/p')
	if [ "$n" -gt "$ngroups" ] || [ $lrc -eq 3 ]; then
		# Every mark group left has a flush between its marks (rare): no cut to make.
		ok=skip
		desc="# SKIP no usable cut at or after mark group $n of $ngroups"
	elif [ $lrc -ne 0 ] || [ -z "$g" ] || [ -z "$line" ]; then
		ok=0
		desc="cut at mark group $n/$ngroups: replay failed: $(cat /tmp/lwreplay.err 2>/dev/null)"
		desc="$desc $out"
	else
		[ "$g" = "$n" ] || skipped=$((skipped + 1))
		last=$g
		what=$(sed -n "${line}p" /tmp/run.chan | cut -d' ' -f1)
		synced=$(head -n "$line" /tmp/run.chan | grep -a '^SYNCED ' | tail -n 1 | cut -d' ' -f2)
		desc="cut at group $g/$ngroups, after line $line/$nlines ($what, last SYNCED"
		desc="$desc ${synced:-none}): ${out#group=* line=* }"
		tv=$(cut -d' ' -f1 /proc/uptime)
		head -n "$line" /tmp/run.chan >/tmp/point.log
		$CL verify --boot "$k" --nonce "$nonce" --log /tmp/point.log --offset-mib 0 \
			--region-mib "$R" "$@" /dev/mapper/w0 /dev/mapper/w1 </dev/null >/tmp/point.out 2>&1
		vrc=$?
		v=$(grep -a -E '^(not )?ok - crash verify' /tmp/point.out | tail -n 1)
		[ $vrc -eq 0 ] && [ "${v#ok - }" != "$v" ] || ok=0
		te=$(cut -d' ' -f1 /proc/uptime)
		desc="$desc -> ${v#*crash verify: }; replay"
		desc="$desc $(echo "$tp $tv $te" | awk '{ printf "%.1fs, verify %.1fs", $2 - $1, $3 - $2 }')"
	fi
	sc_test_end "dmlog-point-$k"
	if [ $ok = skip ]; then
		echo "ok $k - dmlog point $k $desc"
		last=$ngroups
	elif [ $ok = 1 ]; then
		echo "ok $k - dmlog point $k: $desc"
	else
		failed=$((failed + 1))
		echo "not ok $k - dmlog point $k: $desc"
		grep -a -E '^# FAIL|^not ok|^# log' /tmp/point.out 2>/dev/null | head -n 20 | sed 's/^/#   /'
	fi
done </tmp/points
echo "# dmlog: $points crash points checked in $(($(sc_now) - t0))s, $failed failed;" \
	"$skipped moved to a later mark group (a flush between the marks of a group)"
[ $failed -eq 0 ]
