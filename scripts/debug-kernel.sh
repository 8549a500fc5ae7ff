#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build (once) the debug kernel of the test VM from Debian's linux-source-6.1, cached outside the tree.
#
# Usage: scripts/debug-kernel.sh [--dir] [--no-build]
#   prints nothing and builds when missing; --dir prints the cache directory (after building);
#   --no-build fails (exit 1) instead of building.
# The cache directory is $SCRATCH_CACHE (default ~/.cache/scratch)/kdebug-<key>, where the key
# hashes the source package's version, tests/vm/debug.config and this script: any change to
# them builds a new kernel; nothing else does.  It holds:
#   bzImage        the kernel
#   root/lib/modules/<kver>/   its modules (nvme, dm, ext4) and modules.dep
#   build/         the configured tree (objects removed) that out-of-tree modules build against
#   kver           the kernel release string
# A build takes about 10 minutes on 2 cores; it is logged to <dir>.log.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FRAG=$ROOT/tests/vm/debug.config
TARBALL=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
PRINT=0
BUILD=1
for a in "$@"; do
	case $a in
	--dir) PRINT=1 ;;
	--no-build) BUILD=0 ;;
	*) echo "debug-kernel: unknown argument $a" >&2; exit 2 ;;
	esac
done
[ -n "$TARBALL" ] || { echo "debug-kernel: /usr/src/linux-source-6.1.tar.xz missing (make deps)" >&2; exit 1; }

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c '%s %Y' "$TARBALL")
key=$( { echo "$srcver"; cat "$FRAG" "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
CACHE=${SCRATCH_CACHE:-$HOME/.cache/scratch}
DIR=$CACHE/kdebug-$key

if [ -f "$DIR/.done" ]; then
	[ $PRINT = 0 ] || echo "$DIR"
	exit 0
fi
[ $BUILD = 1 ] || { echo "debug-kernel: not built ($DIR); run scripts/debug-kernel.sh" >&2; exit 1; }

mkdir -p "$CACHE"
exec 9>"$CACHE/kdebug.lock"
flock 9
if [ -f "$DIR/.done" ]; then
	[ $PRINT = 0 ] || echo "$DIR"
	exit 0
fi
LOG=$DIR.log
echo "debug-kernel: building $DIR (log: $LOG)" >&2
# Built in place: the configured tree records its absolute source path.
rm -rf "$DIR"
T=$DIR
mkdir -p "$T/src" "$T/build"
t0=$(date +%s)
(
	set -x
	tar -C "$T/src" --strip-components=1 -xJf "$TARBALL"
	make -C "$T/src" O="$T/build" KCONFIG_ALLCONFIG="$FRAG" allnoconfig
	make -C "$T/src" O="$T/build" olddefconfig
) >"$LOG" 2>&1 || { echo "debug-kernel: configuration failed, see $LOG" >&2; exit 1; }

# Every option the fragment sets must have survived (a dependency may have dropped it).
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=y | CONFIG_*=m)
		grep -qx "$line" "$T/build/.config" || { echo "debug-kernel: $line did not survive olddefconfig" >&2; bad=1; } ;;
	esac
done <"$FRAG"
[ $bad = 0 ] || exit 1

nproc=$(nproc)
{
	make -C "$T/src" O="$T/build" -j"$nproc" bzImage modules
	make -C "$T/src" O="$T/build" INSTALL_MOD_PATH="$T/root" INSTALL_MOD_STRIP=1 modules_install
} >>"$LOG" 2>&1 || { echo "debug-kernel: build failed, see the end of $LOG" >&2; tail -n 20 "$LOG" >&2; exit 1; }

kver=$(cat "$T/build/include/config/kernel.release")
cp "$T/build/arch/x86/boot/bzImage" "$T/bzImage"
echo "$kver" >"$T/kver"
# Out-of-tree modules need the configured tree, not its objects.
find "$T/build" -name '*.o' -delete
rm -f "$T/build/vmlinux" "$T/build/vmlinux.a" "$T/build/arch/x86/boot/compressed/vmlinux"
rm -rf "$T/root/lib/modules/$kver/build" "$T/root/lib/modules/$kver/source"
touch "$DIR/.done"
# Kernels of older keys are not needed any more.
for old in "$CACHE"/kdebug-*; do
	case $old in "$DIR" | "$DIR.log" | *.lock) ;; *) rm -rf "$old" ;; esac
done
echo "debug-kernel: $kver built in $(($(date +%s) - t0))s: $DIR" >&2
[ $PRINT = 0 ] || echo "$DIR"
