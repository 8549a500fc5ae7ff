// SPDX-License-Identifier: GPL-2.0
/*
 * reloadload: build a space of a given shape and time its reload, for the
 * reload bench (tests/vm/guest/reload.sh).
 *
 *   reloadload [options] DEV
 *	--offset-mib O --region-mib L	the region (default: 0, the whole device)
 *	--seg-shift S			segment size 2^S (default 20: 1 MiB)
 *	--segs N			segments to fill (default: none)
 *	--per-seg K			atoms of --atom-bytes per filled segment
 *	--atom-bytes B			(default 4096: one page each)
 *	--reloads R			reloads to time (default 5)
 *	--name NAME			the case's name in the output
 *	--no-zero			keep the region's old contents (see below)
 *
 * Zeroes the region (BLKZEROOUT), formats it, fills N segments with K atoms each (a segment that
 * still has room after K atoms is closed by a reservation of the rest,
 * aborted: nothing else lands in it), syncs and detaches; then R times:
 * drop caches, attach without FORMAT, read INFO (reload_us, atoms,
 * segments), check the atom count, detach.  Prints readable lines and one
 *	BENCH-JSON {"phase":"reload","case":NAME,...}
 * Exit 1 on any failure.
 *
 * Why zero first: the same starting point for every case.  A format writes
 * only the superblocks, so the record tables left by an earlier space stay
 * on the same sectors; before seqs started at an origin drawn from the
 * space's uuid (sc_seq_origin()), they passed for the new space's own on
 * reload.  --no-zero keeps them: a reload that finds more atoms than were
 * written fails the case (the regression test for that bug).
 */
#include "scratch_test.h"

static struct {
	const char *dev, *name;
	struct st_load_opts r;	/* the region (default: the whole device), its segment size */
	__u64 segs, per_seg, atom_bytes;
	unsigned int reloads;
	bool no_zero;
} cfg = {
	.r = { .shift = 20 },
	.atom_bytes = ST_PAGE,
	.reloads = 5,
	.name = "reload",
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what, int r)
{
	printf("not ok - reload %s: %s: %s\n", cfg.name, what, strerror(r < 0 ? -r : r));
	return 1;
}

