// SPDX-License-Identifier: GPL-2.0
/*
 * scratch-rambench: the index's RAM per atom at scale, for `make bench`.
 * Writes COUNT atoms of ATOM_KIB KiB, reads atom_ram before and after the
 * sync that settles the sealed segments, then times presence checks over
 * every id and STAT of a sample: before the sync (every record in RAM),
 * after it (records read back from table pages in the page cache), and with
 * the page cache dropped.  One JSON object on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <uapi/scratch.h>

#define STAT_SAMPLE	4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "scratch-rambench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd < 0 || write(fd, "3\n", 2) != 2)
		die("drop_caches");
	close(fd);
}

static void info(int fd, struct scratch_info *in)
{
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	if (ioctl(fd, SCRATCH_IOC_INFO, in))
		die("info");
}

/* Presence of all @n ids, SCRATCH_PRESENT_MAX a call: seconds, best of 3. */
static double present_all(int fd, const struct scratch_id *ids, uint64_t n, uint8_t *res)
{
	double best = 0;
	int rep;

	for (rep = 0; rep < 3; rep++) {
		double t0 = now(), t;
		uint64_t done, found = 0;

		for (done = 0; done < n; done += SCRATCH_PRESENT_MAX) {
			uint64_t k = n - done < SCRATCH_PRESENT_MAX ? n - done : SCRATCH_PRESENT_MAX;
			struct scratch_present p = {
				.size = sizeof(p), .count = k,
				.ids_addr = (uintptr_t)(ids + done),
				.results_addr = (uintptr_t)(res + done),
			};
			int r = ioctl(fd, SCRATCH_IOC_PRESENT, &p);

			if (r < 0)
				die("present");
			found += r;
		}
		t = now() - t0;
		if (found != n) {
			errno = ENOENT;
			die("present: atoms missing");
		}
		if (!rep || t < best)
			best = t;
	}
	return best;
}

/* STAT of a sample of ids spread over the space: calls per second. */
static double stat_sample(int fd, const struct scratch_id *ids, uint64_t n)
{
	uint64_t i, step = n > STAT_SAMPLE ? n / STAT_SAMPLE : 1, calls = 0;
	double t0 = now();

	for (i = 0; i < n; i += step, calls++) {
		struct scratch_stat st = { .size = sizeof(st), .id = ids[i] };

		if (ioctl(fd, SCRATCH_IOC_STAT, &st))
			die("stat");
	}
	return calls / (now() - t0);
}

int main(int argc, char **argv)
{
	struct scratch_info before, after;
	struct scratch_id *ids;
	uint64_t size, n, i;
	double t0, put_s, pres_s, stat_ram, stat_warm, stat_cold;
	uint64_t xxh;
	uint8_t *res;
	char *buf;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: scratch-rambench /dev/scratchN ATOM_KIB COUNT\n");
		return 2;
	}
	size = strtoull(argv[2], NULL, 0) << 10;
	n = strtoull(argv[3], NULL, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die(argv[1]);
	ids = calloc(n, sizeof(*ids));
	res = malloc(n);
	buf = malloc(size);
	if (!ids || !res || !buf || !size || !n)
		die("arguments or malloc");
	for (i = 0; i < size; i++)
		buf[i] = (char)(i * 2654435761u >> 13);
	xxh = XXH64(buf, size, 0);

	t0 = now();
	for (i = 0; i < n; i++) {
		struct scratch_reserve r = { .size = sizeof(r), .stored_len = size };
		struct scratch_commit c = { .size = sizeof(c), .length = size, .xxh64 = xxh };

		if (ioctl(fd, SCRATCH_IOC_RESERVE, &r))
			die("reserve");
		if (pwrite(fd, buf, size, r.offset) != (ssize_t)size)
			die("pwrite");
		c.id = r.id;
		if (ioctl(fd, SCRATCH_IOC_COMMIT, &c))
			die("commit");
		ids[i] = r.id;
	}
	info(fd, &before);
	put_s = now() - t0;
	stat_ram = stat_sample(fd, ids, n);
	t0 = now();
	if (ioctl(fd, SCRATCH_IOC_SYNC))
		die("sync");
	put_s += now() - t0;
	info(fd, &after);
	if (after.atoms != n) {
		fprintf(stderr, "scratch-rambench: %llu atoms of %llu left: the drive is too small\n",
			(unsigned long long)after.atoms, (unsigned long long)n);
		return 1;
	}
	pres_s = present_all(fd, ids, n, res);
	stat_warm = stat_sample(fd, ids, n);
	drop_caches();
	stat_cold = stat_sample(fd, ids, n);

	printf("{\"phase\":\"atom_ram\",\"atom_bytes\":%llu,\"atoms\":%llu,"
	       "\"atom_ram_unsynced\":%llu,\"atom_ram\":%llu,"
	       "\"per_atom_unsynced\":%.2f,\"per_atom\":%.2f,\"put_seconds\":%.1f,"
	       "\"present_ids_per_s\":%.0f,\"stat_ram_per_s\":%.0f,\"stat_warm_per_s\":%.0f,"
	       "\"stat_cold_per_s\":%.0f}\n",
	       (unsigned long long)size, (unsigned long long)n,
	       (unsigned long long)before.atom_ram_bytes, (unsigned long long)after.atom_ram_bytes,
	       (double)before.atom_ram_bytes / n, (double)after.atom_ram_bytes / n, put_s,
	       n / pres_s, stat_ram, stat_warm, stat_cold);
	close(fd);
	return 0;
}
