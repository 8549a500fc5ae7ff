#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench's Python side, in the worker-host VM (tests/vm/hostvm.sh --bench), one boot: the
# space 'bench' (its blank drive formatted by scratch-assemble) and an ext4 drive of the same
# size and cache mode.  Each comparison runs REPS times, interleaved with its baseline:
#   binding   scratch-bindbench (C) and python/bench/binding.py: get_into and map of 4 MiB atoms
#   spill     python/bench/spill.py: Dask's SpillBuffer on ext4 against ScratchSpillBuffer
#   shuffle   the same, a LocalCluster shuffle end to end
# Every figure goes to /hostvm/bench.jsonl; summary.py prints the ratios (median, spread) and
# one BENCH-JSON line.  TAP lines for the host to count.  The host's SC_BENCH_PARTS (default
# "binding spill shuffle"), SC_BENCH_REPS (3), SC_BENCH_BINDING_REPS (5) and
# SC_BENCH_SHUFFLE_REPS (2) arrive in bench.env.
. /hostvm/tap.sh
[ ! -f /hostvm/bench.env ] || . /hostvm/bench.env
PARTS=${SC_BENCH_PARTS:-binding spill shuffle}
has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
echo "# hostbench: $(uname -r), $(systemctl is-system-running 2>&1)"
dpkg --configure -a > /dev/null 2>&1
S=/dev/scratch/bench
E=/mnt/ext4
J=/hostvm/bench.jsonl
B=/hostvm/python/bench
REPS=${SC_BENCH_REPS:-3}
: > $J
t "the space 'bench' was formatted on its blank drive" sh -c "[ -c $S ]"
mkdir -p $E
t "the ext4 drive is mounted" mount /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_sb1 $E

run() {	# NAME COMMAND...: one measurement (a TAP line), its JSON lines to $J
	d=$1
	shift
	t "$d" into_j "$@"
}
into_j() { "$@" >> $J; }

# 32 atoms of 4 MiB, 16 passes: 512 calls a side; 5 rounds, being cheap (the spread between
# processes under TCG is wider than the binding's cost).
has binding && for r in $(seq "${SC_BENCH_BINDING_REPS:-5}"); do
	run "binding, C, round $r" /hostvm/scratch-bindbench $S 4194304 32 16
	run "binding, Python, round $r" python3 $B/binding.py $S 4194304 32 16
done
has spill && for r in $(seq "$REPS"); do
	run "spill, Dask's directory on ext4, round $r" python3 $B/spill.py spill dir $E 256
	rm -rf ${E:?}/tmp*
	run "spill, scratch, round $r" python3 $B/spill.py spill scratch $S 256
done
has shuffle && for r in $(seq "${SC_BENCH_SHUFFLE_REPS:-2}"); do
	run "shuffle, Dask's directory on ext4, round $r" python3 $B/spill.py shuffle dir $E/dask 1000000
	rm -rf ${E:?}/dask
	run "shuffle, scratch, round $r" python3 $B/spill.py shuffle scratch $S 1000000
done
python3 $B/summary.py $J > /tmp/summary.out 2> /tmp/summary.err
t "the ratios are computed" sh -c "[ -s /tmp/summary.out ] && ! [ -s /tmp/summary.err ]"
cat /tmp/summary.out /tmp/summary.err
echo "1..$n"
