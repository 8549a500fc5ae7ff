#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make bench` inside the guest: fio baselines and scratch figures on the same drive, same boot, as ratios.
set -u
D=/dev/nvme0n1
MIB=${SC_BENCH_MIB:-1024}
OUT=/tmp/bench
mkdir -p $OUT

dropc() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# fio's aggregate bandwidth (bytes/s) of one direction from its JSON output.
fio_bw() { # dir file
	awk -v dir="\"$1\"" 'index($0, dir " : {") { inside = 1 } inside && /"bw_bytes"/ { gsub(/[^0-9]/, "", $3); print $3; exit }' "$2"
}

fio_run() { # name rw extra...
	name=$1 rw=$2; shift 2
	fio --name="$name" --filename=$D --rw="$rw" --bs=1M --size=${MIB}M --ioengine=io_uring \
		--iodepth=16 --output-format=json "$@" > $OUT/$name.json 2> $OUT/$name.err ||
		{ echo "not ok - fio $name: $(head -n 3 $OUT/$name.err)"; exit 1; }
}

if ! command -v fio > /dev/null; then
	echo "not ok - bench: fio is not in the guest"
	exit 1
fi

echo "# bench: fio baselines on $D (${MIB} MiB per phase, buffered, io_uring QD16, 1 MiB blocks)"
fio_run fio_write write --direct=0 --end_fsync=1 --iodepth=1
fio_run fio_write16 write --direct=0 --end_fsync=1
dropc
fio_run fio_read_cold read --direct=0
fio_run fio_read_warm read --direct=0
fio_run fio_read_direct read --direct=1
W=$(fio_bw write $OUT/fio_write.json)
W16=$(fio_bw write $OUT/fio_write16.json)
RC=$(fio_bw read $OUT/fio_read_cold.json)
RW=$(fio_bw read $OUT/fio_read_warm.json)
RD=$(fio_bw read $OUT/fio_read_direct.json)
echo "# fio: write ${W} B/s (QD16: ${W16} B/s), cold read ${RC} B/s, warm read ${RW} B/s, O_DIRECT read ${RD} B/s"
for v in "$W" "$W16" "$RC" "$RW" "$RD"; do
	[ -n "$v" ] && [ "$v" -gt 0 ] || { echo "not ok - bench: no bandwidth in fio's output"; exit 1; }
done

# Each atom size gets a fresh space: detach closes the device, which drops
# its page cache, so no phase reads or evicts another's data.
: > $OUT/scratch.jsonl
for A in 1 4 64; do
	echo "# bench: scratch atoms of $A MiB"
	dropc
	scratchctl attach --format --seg-size 256M $D > /dev/null || { echo "not ok - bench: attach"; exit 1; }
	/bench/scratch-bench /dev/scratch0 $A $MIB > $OUT/one.jsonl ||
		{ echo "not ok - bench: scratch-bench $A MiB"; exit 1; }
	sed 's/^/#   /' $OUT/one.jsonl
	cat $OUT/one.jsonl >> $OUT/scratch.jsonl
	scratchctl detach 0 > /dev/null || { echo "not ok - bench: detach"; exit 1; }
done

# One table of ratios, and the same as JSON for build/bench.json.
awk -v W="$W" -v W16="$W16" -v RC="$RC" -v RW="$RW" -v RD="$RD" '
function val(line, key,   m) { if (match(line, "\"" key "\":[0-9.]+")) return substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3); return 0 }
{ ph = val($0, "phase"); }
/"phase":"write"/     { a = val($0, "atom_bytes") / 1048576; w[a] = val($0, "MBps") * 1e6 }
/"phase":"read_cold"/ { a = val($0, "atom_bytes") / 1048576; rc[a] = val($0, "MBps") * 1e6 }
/"phase":"read_warm"/ { a = val($0, "atom_bytes") / 1048576; rw[a] = val($0, "MBps") * 1e6 }
/"phase":"memcpy"/    { a = val($0, "atom_bytes") / 1048576; mc[a] = val($0, "MBps") * 1e6 }
/"phase":"map_hash"/  { a = val($0, "atom_bytes") / 1048576; mh[a] = val($0, "MBps") * 1e6 }
/"phase":"hash"/      { a = val($0, "atom_bytes") / 1048576; hh[a] = val($0, "MBps") * 1e6 }
/"phase":"ram"/       { ram = val($0, "per_atom") }
END {
	printf "# %-28s %10s %10s %10s   %s\n", "ratio (scratch / baseline)", "1 MiB", "4 MiB", "64 MiB", "baseline"
	printf "# %-28s %10.2f %10.2f %10.2f   %s\n", "write (+sync)", w[1]/W, w[4]/W, w[64]/W, "fio buffered write + fsync, QD1"
	printf "# %-28s %10.2f %10.2f %10.2f   %s\n", "write (+sync)", w[1]/W16, w[4]/W16, w[64]/W16, "fio buffered write + fsync, QD16"
	printf "# %-28s %10.2f %10.2f %10.2f   %s\n", "read, cold page cache", rc[1]/RC, rc[4]/RC, rc[64]/RC, "fio buffered read, cold"
	printf "# %-28s %10.2f %10.2f %10.2f   %s\n", "read, warm page cache", rw[1]/mc[1], rw[4]/mc[4], rw[64]/mc[64], "memcpy of the same bytes"
	printf "# %-28s %10.2f %10.2f %10.2f   %s\n", "mmap + XXH64, warm", mh[1]/hh[1], mh[4]/hh[4], mh[64]/hh[64], "XXH64 of a heap buffer"
	printf "# %-28s %10.2f %10.2f %10.2f   %s\n", "warm read vs fio warm", rw[1]/RW, rw[4]/RW, rw[64]/RW, "fio buffered read, warm"
	printf "# RAM per stored atom: %.1f bytes (index entry; goal <= 32)\n", ram
	printf "BENCH-JSON {\"fio\":{\"write_qd1\":%.0f,\"write_qd16\":%.0f,\"read_cold\":%.0f,\"read_warm\":%.0f,\"read_direct\":%.0f},", W, W16, RC, RW, RD
	printf "\"ratios\":{"
	n = split("1 4 64", sz, " ")
	for (i = 1; i <= n; i++) { s = sz[i]
		printf "%s\"%s_MiB\":{\"write_vs_fio_qd1\":%.3f,\"write_vs_fio_qd16\":%.3f,\"read_cold_vs_fio\":%.3f,\"read_warm_vs_memcpy\":%.3f,\"map_vs_hash\":%.3f,\"read_warm_vs_fio\":%.3f}", (i > 1 ? "," : ""), s, w[s]/W, w[s]/W16, rc[s]/RC, rw[s]/mc[s], mh[s]/hh[s], rw[s]/RW }
	printf "},\"ram_per_atom\":%.1f}\n", ram
}' $OUT/scratch.jsonl || { echo "not ok - bench: ratios"; exit 1; }
echo "ok - bench"
