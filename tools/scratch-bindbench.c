// SPDX-License-Identifier: GPL-2.0
/*
 * scratch-bindbench: the C side of the Python binding's benchmark
 * (python/bench/binding.py runs the same loops through the binding).
 * Stores N atoms of SIZE bytes, then times, over ROUNDS passes of all of
 * them in the page cache: scratch_atom_get() into one buffer, and
 * scratch_atom_map() + memcpy of the whole atom + release.  One JSON object
 * per phase.  Linked to libscratch.so.1, the library the binding loads.
 *
 * Usage: scratch-bindbench SPACE SIZE N ROUNDS
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scratch.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "scratch-bindbench: %s: %s\n", what, strerror(-err));
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Throughput over the whole loop, and the median call (robust to a stall of the VM). */
static void report(const char *phase, uint64_t size, uint64_t calls, double secs, double *lat)
{
	qsort(lat, calls, sizeof(*lat), cmp_double);
	printf("{\"phase\":\"%s\",\"side\":\"c\",\"atom_bytes\":%llu,\"calls\":%llu,"
	       "\"seconds\":%.4f,\"MBps\":%.1f,\"call_us_median\":%.1f}\n", phase,
	       (unsigned long long)size, (unsigned long long)calls, secs, size * calls / secs / 1e6,
	       lat[calls / 2] * 1e6);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct scratch_id *ids;
	struct scratch *s;
	uint64_t size, len;
	char *src, *dst;
	int n, rounds, i, r, ret;
	double t0, t, *lat;

	if (argc != 5) {
		fprintf(stderr, "usage: scratch-bindbench SPACE SIZE N ROUNDS\n");
		return 2;
	}
	size = strtoull(argv[2], NULL, 0);
	n = atoi(argv[3]);
	rounds = atoi(argv[4]);
	if (!size || n <= 0 || rounds <= 0) {
		fprintf(stderr, "scratch-bindbench: SIZE, N and ROUNDS must be positive\n");
		return 2;
	}
	ret = scratch_space_open(argv[1], 0, 0, 0, &s);
	if (ret)
		die(argv[1], ret);
	ids = calloc(n, sizeof(*ids));
	src = malloc(size);
	/* 2 MiB-aligned, as binding.py's: the same huge pages (THP) on both sides. */
	if (posix_memalign((void **)&dst, 2 << 20, size))
		dst = NULL;
	lat = calloc((size_t)n * rounds, sizeof(*lat));
	if (!ids || !src || !dst || !lat)
		die("malloc", -ENOMEM);
	for (i = 0; i < n; i++) {
		memset(src, 'a' + i % 26, size);
		ret = scratch_atom_put(s, src, size, 0, 0, &ids[i]);
		if (ret)
			die("put", ret);
	}

	t0 = now();
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++) {
			t = now();
			ret = scratch_atom_get(s, ids[i], dst, size, 0, &len);
			lat[r * n + i] = now() - t;
			if (ret || len != size || dst[size - 1] != 'a' + i % 26)
				die("get", ret ? ret : -EIO);
		}
	report("get_into", size, (uint64_t)n * rounds, now() - t0, lat);

	t0 = now();
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++) {
			struct scratch_map *m;

			t = now();
			ret = scratch_atom_map(s, ids[i], 0, &m);
			if (ret)
				die("map", ret);
			memcpy(dst, scratch_map_data(m), scratch_map_len(m));
			scratch_map_release(m);
			lat[r * n + i] = now() - t;
			if (dst[size - 1] != 'a' + i % 26)
				die("map", -EIO);
		}
	report("map_copy", size, (uint64_t)n * rounds, now() - t0, lat);

	scratch_space_close(s);
	free(lat);
	free(dst);
	free(src);
	free(ids);
	return 0;
}
