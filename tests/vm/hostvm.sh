#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The worker-host VM: the 6.1 kernel boots this machine's own Debian root (read-only over
# virtio-9p, under a tmpfs overlay) with systemd as PID 1, our packages installed in it, and
# runs tests/vm/host/test.sh once the boot is up.  Before it, a short busybox boot of the test
# VM (tests/vm/run.sh) formats a space on two drives; the systemd boot presents them in the
# other order, next to a blank drive that spaces.conf lets the unit format and one holding
# ext4.  Prints TAP; exit 1 on any failure or kernel splat.
#
# With --bench, the same boot runs make bench's Python side instead (tests/vm/host/bench.sh):
# a blank drive that spaces.conf formats as the space 'bench' and an ext4 drive of the same
# size and cache mode, for Dask's own spill directory; prints the guest's table and its
# BENCH-JSON line.
#
# Usage: tests/vm/hostvm.sh [--bench]   (make vm-host, make bench; needs make deb, make module
#        and the test VM's tools, make all, first)
set -uo pipefail
BENCH=0
[ "${1:-}" = --bench ] && BENCH=1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 2
KVER=${SCRATCH_HOSTVM_KVER:-$(ls -d /lib/modules/6.1.*-amd64 2>/dev/null | grep -v rt | sort -V | tail -n 1 | xargs -r basename)}
W=build/hostvm
[ $BENCH = 1 ] && W=build/hostbench
M=/lib/modules/$KVER
die() { echo "not ok - hostvm: $*"; exit 1; }

[ -n "$KVER" ] && [ -f "/boot/vmlinuz-$KVER" ] || die "no 6.1 kernel image in /boot"
[ -x /lib/systemd/systemd ] || die "this machine's root has no systemd to boot"
ko=kmod/scratch.ko
[ -f "$ko" ] || die "$ko not built (make module)"
debs=$(ls build/deb/libscratch1_*.deb build/deb/scratch-tools_*.deb build/deb/python3-scratch_*.deb \
	2>/dev/null)
[ "$(echo "$debs" | wc -w)" = 3 ] || die "packages not built (make deb)"

rm -rf "$W" && mkdir -p "$W/ir/mods" "$W/ir/bin" "$W/payload/debs" "$W/img"
for d in proc sys dev lower rw newroot; do mkdir -p "$W/ir/$d"; done

# ---- initramfs: busybox, virtio 9p and overlay modules in dependency order, /init ----------
order() {	# module path (relative to $M) and its dependencies first, once each
	local m=$1 d
	grep -qx "$m" "$W/order" 2>/dev/null && return
	for d in $(sed -n "s|^$m: *||p" "$M/modules.dep"); do order "$d"; done
	echo "$m" >> "$W/order"
}
: > "$W/order"
for m in kernel/drivers/virtio/virtio_pci.ko kernel/net/9p/9pnet_virtio.ko kernel/fs/9p/9p.ko \
	kernel/fs/overlayfs/overlay.ko; do
	[ -f "$M/$m" ] || die "$M/$m missing"
	order "$m"
