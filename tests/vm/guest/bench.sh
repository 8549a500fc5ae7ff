#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make bench` inside the guest: fio baselines and scratch figures on the same drive, same boot, as ratios.
# Usage: /guest/bench.sh [module] [lib] [shuffle] [reload] [ram]   (default: all; one BENCH-JSON line at the end)
set -u
# shellcheck source=tests/vm/guest/lib.sh
. /guest/lib.sh
D=/dev/nvme0n1
PARTS=${*:-module lib shuffle reload ram}
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
MIB=${SC_BENCH_MIB:-1024}
# Each of the module's comparisons runs ROUNDS times, each round against its own baselines.
ROUNDS=${SC_BENCH_ROUNDS:-3}
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

# Each atom size is measured right after its own fio baselines, so that the
# host's noise (TCG throughput moves several-fold between boots) hits both
# sides of each ratio alike.  Each scratch phase gets a fresh space: detach
# closes the device, which drops its page cache.
bench_module() {
: > $OUT/scratch.jsonl
for A in ${SC_BENCH_SIZES:-1 4 64}; do
for r in $(seq "$ROUNDS"); do
	echo "# bench: $A MiB atoms, round $r of $ROUNDS: fio baselines ($MIB MiB, buffered, io_uring, 1 MiB blocks), then scratch"
	dropc
	fio_run fio_write write --direct=0 --end_fsync=1 --iodepth=1
	fio_run fio_write16 write --direct=0 --end_fsync=1
	dropc
	fio_run fio_read_cold read --direct=0
	fio_run fio_read_warm read --direct=0
	# Four readers, each its own open file and quarter of the bytes, 1 MiB preads.
	dropc
	fio_run fio_read_par read --direct=0 --ioengine=psync --iodepth=1 --numjobs=4 \
		--size=$((MIB / 4))M --offset_increment=$((MIB / 4))M --group_reporting
	W=$(fio_bw write $OUT/fio_write.json)
	W16=$(fio_bw write $OUT/fio_write16.json)
	RC=$(fio_bw read $OUT/fio_read_cold.json)
	RW=$(fio_bw read $OUT/fio_read_warm.json)
	RP=$(fio_bw read $OUT/fio_read_par.json)
	for v in "$W" "$W16" "$RC" "$RW" "$RP"; do
		[ -n "$v" ] && [ "$v" -gt 0 ] || { echo "not ok - bench: no bandwidth in fio's output"; exit 1; }
	done
	echo "{\"phase\":\"fio\",\"atom_bytes\":$((A << 20)),\"write\":$W,\"write16\":$W16,\"read_cold\":$RC,\"read_warm\":$RW,\"read_par\":$RP}" > $OUT/one.jsonl

	dropc
	scratchctl attach --format --seg-size 256M $D > /dev/null || { echo "not ok - bench: attach"; exit 1; }
	/bench/scratch-bench /dev/scratch0 $A $MIB >> $OUT/one.jsonl ||
		{ echo "not ok - bench: scratch-bench $A MiB"; exit 1; }
	sed 's/^/#   /' $OUT/one.jsonl
	sed "s/^{/{\"round\":$r,/" $OUT/one.jsonl >> $OUT/scratch.jsonl
	scratchctl detach 0 > /dev/null || { echo "not ok - bench: detach"; exit 1; }
done
done

# One table of ratios, each the median over the rounds with the spread (stdout), and
# the same as JSON, every round's figures included, for build/bench.json.
awk '
function val(line, key,   m) { if (match(line, "\"" key "\":[0-9.]+")) return substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3); return 0 }
function q(x, y) { return y > 0 ? x / y : 0 }
{ a = val($0, "atom_bytes") / 1048576; r = val($0, "round"); if (r > R) R = r }
/"phase":"fio"/       { W[a, r] = val($0, "write"); W16[a, r] = val($0, "write16"); RC[a, r] = val($0, "read_cold"); RW[a, r] = val($0, "read_warm"); RP[a, r] = val($0, "read_par") }
/"phase":"read_cold_par"/ { rp[a, r] = val($0, "MBps") * 1e6 }
/"phase":"write"/     { w[a, r] = val($0, "MBps") * 1e6 }
/"phase":"write_qd16"/ { wq[a, r] = val($0, "MBps") * 1e6 }
/"phase":"read_cold"/ { rc[a, r] = val($0, "MBps") * 1e6 }
/"phase":"read_warm"/ { rw[a, r] = val($0, "MBps") * 1e6 }
/"phase":"read_cold_again"/ { ra[a, r] = val($0, "MBps") * 1e6 }
/"phase":"verify_cold"/ { vc[a, r] = val($0, "MBps") * 1e6 }
/"phase":"memcpy"/    { mc[a, r] = val($0, "MBps") * 1e6 }
/"phase":"map_hash"/  { mh[a, r] = val($0, "MBps") * 1e6 }
/"phase":"hash"/      { hh[a, r] = val($0, "MBps") * 1e6 }
/"phase":"ram"/       { ram[a] = val($0, "per_atom"); atoms[a] = val($0, "atoms") }
/"phase":"small_reads"/ { sr[a, r] = val($0, "calls_per_s") }
# The ratio named k for size s in every round: into v[1..R]; sets med, lo, hi, list.
function ratios(k, s,   i, j, t, n) {
	n = 0; list = ""
	for (i = 1; i <= R; i++) {
		if (k == "wq1") t = q(w[s, i], W[s, i]);       else if (k == "wq16") t = q(w[s, i], W16[s, i])
		else if (k == "wqq") t = q(wq[s, i], W16[s, i])
		else if (k == "rc") t = q(rc[s, i], RC[s, i]); else if (k == "ra") t = q(ra[s, i], RC[s, i])
		else if (k == "vc") t = q(vc[s, i], RC[s, i]); else if (k == "rw") t = q(rw[s, i], RW[s, i])
		else if (k == "rm") t = q(rw[s, i], mc[s, i]); else if (k == "rp") t = q(rp[s, i], RP[s, i])
		else t = q(mh[s, i], hh[s, i])
		v[++n] = t; list = list (n > 1 ? "," : "") sprintf("%.3f", t)
	}
	for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2; lo = v[1]; hi = v[n]
}
function cell(k, s) { ratios(k, s); return sprintf("%5.2f %4.2f..%-4.2f", med, lo, hi) }
function row(label, k, base) { printf "# %-28s %16s %16s %16s   %s\n", label, cell(k, 1), cell(k, 4), cell(k, 64), base }
function mbps(arr, s,   i, out) { out = ""; for (i = 1; i <= R; i++) out = out (i > 1 ? "," : "") sprintf("%.1f", arr[s, i] / 1e6); return "[" out "]" }
END {
	printf "# %-28s %16s %16s %16s   %s\n", "ratio (scratch / baseline)", "1 MiB", "4 MiB", "64 MiB", "baseline, same boot"
	printf "# %-28s %16s %16s %16s\n", "", "median spread", "median spread", "median spread"
	row("write + sync, pwrite", "wq1", "fio buffered write + fsync, QD1")
	row("write + sync, pwrite", "wq16", "fio buffered write + fsync, QD16")
	row("write + sync, io_uring QD16", "wqq", "fio buffered write + fsync, QD16")
	row("read, cold page cache", "rc", "fio buffered read, cold, QD16")
	row("read, cold, checked before", "ra", "fio buffered read, cold, QD16")
	row("VERIFY, cold, one at a time", "vc", "fio buffered read, cold, QD16")
	row("read, cold, 4 readers", "rp", "fio buffered read, cold, 4 jobs, psync")
	row("read, warm page cache", "rw", "fio buffered read, warm, QD16")
	row("read, warm page cache", "rm", "memcpy of the same bytes")
	row("mmap + XXH64, warm", "mh", "XXH64 of the same bytes in RAM")
	printf "# each: the median of %d rounds, each against its own baselines, and the lowest..highest\n", R
	printf "# RAM per stored atom (index): %.1f / %.1f / %.1f bytes with %d / %d / %d atoms\n", ram[1], ram[4], ram[64], atoms[1], atoms[4], atoms[64]
	printf "# 4 KiB reads, warm, one pread each: %.0f / %.0f / %.0f calls/s (round 1)\n", sr[1, 1], sr[4, 1], sr[64, 1]
	printf "{"
	n = split("1 4 64", sz, " ")
	split("write_vs_fio_qd1 write_vs_fio_qd16 write_qd16_vs_fio_qd16 read_cold_vs_fio read_cold_again_vs_fio verify_cold_vs_fio read_cold_4_readers_vs_fio read_warm_vs_fio read_warm_vs_memcpy map_hash_vs_hash", names, " ")
	split("wq1 wq16 wqq rc ra vc rp rw rm mh", keys, " ")
	for (i = 1; i <= n; i++) { s = sz[i]
		printf "%s\"%s_MiB\":{", (i > 1 ? "," : ""), s
		for (k = 1; k <= 10; k++) {
			ratios(keys[k], s)
			printf "\"%s\":{\"median\":%.3f,\"min\":%.3f,\"max\":%.3f,\"rounds\":[%s]},", names[k], med, lo, hi, list
		}
		printf "\"ram_per_atom\":%.1f,\"small_reads_per_s\":%.0f,", ram[s], sr[s, 1]
		printf "\"MBps\":{\"write\":%s,\"write_qd16\":%s,\"fio_write_qd1\":%s,\"fio_write_qd16\":%s,\"read_cold\":%s,\"fio_read_cold\":%s,\"read_warm\":%s,\"fio_read_warm\":%s,\"read_cold_4_readers\":%s,\"fio_read_cold_4_jobs\":%s,\"memcpy\":%s,\"map_hash\":%s,\"hash\":%s}}", mbps(w, s), mbps(wq, s), mbps(W, s), mbps(W16, s), mbps(rc, s), mbps(RC, s), mbps(rw, s), mbps(RW, s), mbps(rp, s), mbps(RP, s), mbps(mc, s), mbps(mh, s), mbps(hh, s) }
	printf "}\n"
}' $OUT/scratch.jsonl > $OUT/module.out || { echo "not ok - bench: ratios"; exit 1; }
grep '^#' $OUT/module.out
grep -v '^#' $OUT/module.out > $OUT/module.json
}

