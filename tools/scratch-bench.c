// SPDX-License-Identifier: GPL-2.0
/*
 * scratch-bench: measures the scratch side of `make bench` inside the guest
 * (atom writes by pwrite and through io_uring at QD16, cold and warm
 * io_uring reads, four parallel readers, mmap reads, memcpy baseline) and
 * prints one JSON object per phase; the guest script adds fio baselines.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <uapi/scratch.h>

#define CHUNK		(1ULL << 20)
#define QD		16
/*
 * Baselines stream from a source larger than any CPU cache, chunk by chunk
 * into the same destination ring the reads use: the same bytes moved the
 * same way, minus the page cache.
 */
#define SRC_BYTES	(256ULL << 20)
#define RING_BYTES	(64ULL << 20)

struct atom {
	struct scratch_id id;
	uint64_t off;
	uint64_t len;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "scratch-bench: %s: %s\n", what, strerror(errno));
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

/* Write @n atoms of @size bytes each: reserve, pwrite in 1 MiB chunks, commit; then sync. */
static double put_all(int fd, struct atom *a, int n, uint64_t size, const char *buf)
{
	double t0 = now();
	int i;

	for (i = 0; i < n; i++) {
		struct scratch_reserve r = { .size = sizeof(r), .stored_len = size };
		struct scratch_commit c = { .size = sizeof(c) };
		uint64_t done;

		if (ioctl(fd, SCRATCH_IOC_RESERVE, &r))
			die("reserve");
		for (done = 0; done < size; done += CHUNK) {
			uint64_t k = size - done < CHUNK ? size - done : CHUNK;

			if (pwrite(fd, buf + done, k, r.offset + done) != (ssize_t)k)
				die("pwrite");
		}
		c.id = r.id;
		c.length = size;
		c.xxh64 = XXH64(buf, size, 0);
		if (ioctl(fd, SCRATCH_IOC_COMMIT, &c))
			die("commit");
		a[i].id = r.id;
		a[i].off = r.offset;
		a[i].len = size;
	}
	if (ioctl(fd, SCRATCH_IOC_SYNC))
		die("sync");
	return now() - t0;
}

/*
 * The same through io_uring, QD writes of 1 MiB in flight across atoms (fio's
 * QD16 baseline): atoms are reserved as their first chunk is queued and
 * committed, in order, once all their writes have completed; then sync.
 */
static double put_all_qd(int fd, struct atom *a, int n, uint64_t size, const char *buf)
{
	int *pending = calloc(n, sizeof(*pending));
	int next = 0, committed = 0, inflight = 0;
	struct io_uring ring;
	uint64_t next_off = 0;
	double t0;

	if (!pending || io_uring_queue_init(QD, &ring, 0))
		die("io_uring_queue_init");
	t0 = now();
	while (committed < n) {
		struct io_uring_cqe *cqe;
		uint64_t k;

		while (inflight < QD && next < n) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (!next_off) {
				struct scratch_reserve r = { .size = sizeof(r), .stored_len = size };

				if (ioctl(fd, SCRATCH_IOC_RESERVE, &r))
					die("reserve");
				a[next] = (struct atom){ .id = r.id, .off = r.offset, .len = size };
			}
			k = size - next_off < CHUNK ? size - next_off : CHUNK;
			io_uring_prep_write(sqe, fd, buf + next_off, k, a[next].off + next_off);
			sqe->user_data = (uint64_t)next << 32 | k;
			pending[next]++;
			inflight++;
			next_off += k;
			if (next_off == size) {
				next++;
				next_off = 0;
			}
		}
		io_uring_submit(&ring);
		if (io_uring_wait_cqe(&ring, &cqe))
			die("wait_cqe");
		if (cqe->res != (int)(uint32_t)cqe->user_data) {
			errno = cqe->res < 0 ? -cqe->res : EIO;
			die("write");
		}
		pending[cqe->user_data >> 32]--;
		inflight--;
		io_uring_cqe_seen(&ring, cqe);
		while (committed < next && !pending[committed]) {
			struct scratch_commit c = {
				.size = sizeof(c), .id = a[committed].id, .length = size,
				.xxh64 = XXH64(buf, size, 0),
			};

			if (ioctl(fd, SCRATCH_IOC_COMMIT, &c))
				die("commit");
			committed++;
		}
	}
	if (ioctl(fd, SCRATCH_IOC_SYNC))
		die("sync");
	t0 = now() - t0;
	io_uring_queue_exit(&ring);
	free(pending);
	return t0;
}

