#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# demo.sh: in the QEMU guest, attach two NVMe drives as one space, write past its capacity so FIFO eviction wraps it, and check what survives.
#
# Run as root by the guest init (`make demo`) with busybox, scratch.ko loaded
# and scratchctl in PATH.  Exit status 0 only if every check passed.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SC=${SCRATCHCTL:-scratchctl}
# Drives in run.sh's -drive order (by serial), whatever order the driver probed them in.
DEV0=${DEMO_DEV0:-$(sc_drive 0 || echo /dev/nvme0n1)}
DEV1=${DEMO_DEV1:-$(sc_drive 1 || echo /dev/nvme1n1)}
SEG=16M
# 1000 pages: four atoms fill a 16 MiB segment's 4079 payload pages, so little
# space is lost to fragmentation and each segment evicts four atoms at once.
ATOM_PAGES=1000
ATOM=$((ATOM_PAGES * 4096))
# Write 1.1x the capacity: enough to wrap around, little enough for TCG.
OVERSHOOT_PCT=110
NEWEST=4	# newest atoms read back and compared
OLDEST=4	# oldest atoms that must be gone
TMP=/tmp/scratch-demo
SP=

say() { echo "demo: $*"; }
step() { echo; echo "== $*"; }

fail() {
	echo "demo: FAIL: $*"
	sc_test_end demo
	# Leave the guest clean so its shutdown does not trip over the space.
	[ -n "$SP" ] && $SC detach "$SP" 2>/dev/null
	exit 1
}

# jnum KEY JSON: a number field of scratchctl's one-line JSON.
jnum() {
	echo "$2" | sed -n "s/.*\"$1\": \([0-9][0-9]*\).*/\1/p"
}

# Call as J=$(status_json) || fail ...: a fail inside $(...) only ends the subshell.
status_json() {
	$SC status "$N" --json
}

mib() {
	echo "$(($1 / 1048576)) MiB"
}

# ---------------------------------------------------------------------------
step "setup"
sc_test_start demo
T0=$(sc_now)
[ -c /dev/scratch-control ] || fail "/dev/scratch-control missing: is scratch.ko loaded?"
for d in "$DEV0" "$DEV1"; do
	[ -b "$d" ] || fail "$d is not a block device"
done
rm -rf "$TMP"
mkdir -p "$TMP" || fail "mkdir $TMP"

step "features"
$SC features || fail "scratchctl features"