# libscratch at 4 MiB atoms: puts, QD16 queued gets (cold, warm), batch gets, map + copy,
# presence, zstd; against fio with 4 MiB blocks at QD16 and memcpy, same boot.
bench_lib() {
	# fio's best of 1 MiB and 4 MiB blocks: its 4 MiB buffered writes are sometimes far slower.
	echo "# bench: library; fio baselines, 1 and 4 MiB blocks ($MIB MiB, buffered, io_uring, QD16)"
	W=0 RC=0
	for bs in 1M 4M; do
		dropc
		fio_run fio_lw$bs write --direct=0 --end_fsync=1 --bs=$bs
		dropc
		fio_run fio_lr$bs read --direct=0 --bs=$bs
		w=$(fio_bw write $OUT/fio_lw$bs.json)
		r=$(fio_bw read $OUT/fio_lr$bs.json)
		echo "#   fio $bs: write $w B/s, cold read $r B/s"
		[ "${w:-0}" -gt "$W" ] && W=$w
		[ "${r:-0}" -gt "$RC" ] && RC=$r
	done
	echo "{\"phase\":\"fio4\",\"write\":$W,\"read_cold\":$RC}" > $OUT/lib.jsonl
	echo "# bench: libscratch, 4 MiB atoms"
	dropc
	scratchctl attach --format --seg-size 256M $D > /dev/null || { echo "not ok - bench: attach"; exit 1; }
	/bench/scratch-libbench /dev/scratch0 4 $MIB >> $OUT/lib.jsonl ||
		{ echo "not ok - bench: scratch-libbench"; exit 1; }
	scratchctl detach 0 > /dev/null || { echo "not ok - bench: detach"; exit 1; }
	# What a user would build instead: a file on ext4 on the second, identical drive
	# (make bench formats its image on the host), mapped, blocks appended and read back.
	if [ -b /dev/nvme1n1 ] && sc_fs_load && mkdir -p /mnt/ext4 &&
		mount -t ext4 /dev/nvme1n1 /mnt/ext4; then
		dropc
		/bench/scratch-libbench --ext4 /mnt/ext4/blocks 4 $MIB >> $OUT/lib.jsonl ||
			{ echo "not ok - bench: ext4 baseline"; exit 1; }
		umount /mnt/ext4
	else
		echo "# bench: no ext4 drive (nvme1n1): the ext4 baseline is skipped"
	fi
	sed 's/^/#   /' $OUT/lib.jsonl
	awk '
function val(line, key) { if (match(line, "\"" key "\":[0-9.]+")) return substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3); return 0 }
/"phase":"fio4"/           { W = val($0, "write"); RC = val($0, "read_cold") }
/"phase":"lib_put"/        { put = val($0, "MBps") * 1e6 }
/"phase":"lib_get_cold"/   { cold = val($0, "MBps") * 1e6 }
/"phase":"lib_get_warm"/   { warm = val($0, "MBps") * 1e6 }
/"phase":"lib_batch_warm"/ { batch = val($0, "MBps") * 1e6 }
/"phase":"lib_map_copy"/   { map = val($0, "MBps") * 1e6 }
/"phase":"lib_memcpy"/     { mc = val($0, "MBps") * 1e6 }
/"phase":"present"/        { ids = val($0, "ids_per_s") }
/"phase":"ext4_mmap_write"/ { ew = val($0, "MBps") * 1e6 }
/"phase":"ext4_mmap_read_warm"/ { er = val($0, "MBps") * 1e6 }
/"phase":"zstd"/           { zr = val($0, "ratio"); zp = val($0, "put_MBps"); zg = val($0, "get_MBps") }
function row(label, x, base) { printf "# %-34s %8.2f   %s\n", label, x, base }
END {
	printf "# %-34s %8s   %s\n", "libscratch, 4 MiB atoms", "ratio", "baseline, same boot"
	row("put (+ one final sync)", put / W, "fio io_uring buffered write + fsync, QD16, best bs")
	row("queued get, cold, QD16", cold / RC, "fio io_uring buffered read, cold, QD16, best bs")
	row("queued get, warm, QD16", warm / mc, "memcpy of the same bytes")
	row("batch get (16 per call), warm", batch / mc, "memcpy of the same bytes")
	row("map + copy out, warm", map / mc, "memcpy of the same bytes")
	if (ew > 0) {
		row("put (+ one final sync)", put / ew, "ext4 file, mmap, memcpy appends, msync")
		row("queued get, warm, QD16", warm / er, "ext4 file, mmap, memcpy out, warm")
		row("map + copy out, warm", map / er, "ext4 file, mmap, memcpy out, warm")
	}
	printf "# presence: %.1f M ids/s (one call of 1 M ids)\n", ids / 1e6
	printf "# zstd, bit-packed booleans with long runs: ratio %.1f, put %.0f MB/s, get %.0f MB/s\n", zr, zp, zg
	if (ew > 0) printf "{\"put_vs_ext4_mmap\":%.3f,\"get_warm_vs_ext4_mmap\":%.3f,\"map_copy_vs_ext4_mmap\":%.3f,\"ext4_MBps\":{\"write\":%.1f,\"read_warm\":%.1f},", put / ew, warm / er, map / er, ew / 1e6, er / 1e6
	else printf "{"
	printf "\"put_vs_fio\":%.3f,\"get_cold_vs_fio\":%.3f,\"get_warm_vs_memcpy\":%.3f,\"batch_warm_vs_memcpy\":%.3f,\"map_copy_vs_memcpy\":%.3f,\"present_ids_per_s\":%.0f,\"zstd\":{\"ratio\":%.1f,\"put_MBps\":%.1f,\"get_MBps\":%.1f},", put / W, cold / RC, warm / mc, batch / mc, map / mc, ids, zr, zp, zg
	printf "\"MBps\":{\"put\":%.1f,\"fio_write\":%.1f,\"get_cold\":%.1f,\"fio_read_cold\":%.1f,\"get_warm\":%.1f,\"batch_warm\":%.1f,\"map_copy\":%.1f,\"memcpy\":%.1f}}\n", put / 1e6, W / 1e6, cold / 1e6, RC / 1e6, warm / 1e6, batch / 1e6, map / 1e6, mc / 1e6
}' $OUT/lib.jsonl > $OUT/lib.out || { echo "not ok - bench: library ratios"; exit 1; }
	grep '^#' $OUT/lib.out
	grep -v '^#' $OUT/lib.out > $OUT/lib.json
}

