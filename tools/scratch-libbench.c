// SPDX-License-Identifier: GPL-2.0
/*
 * scratch-libbench: the library's side of `make bench` inside the guest.
 * Puts, queued gets (cold and warm), batch gets, maps, presence checks and
 * zstd on a bit-packed boolean vector, through libscratch only; one JSON
 * object per phase.  The guest script adds fio baselines of the same drive.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <scratch.h>

#define QD		16
#define RING_BYTES	(64ULL << 20)
#define SRC_BYTES	(256ULL << 20)
#define PRESENT_IDS	(1U << 20)
#define ZSTD_BYTES	(64ULL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "scratch-libbench: %s: %s\n", what, strerror(-err));
	exit(1);
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd < 0 || write(fd, "3\n", 2) != 2)
		die("drop_caches", -5);
	close(fd);
}

static void report(const char *phase, uint64_t atom, uint64_t bytes, double secs)
{
	printf("{\"phase\":\"%s\",\"atom_bytes\":%llu,\"bytes\":%llu,\"seconds\":%.4f,\"MBps\":%.1f}\n",
	       phase, (unsigned long long)atom, (unsigned long long)bytes, secs, bytes / secs / 1e6);
	fflush(stdout);
}

static double put_all(struct scratch *s, struct scratch_id *ids, int n, uint64_t size,
		      const char *src)
{
	double t0 = now();
	int i, r;

	for (i = 0; i < n; i++) {
		r = scratch_atom_put(s, src + (i * size) % (SRC_BYTES - size + 1) / 4096 * 4096,
				     size, 0, 0, &ids[i]);
		if (r)
			die("put", r);
	}
	r = scratch_space_sync(s);
	if (r)
		die("sync", r);
	return now() - t0;
}

/* QD gets in flight on one async queue, refilled as they complete. */
static double get_queued(struct scratch *s, const struct scratch_id *ids, int n, uint64_t size,
			 char *dst)
{
	struct scratch_completion c[QD];
	struct scratch_queue *q;
	int next = 0, done = 0, r, i;
	double t0;

	r = scratch_queue_init(s, QD, 0, &q);
	if (r)
		die("queue_init", r);
	t0 = now();
	while (done < n) {
		while (next < n && scratch_queue_inflight(q) < QD) {
			r = scratch_queue_get(q, ids[next], dst + (next % QD) * size, size, 0, next);
			if (r)
				die("queue_get", r);
			next++;
		}
		scratch_queue_submit(q);
		r = scratch_queue_reap(q, c, QD, 1);
		if (r < 0)
			die("reap", r);
		for (i = 0; i < r; i++)
			if (c[i].res || c[i].len != size)
				die("get", c[i].res ? c[i].res : -5);
		done += r;
	}
	scratch_queue_exit(q);
	return now() - t0;
}

/* scratch_atom_get_batch(), QD atoms per call. */
static double get_batches(struct scratch *s, const struct scratch_id *ids, int n, uint64_t size,
			  char *dst)
{
	struct scratch_get g[QD];
	double t0 = now();
	int i, k, r;

	for (i = 0; i < n; i += QD) {
		for (k = 0; k < QD && i + k < n; k++)
			g[k] = (struct scratch_get){ .id = ids[i + k], .buf = dst + k * size,
						     .cap = size };
		r = scratch_atom_get_batch(s, g, k, 0);
		if (r != k)
			die("get_batch", r < 0 ? r : -5);
	}
	return now() - t0;
}

/* Map each atom and copy its bytes out: the same work as the memcpy baseline. */
static double map_copy(struct scratch *s, const struct scratch_id *ids, int n, uint64_t size,
		       char *dst)
{
	double t0 = now();
	struct scratch_map *m;
	int i, r;

	for (i = 0; i < n; i++) {
		r = scratch_atom_map(s, ids[i], 0, &m);
		if (r)
			die("map", r);
		memcpy(dst + (i % QD) * size, scratch_map_data(m), scratch_map_len(m));
		scratch_map_release(m);
	}
	return now() - t0;
}

static double memcpy_rate(char *dst, const char *src, uint64_t size, uint64_t total)
{
	double t0 = now();
	uint64_t done;
	int i = 0;

	for (done = 0; done < total; done += size, i++)
		memcpy(dst + (i % QD) * size, src + done % (SRC_BYTES - size + 1) / 4096 * 4096, size);
	return now() - t0;
}

static void present(struct scratch *s, const struct scratch_id *ids, int n)
{
	struct scratch_id *many = malloc(sizeof(*many) * PRESENT_IDS);
	uint8_t *here = malloc(PRESENT_IDS);
	double t0, best = 1e9;
	unsigned int i;
	int r, rep;

	if (!many || !here)
		die("malloc", -12);
	for (i = 0; i < PRESENT_IDS; i++)
		many[i] = ids[i % n];
	for (rep = 0; rep < 5; rep++) {
		t0 = now();
		r = scratch_atom_present(s, many, PRESENT_IDS, here);
		if (r != (int)PRESENT_IDS)
			die("present", r < 0 ? r : -5);
		if (now() - t0 < best)
			best = now() - t0;
	}
	printf("{\"phase\":\"present\",\"ids\":%u,\"seconds\":%.5f,\"ids_per_s\":%.0f}\n",
	       PRESENT_IDS, best, PRESENT_IDS / best);
	free(many);
	free(here);
}

