#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the test-VM initramfs: busybox, NVMe modules, scratch.ko, tests and guest scripts.
#
# Device-mapper modules (dm-mod, dm-log-writes, dm-flakey and their dependencies) go in too,
# listed in /modules-dm.order; /init does not load them: the guest scripts that need them do
# (dmlog.sh, the write-dropping power-cut test).  A kernel without them as modules (built in,
# or absent) just gets an empty list.
#
# Usage: tests/vm/mkinitramfs.sh KVER MODULE_KO OUT.cpio.gz
# Environment (optional):
#   SCRATCH_VM_TESTS   directory whose executables go to /tests   (default build/tests)
#   SCRATCH_VM_BENCH   directory whose files go to /bench         (default build/bench)
#   SCRATCH_VM_TOOLS   scratchctl binary installed as /bin/scratchctl (default build/scratchctl)
#   SCRATCH_VM_MODDIR  the kernel's module directory (default /lib/modules/KVER)
#   SCRATCH_VM_FORCE=1 rebuild even if nothing changed
# The archive is rebuilt only when the set of inputs, or any input's size/mtime, changed
# (a manifest is kept next to OUT as OUT.manifest).
set -euo pipefail

die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ $# -eq 3 ] || die "usage: $0 KVER MODULE_KO OUT.cpio.gz"
KVER=$1
MODULE_KO=$2
OUT=$3

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TESTS_DIR=${SCRATCH_VM_TESTS:-$ROOT/build/tests}
BENCH_DIR=${SCRATCH_VM_BENCH:-$ROOT/build/bench}
TOOL=${SCRATCH_VM_TOOLS:-$ROOT/build/scratchctl}
MODDIR=${SCRATCH_VM_MODDIR:-/lib/modules/$KVER}
BUSYBOX=/bin/busybox

[ -f "$MODDIR/modules.dep" ] || die "$MODDIR/modules.dep not found (is the $KVER kernel installed?)"
[ -f "$MODULE_KO" ] || die "module $MODULE_KO not found"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (install busybox-static)"

# ---- NVMe modules in dependency order, from modules.dep --------------------------------
declare -A DEPS=()
while IFS= read -r line; do
	mod=${line%%:*}
	DEPS[$mod]=${line#*:}
done <"$MODDIR/modules.dep"

nvme=
for m in "${!DEPS[@]}"; do
	case $m in */drivers/nvme/host/nvme.ko | */drivers/nvme/host/nvme.ko.*) nvme=$m ;; esac
done
[ -n "$nvme" ] || die "no drivers/nvme/host/nvme.ko in $MODDIR/modules.dep"

ORDER=()
declare -A SEEN=()
visit() { # depth-first: dependencies before the module itself
	local m=$1 d
	[ -n "${SEEN[$m]:-}" ] && return 0
	SEEN[$m]=1
	[ -n "${DEPS[$m]+x}" ] || die "$m is listed as a dependency but has no modules.dep entry"
	for d in ${DEPS[$m]}; do visit "$d"; done
	ORDER+=("$m")
}
visit "$nvme"
NVME_COUNT=${#ORDER[@]}

# Device-mapper targets, after the NVMe ones (dependencies already listed are not repeated).
for want in dm-mod dm-log-writes dm-flakey; do
	for m in "${!DEPS[@]}"; do
		case $m in */drivers/md/"$want".ko | */drivers/md/"$want".ko.*) visit "$m" ;; esac
	done
done
DM_COUNT=${#ORDER[@]}

# ext4 and its dependencies, for make bench's ext4 baseline (/modules-fs.order, loaded on demand);
# its crc32c comes through the crypto API (request_module, no modprobe here): listed first.
for want in crypto/crc32c_generic fs/ext4/ext4; do
	for m in "${!DEPS[@]}"; do
		case $m in */"$want".ko | */"$want".ko.*) visit "$m" ;; esac
	done
done