# The M x N shuffle (tools/scratch-shufflebench.c): scratch atom arrays on nvme0n1 against
# Spark's data + index files and one file per part, on ext4 on the identical nvme1n1.  Each
# shape runs SC_BENCH_SHUFFLE_REPS times (default 3), the three layouts interleaved in each
# round; the table holds the median of each round's ratio and the spread.
bench_shuffle() {
	if ! { [ -b /dev/nvme1n1 ] && sc_fs_load && mkdir -p /mnt/ext4 &&
		mount -t ext4 /dev/nvme1n1 /mnt/ext4; }; then
		echo "not ok - bench: the shuffle needs the ext4 drive nvme1n1"
		exit 1
	fi
	: > $OUT/shuffle.jsonl
	for shape in ${SC_BENCH_SHUFFLE_SHAPES:-32x32x4096 32x32x65536 32x32x1048576 128x128x4096 128x128x65536}; do
		set -- $(echo "$shape" | tr x ' ')
		echo "# bench: shuffle $1 x $2, parts of $3 bytes"
		for r in $(seq "${SC_BENCH_SHUFFLE_REPS:-3}"); do
			scratchctl attach --format --seg-size 256M $D > /dev/null ||
				{ echo "not ok - bench: attach"; exit 1; }
			/bench/scratch-shufflebench scratch /dev/scratch0 "$@" >> $OUT/shuffle.jsonl ||
				{ echo "not ok - bench: shuffle, scratch, $shape"; exit 1; }
			scratchctl detach 0 > /dev/null || { echo "not ok - bench: detach"; exit 1; }
			for l in spark spark_checksum files; do
				mkdir -p /mnt/ext4/shuffle
				/bench/scratch-shufflebench $l /mnt/ext4/shuffle "$@" >> $OUT/shuffle.jsonl ||
					{ echo "not ok - bench: shuffle, $l, $shape"; exit 1; }
				rm -rf /mnt/ext4/shuffle
			done
			tail -n 4 $OUT/shuffle.jsonl | sed 's/^/#   /'
		done
	done
	umount /mnt/ext4
	awk '
function val(line, key) { if (match(line, "\"" key "\":[0-9.]+")) return substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3); return 0 }
function lay(line) { match(line, "\"layout\":\"[a-z_]+\""); return substr(line, RSTART + 10, RLENGTH - 11) }
function med(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
{
	k = val($0, "M") "x" val($0, "N") "x" val($0, "part_bytes"); l = lay($0); s = val($0, "seconds")
	if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
	if (l == "scratch") { r = ++rounds[k]; sc[k, r] = s; pps[k, r] = val($0, "parts_per_s") }
	else t[k, l, rounds[k]] = s
}
END {
	printf "# %-22s %8s %16s %16s %16s   %s\n", "shuffle M x N x part", "scratch", "vs Spark layout", "vs Spark 3.2+", "vs file per part", "(speedups: median, min..max over rounds; scratch in parts/s)" > "/dev/stderr"
	printf "{"
	for (i = 1; i <= nk; i++) {
		k = order[i]; n = rounds[k]
		for (r = 1; r <= n; r++) { a[r] = t[k, "spark", r] / sc[k, r]; c[r] = t[k, "spark_checksum", r] / sc[k, r]; b[r] = t[k, "files", r] / sc[k, r]; p[r] = pps[k, r] }
		amin = bmin = cmin = 1e9; amax = bmax = cmax = 0
		for (r = 1; r <= n; r++) { if (a[r] < amin) amin = a[r]; if (a[r] > amax) amax = a[r]; if (b[r] < bmin) bmin = b[r]; if (b[r] > bmax) bmax = b[r]; if (c[r] < cmin) cmin = c[r]; if (c[r] > cmax) cmax = c[r] }
		ma = med(a, n); mb = med(b, n); mc = med(c, n); mp = med(p, n)
		printf "# %-22s %8.0f %6.2f %4.2f..%-4.2f %6.2f %4.2f..%-4.2f %6.2f %4.2f..%-4.2f\n", k, mp, ma, amin, amax, mc, cmin, cmax, mb, bmin, bmax > "/dev/stderr"
		printf "%s\"%s\":{\"vs_spark\":{\"median\":%.3f,\"min\":%.3f,\"max\":%.3f},\"vs_spark_checksum\":{\"median\":%.3f,\"min\":%.3f,\"max\":%.3f},\"vs_files\":{\"median\":%.3f,\"min\":%.3f,\"max\":%.3f},\"scratch_parts_per_s\":%.0f,\"rounds\":%d}", (i > 1 ? "," : ""), k, ma, amin, amax, mc, cmin, cmax, mb, bmin, bmax, mp, n
	}
	printf "}\n"
}' $OUT/shuffle.jsonl > $OUT/shuffle.json 2> $OUT/shuffle.out || { echo "not ok - bench: shuffle ratios"; exit 1; }
	cat $OUT/shuffle.out
}

