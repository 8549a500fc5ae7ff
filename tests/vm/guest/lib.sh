# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the guest-side mode scripts (busybox sh): drives, kernel-log markers, sysfs.
# Source it: `. /guest/lib.sh`.  Defines functions only, no side effects.
# shellcheck shell=dash

# sc_drives: the NVMe namespaces /dev/nvmeXn1, one per line, ordered by controller serial
# (run.sh gives drive i the serial "sc<i>", so line i+1 is the i-th -drive of run.sh).
sc_drives() {
	local b ser
	for b in /sys/block/nvme*n1; do
		[ -e "$b" ] || continue
		ser=$(cat "$b/device/serial" 2>/dev/null || cat "$b/device/device/serial" 2>/dev/null)
		# shellcheck disable=SC2086,SC2116 # trims the padding of the serial
		ser=$(echo $ser)
		echo "${ser:-zz} /dev/${b##*/}"
	done | sort -V | cut -d' ' -f2
}

# sc_drive I: the I-th drive (0-based) in sc_drives order; fails if there is none.
sc_drive() {
	local d
	d=$(sc_drives | sed -n "$(($1 + 1))p")
	[ -n "$d" ] || return 1
	echo "$d"
}

# sc_kmsg TEXT: write TEXT into the kernel log at notice level (shown on the kernel console).
sc_kmsg() {
	echo "<5>$*" >/dev/kmsg 2>/dev/null || true
}

# sc_test_start NAME / sc_test_end NAME: markers the host uses to attribute kernel splats.
sc_test_start() { sc_kmsg "scratch-test: start $1"; }
sc_test_end() { sc_kmsg "scratch-test: end $1"; }

# sc_sysfs N ATTR: one attribute of /dev/scratchN from /sys/class/scratch/scratchN/.
sc_sysfs() {
	cat "/sys/class/scratch/scratch$1/$2"
}

# sc_match NAME [FILTER...]: true if there is no FILTER or NAME matches one of them
# (a FILTER is a shell glob; one without glob characters matches as a substring).
sc_match() {
	local name=$1 f
	shift
	[ $# -eq 0 ] && return 0
	for f in "$@"; do
		# shellcheck disable=SC2254 # FILTER is a glob on purpose
		case $name in
		$f | *$f*) return 0 ;;
		esac
	done
	return 1
}

# sc_now: seconds since boot (integer), for timing in busybox sh.
sc_now() {
	cut -d. -f1 /proc/uptime
}

# sc_run_group SECS FLAGFILE PROG [ARGS...]: run PROG in its own session and process group with
# stdin from /dev/null and stderr on stdout; after SECS seconds send SIGTERM (then SIGKILL 10 s later) to the whole
# group and create FLAGFILE.  When PROG exits, whatever it left behind in its group is killed,
# so a pipe on its stdout reaches EOF.  Returns PROG's exit status (128+signal if killed).
sc_run_group() {
	local secs=$1 flag=$2 pid wd rc
	shift 2
	setsid "$@" </dev/null 2>&1 &
	pid=$!
	(
		i=0
		while [ $i -lt "$secs" ]; do
			sleep 1
			kill -0 $pid 2>/dev/null || exit 0
			i=$((i + 1))
		done
		: >"$flag"
		sc_kmsg "scratch-test: timeout after ${secs}s: $*"
		kill -TERM -$pid
		sleep 10
		kill -KILL -$pid
	) </dev/null >/dev/null 2>&1 &
	wd=$!
	wait $pid
	rc=$?
	kill $wd 2>/dev/null
	wait $wd 2>/dev/null
	kill -KILL -$pid 2>/dev/null
	return $rc
}

# sc_load_order FILE TAG: insmod the modules FILE lists, in order, skipping loaded ones.
sc_load_order() {
	local m err
	[ -f "$1" ] || { echo "# $2: no $1 in the initramfs"; return 1; }
	while read -r m; do
		[ -n "$m" ] || continue
		grep -q "^$(basename "$m" .ko | tr - _) " /proc/modules && continue
		err=$(insmod "$m" 2>&1) || { echo "# $2: insmod $m failed: $err"; return 1; }
	done <"$1"
}

# sc_dm_load: load the device-mapper modules listed in /modules-dm.order (mkinitramfs.sh puts
# dm-mod, dm-log-writes, dm-flakey and their dependencies there; /init does not load them).
# Fails, with a message on stdout, if one cannot be loaded or there is no control node.
sc_dm_load() {
	sc_load_order /modules-dm.order dm || return 1
	[ -c /dev/mapper/control ] || { echo "# dm: no /dev/mapper/control"; return 1; }
}

# sc_fs_load: load ext4 and its dependencies (/modules-fs.order), for make bench's baseline.
sc_fs_load() {
	sc_load_order /modules-fs.order fs
}