static void drop_caches(void)
{
	int fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1)
			perror("drop_caches");
		close(fd);
	}
	fd = open(cfg.dev, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

/* Record slots per segment, as the on-disk format derives them (one per four pages). */
static __u64 nr_slots(unsigned int shift)
{
	__u64 slots = (1ULL << (shift - 12)) / 4;

	return ST_ROUND_UP(slots < 64 ? 64 : slots, 64);
}

/* Fill: K atoms in each of N segments.  Returns 0 or -errno; *atoms counts them. */
static int fill(int fd, __u64 *atoms, double *secs)
{
	__u64 seg_size = 1ULL << cfg.r.shift, s, k, cur = ~0ULL, off, xxh;
	unsigned char *buf;
	struct scratch_id id;
	double t0 = now_s();
	int r;

	if (posix_memalign((void **)&buf, ST_PAGE, ST_ROUND_UP(cfg.atom_bytes, ST_PAGE)))
		return -ENOMEM;
	memset(buf, 0x5a, cfg.atom_bytes);
	xxh = XXH64(buf, cfg.atom_bytes, 0);
	*atoms = 0;
	for (s = 0; s < cfg.segs; s++) {
		for (k = 0; k < cfg.per_seg; k++) {
			r = st_reserve(fd, cfg.atom_bytes, 0, &id, &off);
			if (r)
				goto out;
			if (k == 0)
				cur = off >> cfg.r.shift;
			else if (off >> cfg.r.shift != cur) {
				/* The segment ran out of slots or pages before K atoms. */
				r = -ENOSPC;
				st_abort(fd, &id);
				goto out;
			}
			r = st_write(fd, buf, cfg.atom_bytes, off);
			if (!r)
				r = st_commit(fd, &id, cfg.atom_bytes, xxh, 1, 0);
			if (r)
				goto out;
			(*atoms)++;
		}
		/*
		 * Close the segment: reserve what is left of it and give it back
		 * (when a slot is left for that reservation).
		 */
		if (cfg.per_seg && cfg.per_seg < nr_slots(cfg.r.shift)) {
			__u64 end = (cur + 1) * seg_size;
			__u64 used = ST_ROUND_UP(off + cfg.atom_bytes, ST_PAGE);

			if (used < end && st_reserve(fd, end - used, 0, &id, &off) == 0)
				st_abort(fd, &id);
		}
	}
	r = st_sync(fd);
out:
	*secs = now_s() - t0;
	free(buf);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* An option of reloadload's own (st_load_getopt() parses the region's). */
static int option(int c, char *arg)
{
	switch (c) {
	case 'n': cfg.segs = strtoull(arg, NULL, 0); break;
	case 'k': cfg.per_seg = strtoull(arg, NULL, 0); break;
	case 'b': cfg.atom_bytes = strtoull(arg, NULL, 0); break;
	case 'r': cfg.reloads = atoi(arg); break;
	case 'N': cfg.name = arg; break;
	case 'Z': cfg.no_zero = true; break;
	default: return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "segs", required_argument, NULL, 'n' },
		{ "per-seg", required_argument, NULL, 'k' },
		{ "atom-bytes", required_argument, NULL, 'b' },
		{ "reloads", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'N' },
		{ "no-zero", no_argument, NULL, 'Z' },
		{ NULL, 0, NULL, 0 },
	};
	struct scratch_info info;
	struct st_region reg;
	__u64 atoms = 0, us[32], sum = 0;
	double fill_s = 0;
	unsigned int i;
	__u32 space;
	int fd, r;

	if (st_load_getopt(argc, argv, opts, &cfg.r, option))
		return 2;
	if (optind + 1 != argc || !cfg.reloads || cfg.reloads > 32 || !cfg.atom_bytes) {
		fprintf(stderr, "usage: reloadload [--offset-mib O] [--region-mib L] [--seg-shift S] "
			"[--segs N --per-seg K [--atom-bytes B]] [--reloads R] [--name NAME] [--no-zero] DEV\n");
		return 2;
	}
	cfg.dev = argv[optind];
	reg = (struct st_region){ cfg.dev, cfg.r.offset, cfg.r.length };

	if (!cfg.no_zero) {
		__u64 range[2] = { cfg.r.offset, cfg.r.length };

		fd = open(cfg.dev, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return fail("open the device", -errno);
		if (!range[1] && ioctl(fd, BLKGETSIZE64, &range[1]) == 0)
			range[1] -= cfg.r.offset;
		if (ioctl(fd, BLKZEROOUT, range) < 0)
			return fail("BLKZEROOUT", -errno);
		close(fd);
	}
	r = st_attach(&reg, 1, cfg.r.shift, true, &space);
	if (r)
		return fail("format", r);
	fd = st_open(space, -1);
	if (fd < 0)
		return fail("open", fd);
	r = fill(fd, &atoms, &fill_s);
	if (r)
		return fail("fill", r);
	r = st_info(fd, &info);
	st_close(fd);
	if (r)
		return fail("INFO", r);
	if (info.evictions)
		return fail("fill evicted segments (region too small)", EFBIG);
	r = st_detach(space);
	if (r)
		return fail("detach", r);
	printf("# reload %s: %llu segments of %llu KiB, %llu filled with %llu atoms of %llu bytes "
	       "in %.1fs\n", cfg.name, (unsigned long long)info.nr_segments,
	       (unsigned long long)(1ULL << cfg.r.shift) >> 10, (unsigned long long)cfg.segs,
	       (unsigned long long)atoms, (unsigned long long)cfg.atom_bytes, fill_s);

	for (i = 0; i < cfg.reloads; i++) {
		drop_caches();
		r = st_attach(&reg, 1, 0, false, &space);
		if (r)
			return fail("reload", r);
		fd = st_open(space, -1);
		if (fd < 0)
			return fail("open after reload", fd);
		r = st_info(fd, &info);
		st_close(fd);
		if (r)
			return fail("INFO after reload", r);
		if (info.atoms != atoms) {
			printf("not ok - reload %s: %llu atoms after reload, %llu written\n", cfg.name,
			       (unsigned long long)info.atoms, (unsigned long long)atoms);
			return 1;
		}
		us[i] = info.reload_us;
		sum += us[i];
		r = st_detach(space);
		if (r)
			return fail("detach after reload", r);
	}
	qsort(us, cfg.reloads, sizeof(us[0]), cmp_u64);
	printf("# reload %s: %llu segments, %llu atoms: reload_us min %llu, median %llu, max %llu\n",
	       cfg.name, (unsigned long long)info.nr_segments, (unsigned long long)atoms,
	       (unsigned long long)us[0], (unsigned long long)us[cfg.reloads / 2],
	       (unsigned long long)us[cfg.reloads - 1]);
	printf("BENCH-JSON {\"phase\":\"reload\",\"case\":\"%s\",\"seg_bytes\":%llu,"
	       "\"segments\":%llu,\"filled_segments\":%llu,\"atoms\":%llu,\"atom_bytes\":%llu,"
	       "\"table_pages\":%llu,\"reload_us_min\":%llu,\"reload_us_median\":%llu,"
	       "\"reload_us_mean\":%llu,\"reloads\":%u}\n", cfg.name,
	       (unsigned long long)(1ULL << cfg.r.shift), (unsigned long long)info.nr_segments,
	       (unsigned long long)cfg.segs, (unsigned long long)atoms,
	       (unsigned long long)cfg.atom_bytes,
	       (unsigned long long)(nr_slots(cfg.r.shift) / 64),
	       (unsigned long long)us[0], (unsigned long long)us[cfg.reloads / 2],
	       (unsigned long long)(sum / cfg.reloads), cfg.reloads);
	return 0;
}