/* Read every atom whole through io_uring, QD reads of 1 MiB in flight. */
static double read_all(int fd, struct atom *a, int n, char *dst)
{
	struct io_uring ring;
	uint64_t next_off = 0, total = 0, inflight = 0;
	int ai = 0, ret;
	double t0;

	if (io_uring_queue_init(QD, &ring, 0))
		die("io_uring_queue_init");
	t0 = now();
	for (;;) {
		struct io_uring_cqe *cqe;

		while (inflight < QD && ai < n) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			uint64_t k = a[ai].len - next_off < CHUNK ? a[ai].len - next_off : CHUNK;
			uint64_t slot = inflight;

			(void)slot;
			io_uring_prep_read(sqe, fd, dst + (total + inflight * CHUNK) % RING_BYTES,
					   k, a[ai].off + next_off);
			sqe->user_data = k;
			inflight++;
			next_off += k;
			if (next_off == a[ai].len) {
				ai++;
				next_off = 0;
			}
		}
		if (!inflight)
			break;
		io_uring_submit(&ring);
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret)
			die("wait_cqe");
		if (cqe->res != (int)cqe->user_data) {
			errno = cqe->res < 0 ? -cqe->res : EIO;
			die("read");
		}
		total += cqe->res;
		inflight--;
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	return now() - t0;
}

/* Hash every atom from the drive again (VERIFY, RECHECK), one after the other. */
static double verify_all(int fd, struct atom *a, int n)
{
	double t0 = now();
	int i;

	for (i = 0; i < n; i++) {
		struct scratch_verify v = {
			.size = sizeof(v), .flags = SCRATCH_VERIFY_RECHECK, .id = a[i].id,
		};

		if (ioctl(fd, SCRATCH_IOC_VERIFY, &v))
			die("verify");
	}
	return now() - t0;
}

/*
 * Parallel readers: PAR threads, each with its own fd, each reading its own
 * run of atoms front to back in 1 MiB preads.  A file's readahead state is
 * per open file: the readers' sequential streams must not disturb each
 * other's (fio's baseline: PAR jobs over PAR ranges of the drive).
 */
#define PAR		4

struct par {
	const char *path;
	const struct atom *a;
	int n;
};

static void *par_reader(void *arg)
{
	const struct par *p = arg;
	char *buf = malloc(CHUNK);
	int fd = open(p->path, O_RDONLY), i;

	if (fd < 0 || !buf)
		die("parallel reader");
	for (i = 0; i < p->n; i++) {
		uint64_t done;

		for (done = 0; done < p->a[i].len; done += CHUNK) {
			uint64_t k = p->a[i].len - done < CHUNK ? p->a[i].len - done : CHUNK;

			if (pread(fd, buf, k, p->a[i].off + done) != (ssize_t)k)
				die("parallel read");
		}
	}
	close(fd);
	free(buf);
	return NULL;
}

static double read_par(const char *path, const struct atom *a, int n)
{
	struct par p[PAR];
	pthread_t th[PAR];
	double t0 = now();
	int t;

	for (t = 0; t < PAR; t++) {
		p[t] = (struct par){ path, a + (uint64_t)n * t / PAR,
				     (int)((uint64_t)n * (t + 1) / PAR - (uint64_t)n * t / PAR) };
		if (pthread_create(&th[t], NULL, par_reader, &p[t]))
			die("pthread_create");
	}
	for (t = 0; t < PAR; t++)
		pthread_join(th[t], NULL);
	return now() - t0;
}

/* Map every atom and read (checksum) every byte, as a consumer would. */
static double map_all(int fd, struct atom *a, int n, uint64_t *sink)
{
	double t0 = now();
	int i;

	for (i = 0; i < n; i++) {
		const void *m = mmap(NULL, a[i].len, PROT_READ, MAP_SHARED, fd, a[i].off);

		if (m == MAP_FAILED)
			die("mmap");
		*sink += XXH64(m, a[i].len, 0);
		munmap((void *)m, a[i].len);
	}
	return now() - t0;
}

static double memcpy_rate(char *dst, const char *src, uint64_t total)
{
	double t0 = now();
	uint64_t done;

	for (done = 0; done < total; done += CHUNK)
		memcpy(dst + done % RING_BYTES, src + done % SRC_BYTES, CHUNK);
	return now() - t0;
}

static double hash_rate(const char *src, uint64_t size, uint64_t total, uint64_t *sink)
{
	uint64_t done, step = size < SRC_BYTES ? size : SRC_BYTES;
	double t0 = now();

	for (done = 0; done < total; done += step)
		*sink += XXH64(src + done % (SRC_BYTES - step + 1) / 4096 * 4096, step, 0);
	return now() - t0;
}

