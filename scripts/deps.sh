#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages that building, testing and the demo need; idempotent and fast when done.
set -euo pipefail

pkgs=(
	build-essential pkg-config bc flex bison libelf-dev kmod cpio xz-utils
	qemu-system-x86 qemu-utils busybox-static
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-image-rt-amd64 linux-headers-rt-amd64
	linux-source-6.1
	liburing-dev libzstd-dev libxxhash-dev zlib1g-dev
	sparse fio clang libclang-rt-14-dev
	debhelper dh-dkms dkms dh-python lintian fakeroot libblkid-dev
	python3-cffi python3-numpy python3-pytest
	python3-pandas python3-dask python3-distributed python3-zict
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages (${missing[*]}); run as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Kernel images only serve as guest kernels: no initramfs or bootloader hooks are wanted on the host.
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