# ---- inputs and the manifest deciding whether to rebuild --------------------------------
INPUTS=("$HERE/mkinitramfs.sh" "$HERE/init" "$BUSYBOX" "$MODULE_KO")
for m in "${ORDER[@]}"; do INPUTS+=("$MODDIR/$m"); done
for f in "$HERE"/guest/*.sh; do [ -f "$f" ] && INPUTS+=("$f"); done
TESTS=()
if [ -d "$TESTS_DIR" ]; then
	for f in "$TESTS_DIR"/*; do
		[ -f "$f" ] && [ -x "$f" ] && TESTS+=("$f")
	done
fi
INPUTS+=(${TESTS[@]+"${TESTS[@]}"})
BENCH=()
if [ -d "$BENCH_DIR" ]; then
	for f in "$BENCH_DIR"/*; do [ -f "$f" ] && BENCH+=("$f"); done
fi
INPUTS+=(${BENCH[@]+"${BENCH[@]}"})
[ -f "$TOOL" ] && INPUTS+=("$TOOL")
[ -f "$HERE/init" ] || die "$HERE/init missing"

manifest() {
	echo "kver $KVER"
	echo "tests $TESTS_DIR bench $BENCH_DIR tool $TOOL"
	local f
	for f in "${INPUTS[@]}"; do stat -L -c '%n %s %Y' "$f"; done
}
NEW_MANIFEST=$(manifest)
if [ -z "${SCRATCH_VM_FORCE:-}" ] && [ -f "$OUT" ] && [ -f "$OUT.manifest" ] &&
	[ "$NEW_MANIFEST" = "$(cat "$OUT.manifest")" ]; then
	exit 0
fi

# ---- build the tree ----------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/scratch-initramfs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
R=$TMP/root
mkdir -p "$R"/{bin,dev,proc,sys,tmp,run,mnt,etc,lib/modules,tests,guest,bench,usr}
ln -s bin "$R/sbin"
ln -s ../bin "$R/usr/bin"
ln -s ../bin "$R/usr/sbin"
ln -s lib "$R/lib64"

# Shared libraries of dynamically linked executables (static ones need nothing).
copy_libs() {
	local exe=$1 lib
	ldd "$exe" >/dev/null 2>&1 || return 0
	for lib in $(ldd "$exe" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$R$lib" ] && continue
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
}

cp "$BUSYBOX" "$R/bin/busybox"
copy_libs "$BUSYBOX"
ln -s busybox "$R/bin/sh" # the other applets: `busybox --install -s /bin` in /init

: >"$R/modules.order"
: >"$R/modules-dm.order"
: >"$R/modules-fs.order"
n=0
for m in "${ORDER[@]}"; do
	base=$(basename "$m")
	case $base in
	*.ko) cp "$MODDIR/$m" "$R/lib/modules/$base" ;;
	*.ko.xz) base=${base%.xz}; xz -dc "$MODDIR/$m" >"$R/lib/modules/$base" ;;
	*.ko.zst) base=${base%.zst}; zstd -qdc "$MODDIR/$m" >"$R/lib/modules/$base" ;;
	*.ko.gz) base=${base%.gz}; gzip -dc "$MODDIR/$m" >"$R/lib/modules/$base" ;;
	*) die "unsupported module file $m" ;;
	esac
	if [ $n -lt "$NVME_COUNT" ]; then
		echo "/lib/modules/$base" >>"$R/modules.order"
	elif [ $n -lt "$DM_COUNT" ]; then
		echo "/lib/modules/$base" >>"$R/modules-dm.order"
	else
		echo "/lib/modules/$base" >>"$R/modules-fs.order"
	fi
	n=$((n + 1))
done

cp "$MODULE_KO" "$R/scratch.ko"
for f in ${TESTS[@]+"${TESTS[@]}"}; do
	cp "$f" "$R/tests/"
	copy_libs "$f"
done
for f in ${BENCH[@]+"${BENCH[@]}"}; do
	cp "$f" "$R/bench/"
	[ -x "$f" ] && copy_libs "$f"
done
if [ -f "$TOOL" ]; then
	cp "$TOOL" "$R/bin/scratchctl"
	copy_libs "$TOOL"
fi
for f in "$HERE"/guest/*.sh; do [ -f "$f" ] && install -m 0755 "$f" "$R/guest/"; done
install -m 0755 "$HERE/init" "$R/init"
echo "$KVER" >"$R/etc/kver"

mkdir -p "$(dirname "$OUT")"
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$OUT.tmp"
mv -f "$OUT.tmp" "$OUT"
printf '%s\n' "$NEW_MANIFEST" >"$OUT.manifest"
echo "mkinitramfs: built $OUT ($(du -h "$OUT" | cut -f1), $NVME_COUNT nvme modules," \
	"$((DM_COUNT - NVME_COUNT)) dm modules, $((${#ORDER[@]} - DM_COUNT)) fs modules," \
	"${#TESTS[@]} tests)" >&2