step "attach $DEV0 + $DEV1, $SEG segments"
SP=$($SC attach --format --seg-size "$SEG" "$DEV0" "$DEV1") || fail "attach"
case "$SP" in
scratch[0-9]*) ;;
*) fail "attach printed '$SP', not scratchN" ;;
esac
N=${SP#scratch}
say "attached as $SP"
# devtmpfs creates the node; give udev-less userspace a moment if it lags.
t=0
while [ ! -c "/dev/$SP" ] && [ $t -lt 10 ]; do
	sleep 1
	t=$((t + 1))
done
[ -c "/dev/$SP" ] || fail "/dev/$SP did not appear"

$SC status "$N" || fail "scratchctl status $N"

J=$(status_json) || fail "scratchctl status $N --json"
CAP=$(jnum capacity "$J")
if [ -z "$CAP" ] || [ "$CAP" -le 0 ]; then
	fail "no capacity in: $J"
fi
if [ -r "/sys/class/scratch/$SP/capacity" ]; then
	SYSCAP=$(cat "/sys/class/scratch/$SP/capacity")
	[ "$SYSCAP" = "$CAP" ] || fail "capacity: status says $CAP, sysfs says $SYSCAP"
fi
[ "$(jnum evictions "$J")" = 0 ] || fail "a fresh space has evictions: $J"
[ "$(jnum atoms "$J")" = 0 ] || fail "a fresh space has atoms: $J"

# Divide first: busybox arithmetic may be 32-bit.
# shellcheck disable=SC2017
NATOMS=$((CAP / 100 * OVERSHOOT_PCT / ATOM + 1))
[ $NATOMS -gt $((NEWEST + OLDEST)) ] || fail "space too small for the demo ($NATOMS atoms)"
say "capacity $(mib "$CAP"); writing $NATOMS atoms of $((ATOM / 1024)) KiB ($(mib $((NATOMS * ATOM))))"

# ---------------------------------------------------------------------------
step "write until the space wraps around"
# Each atom is one fresh random page followed by a shared random body: unique
# bytes without paying for a megabyte of /dev/urandom per atom under TCG.
dd if=/dev/urandom of="$TMP/body" bs=4096 count=$((ATOM_PAGES - 1)) 2>/dev/null ||
	fail "making the atom body"
: >"$TMP/ids"
: >"$TMP/newest"
i=1
while [ $i -le $NATOMS ]; do
	dd if=/dev/urandom of="$TMP/head" bs=4096 count=1 2>/dev/null || fail "dd head"
	id=$(cat "$TMP/head" "$TMP/body" | $SC put "$N") || fail "put of atom $i"
	[ ${#id} -eq 32 ] || fail "put of atom $i printed '$id'"
	echo "$i $id" >>"$TMP/ids"
	if [ $i -gt $((NATOMS - NEWEST)) ]; then
		sum=$(cat "$TMP/head" "$TMP/body" | md5sum | cut -d' ' -f1)
		echo "$i $id $sum" >>"$TMP/newest"
	fi
	if [ $((i % 16)) -eq 0 ] || [ $i -eq $NATOMS ]; then
		J=$(status_json) || fail "scratchctl status $N --json"
		say "$i/$NATOMS atoms, $(mib $((i * ATOM))) written," \
			"$(jnum atoms "$J") live, $(jnum free_segments "$J") free segments," \
			"$(jnum evictions "$J") evictions"
	fi
	i=$((i + 1))
done

J=$(status_json) || fail "scratchctl status $N --json"
WRITTEN=$((NATOMS * ATOM))
EVICTIONS=$(jnum evictions "$J")
[ $WRITTEN -gt "$CAP" ] || fail "wrote $WRITTEN bytes, not more than the capacity $CAP"
[ "$EVICTIONS" -gt 0 ] || fail "wrote past the capacity but nothing was evicted: $J"
[ "$(jnum bytes_written "$J")" -ge $WRITTEN ] ||
	fail "bytes_written $(jnum bytes_written "$J") < $WRITTEN bytes put"
[ "$(jnum atoms "$J")" -lt $NATOMS ] || fail "all $NATOMS atoms still live after wrapping: $J"
say "wrapped: $(mib $WRITTEN) written into $(mib "$CAP"), $EVICTIONS segments evicted"

# ---------------------------------------------------------------------------
step "read back the newest $NEWEST atoms"
while read -r i id sum; do
	$SC get "$N" "$id" -o "$TMP/out" || fail "get of atom $i ($id)"
	got=$(md5sum <"$TMP/out" | cut -d' ' -f1)
	[ "$got" = "$sum" ] || fail "atom $i ($id): md5 $got, expected $sum"
	say "OK atom $i $id $sum"
done <"$TMP/newest"

step "the oldest $OLDEST atoms are gone"
head -n $OLDEST "$TMP/ids" >"$TMP/oldest"
while read -r i id; do
	if $SC get "$N" "$id" >/dev/null 2>"$TMP/err"; then
		fail "atom $i ($id) is still readable after $EVICTIONS evictions"
	fi
	grep -q missing "$TMP/err" || fail "atom $i ($id): unexpected error: $(cat "$TMP/err")"
	say "gone: atom $i: $(cat "$TMP/err")"
done <"$TMP/oldest"

step "map the newest atom"
read -r i id sum <<EOF
$(tail -n 1 "$TMP/newest")
EOF
if $SC features | grep -qx mmap; then
	$SC get --mmap "$N" "$id" -o "$TMP/out" || fail "get --mmap of atom $i ($id)"
	got=$(md5sum <"$TMP/out" | cut -d' ' -f1)
	[ "$got" = "$sum" ] || fail "mapped atom $i ($id): md5 $got, expected $sum"
	say "OK mapped atom $i $id $sum"
	# The mapping died with the process: nothing may stay pinned.
	J=$(status_json) || fail "scratchctl status $N --json"
	[ "$(jnum pinned_segments "$J")" = 0 ] || fail "segments still pinned after munmap: $J"
else
	say "skip: the module has no mmap feature"
fi
$SC stat "$N" "$id" || fail "stat of atom $i ($id)"

# ---------------------------------------------------------------------------
step "status"
$SC status || fail "scratchctl status"

step "detach"
$SC detach "$SP" || fail "detach $SP"
SP=
rm -rf "$TMP"
sc_test_end demo
echo
say "PASS in $(($(sc_now) - T0)) s"
exit 0