/* A bit-packed boolean vector with long runs (geometric, mean ~2000 bits). */
static void booleans(unsigned char *p, uint64_t bytes)
{
	uint64_t bit = 0, x = 88172645463325252ULL;
	int v = 0;

	memset(p, 0, bytes);
	while (bit < bytes * 8) {
		uint64_t run;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		run = 1 + x % 4000;
		for (; run && bit < bytes * 8; run--, bit++)
			if (v)
				p[bit / 8] |= (unsigned char)(1u << (bit % 8));
		v ^= 1;
	}
}

static void zstd(struct scratch *s)
{
	unsigned char *in = malloc(ZSTD_BYTES), *out = malloc(ZSTD_BYTES);
	struct scratch_atom_info info;
	struct scratch_id id;
	double t0, tput, tget;
	uint64_t len;
	int r;

	if (!in || !out)
		die("malloc", -12);
	booleans(in, ZSTD_BYTES);
	t0 = now();
	r = scratch_atom_put(s, in, ZSTD_BYTES, 0, SCRATCH_PUT_ZSTD, &id);
	tput = now() - t0;
	if (r)
		die("put zstd", r);
	t0 = now();
	r = scratch_atom_get(s, id, out, ZSTD_BYTES, 0, &len);
	tget = now() - t0;
	if (r || len != ZSTD_BYTES || memcmp(in, out, ZSTD_BYTES))
		die("get zstd", r ? r : -74);
	r = scratch_atom_stat(s, id, &info, sizeof(info));
	if (r)
		die("stat", r);
	printf("{\"phase\":\"zstd\",\"bytes\":%llu,\"stored\":%llu,\"ratio\":%.1f,"
	       "\"put_MBps\":%.1f,\"get_MBps\":%.1f}\n", (unsigned long long)ZSTD_BYTES,
	       (unsigned long long)info.stored_len, (double)ZSTD_BYTES / info.stored_len,
	       ZSTD_BYTES / tput / 1e6, ZSTD_BYTES / tget / 1e6);
	free(in);
	free(out);
}

/*
 * What a user would build instead (the reference system's design): one large
 * file on ext4, mapped; blocks appended by memcpy into the mapping, msync +
 * fsync at the end; read back by copying out of the mapping, warm.  The same
 * bytes and block size as the atoms.
 */
static int ext4_lokad(const char *path, uint64_t size, uint64_t total, const char *src, char *dst)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), i, n = (int)(total / size);
	double t0, tw, tr;
	char *map;

	if (fd < 0 || posix_fallocate(fd, 0, (off_t)total))
		die(path, -5);
	map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap ext4 file", -5);
	t0 = now();
	for (i = 0; i < n; i++)
		memcpy(map + (uint64_t)i * size,
		       src + (i * size) % (SRC_BYTES - size + 1) / 4096 * 4096, size);
	if (msync(map, total, MS_SYNC) || fsync(fd))
		die("msync ext4 file", -5);
	tw = now() - t0;
	t0 = now();
	for (i = 0; i < n; i++)
		memcpy(dst + (i % QD) * size, map + (uint64_t)i * size, size);
	tr = now() - t0;
	report("ext4_mmap_write", size, total, tw);
	report("ext4_mmap_read_warm", size, total, tr);
	munmap(map, total);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct scratch_id *ids;
	uint64_t size, total;
	struct scratch *s;
	char *src, *dst;
	int n, r;
	uint64_t i;

	if (argc != 4 && !(argc == 5 && !strcmp(argv[1], "--ext4"))) {
		fprintf(stderr, "usage: scratch-libbench [--ext4 FILE | /dev/scratchN] ATOM_MIB TOTAL_MIB\n");
		return 2;
	}
	size = strtoull(argv[argc - 2], NULL, 0) << 20;
	total = strtoull(argv[argc - 1], NULL, 0) << 20;
	n = (int)(total / size);
	ids = calloc(n, sizeof(*ids));
	src = malloc(SRC_BYTES);
	dst = malloc(RING_BYTES > QD * size ? RING_BYTES : QD * size);
	if (!ids || !src || !dst)
		die("malloc", -12);
	for (i = 0; i < SRC_BYTES; i++)
		src[i] = (char)(i * 2654435761u >> 13);
	memset(dst, 0, RING_BYTES > QD * size ? RING_BYTES : QD * size);
	if (argc == 5)
		return ext4_lokad(argv[2], size, total, src, dst);
	r = scratch_space_open(argv[1], 0, 0, QD, &s);
	if (r)
		die(argv[1], r);

	report("lib_put", size, n * size, put_all(s, ids, n, size, src));
	drop_caches();
	report("lib_get_cold", size, n * size, get_queued(s, ids, n, size, dst));
	report("lib_get_warm", size, n * size, get_queued(s, ids, n, size, dst));
	report("lib_batch_warm", size, n * size, get_batches(s, ids, n, size, dst));
	report("lib_map_copy", size, n * size, map_copy(s, ids, n, size, dst));
	report("lib_memcpy", size, n * size, memcpy_rate(dst, src, size, n * size));
	present(s, ids, n);
	zstd(s);
	scratch_space_close(s);
	return 0;
}