static void report(const char *phase, uint64_t atom, uint64_t bytes, double secs)
{
	printf("{\"phase\":\"%s\",\"atom_bytes\":%llu,\"bytes\":%llu,\"seconds\":%.4f,\"MBps\":%.1f}\n",
	       phase, (unsigned long long)atom, (unsigned long long)bytes, secs,
	       bytes / secs / 1e6);
	fflush(stdout);
}

/*
 * Small reads, warm: 4 KiB preads at pseudo-random pages of the atoms, one
 * call each.  What the read path costs per call (lookup, pin, accounting,
 * the device's read_iter), apart from copying; calls per second.
 */
#define SMALL_CALLS	200000

static double small_reads(int fd, const struct atom *a, int n, char *dst, uint64_t *calls)
{
	uint64_t x = 88172645463325252ULL, i;
	double t0 = now();

	for (i = 0; i < SMALL_CALLS; i++) {
		const struct atom *t;
		uint64_t pages;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t = &a[x % (uint64_t)n];
		pages = t->len / 4096;
		if (pread(fd, dst, 4096, t->off + (x >> 20) % pages * 4096) != 4096)
			die("small read");
	}
	*calls = SMALL_CALLS;
	return now() - t0;
}

int main(int argc, char **argv)
{
	uint64_t size, total, sink = 0;
	struct scratch_info info = { .size = sizeof(info) };
	struct atom *a;
	char *buf, *dst;
	int fd, n;

	if (argc != 4) {
		fprintf(stderr, "usage: scratch-bench /dev/scratchN ATOM_MIB TOTAL_MIB\n");
		return 2;
	}
	size = strtoull(argv[2], NULL, 0) << 20;
	total = strtoull(argv[3], NULL, 0) << 20;
	n = total / size;
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die(argv[1]);
	a = calloc(n, sizeof(*a));
	buf = malloc(size > SRC_BYTES ? size : SRC_BYTES);
	dst = malloc(RING_BYTES);
	if (!a || !buf || !dst)
		die("malloc");
	for (uint64_t i = 0; i < (size > SRC_BYTES ? size : SRC_BYTES); i++)
		buf[i] = (char)(i * 2654435761u >> 13);
	memset(dst, 0, RING_BYTES);

	report("write", size, (uint64_t)n * size, put_all(fd, a, n, size, buf));
	drop_caches();
	report("read_cold", size, (uint64_t)n * size, read_all(fd, a, n, dst));
	report("read_warm", size, (uint64_t)n * size, read_all(fd, a, n, dst));
	{
		uint64_t calls;
		double secs = small_reads(fd, a, n, dst, &calls);

		printf("{\"phase\":\"small_reads\",\"atom_bytes\":%llu,\"calls\":%llu,"
		       "\"seconds\":%.4f,\"calls_per_s\":%.0f}\n", (unsigned long long)size,
		       (unsigned long long)calls, secs, calls / secs);
		fflush(stdout);
	}
	drop_caches();
	report("verify_cold", size, (uint64_t)n * size, verify_all(fd, a, n));
	drop_caches();
	report("read_cold_again", size, (uint64_t)n * size, read_all(fd, a, n, dst));
	drop_caches();
	report("read_cold_par", size, (uint64_t)n * size, read_par(argv[1], a, n));
	report("memcpy", size, (uint64_t)n * size, memcpy_rate(dst, buf, (uint64_t)n * size));
	report("map_hash", size, (uint64_t)n * size, map_all(fd, a, n, &sink));
	report("hash", size, (uint64_t)n * size, hash_rate(buf, size, (uint64_t)n * size, &sink));
	if (ioctl(fd, SCRATCH_IOC_INFO, &info))
		die("info");
	printf("{\"phase\":\"ram\",\"atom_bytes\":%llu,\"atoms\":%llu,\"atom_ram\":%llu,\"per_atom\":%.1f,\"sink\":%llu}\n",
	       (unsigned long long)size, (unsigned long long)info.atoms,
	       (unsigned long long)info.atom_ram_bytes,
	       info.atoms ? (double)info.atom_ram_bytes / info.atoms : 0.0,
	       (unsigned long long)(sink & 1));
	/* Last: its atoms would count in the RAM figure above. */
	{
		struct atom *q = calloc(n, sizeof(*q));

		if (!q)
			die("calloc");
		drop_caches();
		report("write_qd16", size, (uint64_t)n * size, put_all_qd(fd, q, n, size, buf));
		free(q);
	}
	close(fd);
	return 0;
}