done
while read -r m; do cp "$M/$m" "$W/ir/mods/"; basename "$m"; done < "$W/order" > "$W/ir/mods/order"
cp "$(command -v busybox)" "$W/ir/bin/busybox" || die "busybox missing (busybox-static)"
cp tests/vm/host/init "$W/ir/init" && chmod +x "$W/ir/init"
(cd "$W/ir" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$W/initramfs.gz"

# ---- what the guest gets: packages, module, config, the test and its unit ------------------
cp $debs "$W/payload/debs/"
cp "$ko" tests/tap.sh tests/vm/host/test.sh tests/vm/host/hostvm-test.service \
	tests/vm/host/spaces.conf tests/vm/host/mask "$W/payload/"
# The Python tests, run against the package python3-scratch installed (the host's python3 with
# cffi, numpy, pytest and Dask runs them).
mkdir -p "$W/payload/python"
cp -r python/tests python/run-tests.sh "$W/payload/python/"

boot() {	# SERIAL...: the systemd boot, with the drives in that PCI order
	local s args=()
	for s in "$@"; do
		args+=(-drive "file=$W/img/$s.img,if=none,id=$s,format=raw,cache=$CACHE"
		       -device "nvme,serial=$s,drive=$s")
	done
	: > "$W/payload/test.out"
	timeout "${SCRATCH_HOSTVM_TIMEOUT:-$TMO}" qemu-system-x86_64 -accel tcg -m "$MEM" -smp 2 \
		-nographic -no-reboot -kernel "/boot/vmlinuz-$KVER" -initrd "$W/initramfs.gz" \
		-append "console=ttyS0 quiet systemd.show_status=0 panic=-1" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$ROOT/$W/payload,mount_tag=payload,security_model=none" \
		"${args[@]}" > "$W/console.log" 2>&1
	echo "# hostvm: the boot ended ($?), console: $W/console.log"
	# TAP lines renumbered by the caller; besides them, comments (the bench: every line).
	local rest='/^#/p'
	[ $BENCH = 1 ] && rest='/^\(not \)\{0,1\}ok /!p'
	sed -n "/^\(not \)\{0,1\}ok /s/^\(\(not \)\{0,1\}ok\) [0-9]* - /\1 - hostvm: /p; $rest" \
		"$W/payload/test.out"
	grep -q '^1\.\.' "$W/payload/test.out" || echo "not ok - hostvm: the test did not finish"
	if grep -aE 'BUG:|WARNING:|Oops|general protection|Call Trace' "$W/console.log" >/dev/null; then
		echo "not ok - hostvm: kernel splat in the console log"
	fi
}

count() {	# the TAP plan and summary of what boot printed into $W/hostvm.tap
	local n bad
	n=$(($(grep -c '^ok ' "$W/hostvm.tap") + ${1:-0}))
	bad=$(grep -c '^not ok ' "$W/hostvm.tap")
	echo "1..$((n + bad))"
	echo "# hostvm: $n passed, $bad failed"
	[ "$bad" -eq 0 ]
}

if [ $BENCH = 1 ]; then
	# Two drives of one size and cache mode (flushes reach the host, as run.sh --bench):
	# sb0 blank, formatted by scratch-assemble as the space 'bench'; sb1 ext4.
	[ -x build/bench/scratch-bindbench ] || die "build/bench/scratch-bindbench not built"
	cp tests/vm/host/bench.sh "$W/payload/test.sh"
	cp -r python/bench "$W/payload/python/"
	cp build/bench/scratch-bindbench "$W/payload/"
	# The host's choice of parts and rounds, for the guest's script.
	for v in SC_BENCH_PARTS SC_BENCH_REPS SC_BENCH_BINDING_REPS SC_BENCH_SHUFFLE_REPS; do
		[ -z "${!v:-}" ] || printf '%s=%q\n' "$v" "${!v}"
	done > "$W/payload/bench.env"
	truncate -s 3G "$W/img/sb0.img"
	truncate -s 3G "$W/img/sb1.img" && mkfs.ext4 -q -F "$W/img/sb1.img" || die "mkfs.ext4"
	printf 'bench\t/dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_sb0\tformat-blank,seg-size=64M\n' \
		> "$W/payload/spaces.conf"
	CACHE=writeback MEM=3G TMO=${SCRATCH_HOSTBENCH_TIMEOUT:-3600}
	echo "TAP version 13"
	boot sb0 sb1 | tee "$W/hostvm.tap"
	count
	exit
fi
CACHE=unsafe MEM=2G TMO=900

# ---- drives: a space on sc0 and sc1, formatted by another boot; sc2 blank; sc3 ext4 ------
truncate -s 256M "$W/img/sc3.img" && mkfs.ext4 -q -F "$W/img/sc3.img" || die "mkfs.ext4"
mkdir -p "$W/prep"
cat > "$W/prep/format" <<'EOF_PREP'
#!/bin/sh
echo "1..1"
n=$(scratchctl attach --format --seg-size 16M /dev/nvme0n1 /dev/nvme1n1) || exit 1
u=$(scratchctl status "$n" --json | sed -n 's/.*"uuid": "\([0-9a-f-]*\)".*/\1/p')
scratchctl detach "$n" || exit 1
[ -n "$u" ] && echo "ok 1 - $n formatted on sc0 and sc1, uuid $u" && echo "# HOSTVM-UUID $u"
EOF_PREP
chmod +x "$W/prep/format"
SCRATCH_VM_DIR=$W/vm tests/vm/run.sh --kernel "$KVER" --module "$ko" --tests "$W/prep" \
	--images "$W/img" --drives 2 --drive-size 1G --timeout 300 -- check > "$W/prep.log" 2>&1 ||
	die "the boot that formats the space failed, see $W/prep.log"
uuid=$(sed -n 's/^# HOSTVM-UUID //p' "$W/prep.log")
[ -n "$uuid" ] || die "no uuid from the boot that formats the space, see $W/prep.log"
mv "$W/img/nvme0.img" "$W/img/sc0.img" && mv "$W/img/nvme1.img" "$W/img/sc1.img"
truncate -s 128M "$W/img/sc2.img"
sed "s/@UUID@/$uuid/" tests/vm/host/spaces.conf > "$W/payload/spaces.conf"
echo "$uuid" > "$W/payload/uuid"

echo "TAP version 13"
echo "ok - hostvm: a busybox boot formatted space $uuid on sc0 and sc1"
boot sc1 sc0 sc2 sc3 | tee "$W/hostvm.tap"
count 1