# Reload time (tests/vm/guest/reload.sh): its BENCH-JSON lines become one array.
bench_reload() {
	/guest/reload.sh "$D" > $OUT/reload.out 2>&1
	rc=$?
	grep -v '^BENCH-JSON' $OUT/reload.out
	sed -n 's/^BENCH-JSON //p' $OUT/reload.out | paste -sd, > $OUT/reload.json
	[ $rc -eq 0 ] || { echo "not ok - bench: reload"; exit 1; }
}

# RAM of the index per atom (tools/scratch-rambench.c), KiB:count a run, each on a fresh
# space: 64 KiB, 1 MiB and 4 MiB atoms (1 GiB each), then a million 4 KiB atoms.  Before
# the sync every record is in RAM; after it, sealed segments keep 16 bytes an atom.
# Segments take one atom per 16 KiB of payload, so the million 4 KiB atoms need 64
# segments of 256 MiB: the bench drive is 20 GiB for it (sparse, 4 GiB written).
bench_ram() {
	: > $OUT/ram.jsonl
	for run in ${SC_BENCH_RAM:-64:16384 1024:1024 4096:256 4:1048576}; do
		kib=${run%%:*} count=${run#*:}
		echo "# bench: atom_ram, $count atoms of $kib KiB"
		dropc
		scratchctl attach --format --seg-size 256M $D > /dev/null || { echo "not ok - bench: attach"; exit 1; }
		/bench/scratch-rambench /dev/scratch0 "$kib" "$count" >> $OUT/ram.jsonl ||
			{ echo "not ok - bench: scratch-rambench $kib KiB"; exit 1; }
		scratchctl detach 0 > /dev/null || { echo "not ok - bench: detach"; exit 1; }
	done
	awk '
function val(line, key) { if (match(line, "\"" key "\":[0-9.]+")) return substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3); return 0 }
BEGIN { printf "# %-10s %8s %9s %9s %7s %13s %9s %9s %9s\n", "atom", "atoms", "B unsync", "B synced", "put s", "present ids/s", "stat RAM", "stat pc", "stat cold" }
{
	printf "# %6.0f KiB %8d %9.2f %9.2f %7.1f %13.0f %9.0f %9.0f %9.0f\n", val($0, "atom_bytes") / 1024, val($0, "atoms"), val($0, "per_atom_unsynced"), val($0, "per_atom"), val($0, "put_seconds"), val($0, "present_ids_per_s"), val($0, "stat_ram_per_s"), val($0, "stat_warm_per_s"), val($0, "stat_cold_per_s")
}' $OUT/ram.jsonl
	paste -sd, $OUT/ram.jsonl > $OUT/ram.json
}

json=
want module && { bench_module; json="$json${json:+,}\"module\":$(cat $OUT/module.json)"; }
want lib && { bench_lib; json="$json${json:+,}\"library\":$(cat $OUT/lib.json)"; }
want shuffle && { bench_shuffle; json="$json${json:+,}\"shuffle\":$(cat $OUT/shuffle.json)"; }
want reload && { bench_reload; json="$json${json:+,}\"reload\":[$(cat $OUT/reload.json)]"; }
want ram && { bench_ram; json="$json${json:+,}\"atom_ram\":[$(cat $OUT/ram.json)]"; }
echo "BENCH-JSON {$json}"
echo "ok - bench"
