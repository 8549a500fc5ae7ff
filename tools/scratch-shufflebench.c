// SPDX-License-Identifier: GPL-2.0
/*
 * scratch-shufflebench: the M x N shuffle of `make bench`, end to end.
 *
 * M producers each write N parts of PART bytes and make them durable; then,
 * with the page cache dropped, N consumers each read part j of every
 * producer's output and check every byte.  The same work over three layouts:
 *
 *   scratch  one atom array of N parts per producer (scratch_array_put with
 *            SCRATCH_PUT_SYNC); a consumer reads its M parts in one
 *            scratch_atom_get_batch() call
 *   spark    Spark's sort-shuffle layout on a file system: per producer one
 *            data file (the N parts back to back) and one index file of N + 1
 *            64-bit offsets; a consumer opens the index, preads its two
 *            offsets, opens the data file and preads its slice
 *   spark_checksum  the same as Spark >= 3.2 writes it by default
 *            (spark.shuffle.checksum.enabled, SPARK-35276): the producer
 *            also computes an Adler32 of each part as it writes and stores
 *            the N of them in a checksum file; consumers read as for spark
 *            (Spark reads the checksums only to diagnose a corrupt block)
 *   files    one file per part, DIR/<m>/<j>; a consumer opens, reads and
 *            closes M files
 *
 * A producer of a file layout makes its files durable with one syncfs(),
 * the cheapest call that does (an fsync per file costs a journal commit
 * each).  THREADS threads (default 4) take producers, then consumers, from a
 * shared counter: the same concurrency for every layout.  Part (m, j) holds
 * 64-bit words seed * K + i, seed = m * N + j + 1: a part read from the wrong
 * place or offset fails the check.
 *
 * Usage: scratch-shufflebench scratch|spark|spark_checksum|files PATH M N PART [THREADS]
 * PATH is a space's device for scratch, a directory (emptied by the caller)
 * for the others.  One JSON object on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <scratch.h>
#include <zlib.h>

#define K		0x9e3779b97f4a7c15ULL
#define MAX_THREADS	64

enum layout { L_SCRATCH, L_SPARK, L_FILES, L_SPARK_CHECKSUM };

static struct {
	enum layout	layout;
	const char	*path;
	uint32_t	m, n;
	size_t		part;
	struct scratch	*s;
	struct scratch_id *ids;		/* scratch: producer m's array */
	atomic_uint	next;
	atomic_int	failed;
} B;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what, uint32_t m, uint32_t j, int err)
{
	/* The first failure speaks; the others stop quietly. */
	if (!atomic_fetch_add(&B.failed, 1))
		fprintf(stderr, "scratch-shufflebench: %s (producer %u, part %u): %s\n", what, m, j,
			strerror(err));
}

static void fill(uint64_t *w, size_t bytes, uint32_t m, uint32_t j)
{
	uint64_t base = ((uint64_t)m * B.n + j + 1) * K;
	size_t i;

	for (i = 0; i < bytes / 8; i++)
		w[i] = base + i;
}

static int check(const uint64_t *w, size_t bytes, uint32_t m, uint32_t j)
{
	uint64_t base = ((uint64_t)m * B.n + j + 1) * K;
	size_t i;

	for (i = 0; i < bytes / 8; i++)
		if (w[i] != base + i)
			return -EILSEQ;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t r;

	while (len) {
		r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	ssize_t r;

	while (len) {
		r = pread(fd, p, len, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		len -= (size_t)r;
		off += r;
	}
	return 0;
}

static int create_file(const char *name, const void *buf, size_t len)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write_all(fd, buf, len);
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

static int read_file(const char *name, void *buf, size_t len, off_t off)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = pread_all(fd, buf, len, off);
	close(fd);
	return ret;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (syncfs(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/* ---- producers ---------------------------------------------------------------- */

static int produce(uint32_t m, char *buf, struct iovec *iov)
{
	char name[PATH_MAX];
	uint64_t *index;
	uint32_t j;
	int ret;

	for (j = 0; j < B.n; j++) {
		fill((uint64_t *)(buf + j * B.part), B.part, m, j);
		iov[j].iov_base = buf + j * B.part;
		iov[j].iov_len = B.part;
	}
	switch (B.layout) {
	case L_SCRATCH:
		return scratch_array_put(B.s, iov, B.n, 0, SCRATCH_PUT_SYNC, &B.ids[m]);
	case L_SPARK_CHECKSUM:
		index = calloc(B.n, sizeof(*index));
		if (!index)
			return -ENOMEM;
		for (j = 0; j < B.n; j++)
			index[j] = adler32(adler32(0, NULL, 0), (const Bytef *)iov[j].iov_base,
					   (uInt)B.part);
		snprintf(name, sizeof(name), "%s/shuffle_%u.checksum.ADLER32", B.path, m);
		ret = create_file(name, index, B.n * sizeof(*index));
		free(index);
		if (ret)
			return ret;
		/* The data and index files as without checksums. */
		__attribute__((fallthrough));
	case L_SPARK:
		snprintf(name, sizeof(name), "%s/shuffle_%u.data", B.path, m);
		ret = create_file(name, buf, (size_t)B.n * B.part);
		if (ret)
			return ret;
		index = calloc(B.n + 1, sizeof(*index));
		if (!index)
			return -ENOMEM;
		for (j = 0; j <= B.n; j++)
			index[j] = (uint64_t)j * B.part;
		snprintf(name, sizeof(name), "%s/shuffle_%u.index", B.path, m);
		ret = create_file(name, index, (B.n + 1) * sizeof(*index));
		free(index);
		return ret ?: sync_dir(B.path);
	case L_FILES:
		snprintf(name, sizeof(name), "%s/%u", B.path, m);
		if (mkdir(name, 0755) && errno != EEXIST)
			return -errno;
		for (j = 0; j < B.n; j++) {
			snprintf(name, sizeof(name), "%s/%u/%u", B.path, m, j);
			ret = create_file(name, buf + j * B.part, B.part);
			if (ret)
				return ret;
		}
		return sync_dir(B.path);
	}
	return -EINVAL;
}

static void *producer(void *arg)
{
	char *buf = malloc((size_t)B.n * B.part);
	struct iovec *iov = calloc(B.n, sizeof(*iov));
	uint32_t m;
	int ret;

	(void)arg;
	if (!buf || !iov) {
		fail("malloc", 0, 0, ENOMEM);
		goto out;
	}
	while (!atomic_load(&B.failed) && (m = atomic_fetch_add(&B.next, 1)) < B.m) {
		ret = produce(m, buf, iov);
		if (ret)
			fail("write", m, 0, -ret);
	}
out:
	free(iov);
	free(buf);
	return NULL;
}

/* ---- consumers ---------------------------------------------------------------- */

static int consume_scratch(uint32_t j, char *buf, struct scratch_get *reqs)
{
	uint32_t m;
	int ret;

	for (m = 0; m < B.m; m++) {
		reqs[m] = (struct scratch_get){
			.id = scratch_array_part_id(B.ids[m], j),
			.buf = buf + (size_t)m * B.part, .cap = B.part,
		};
	}
	ret = scratch_atom_get_batch(B.s, reqs, B.m, 0);
	if (ret < 0)
		return ret;
	for (m = 0; m < B.m; m++) {
		if (reqs[m].res || reqs[m].len != B.part) {
			fail("batch get", m, j, reqs[m].res ? -reqs[m].res : EIO);
			return -EIO;
		}
	}
	return 0;
}

static int consume_files(uint32_t j, char *buf)
{
	char name[PATH_MAX];
	uint64_t off[2];
	uint32_t m;
	int ret;

	for (m = 0; m < B.m; m++) {
		char *dst = buf + (size_t)m * B.part;

		if (B.layout == L_FILES) {
			snprintf(name, sizeof(name), "%s/%u/%u", B.path, m, j);
			ret = read_file(name, dst, B.part, 0);
		} else {
			snprintf(name, sizeof(name), "%s/shuffle_%u.index", B.path, m);
			ret = read_file(name, off, sizeof(off), (off_t)j * 8);
			if (!ret && off[1] - off[0] != B.part)
				ret = -EILSEQ;
			snprintf(name, sizeof(name), "%s/shuffle_%u.data", B.path, m);
			if (!ret)
				ret = read_file(name, dst, B.part, (off_t)off[0]);
		}
		if (ret) {
			fail("read", m, j, -ret);
			return ret;
		}
	}
	return 0;
}

static void *consumer(void *arg)
{
	char *buf = malloc((size_t)B.m * B.part);
	struct scratch_get *reqs = calloc(B.m, sizeof(*reqs));
	uint32_t j, m;
	int ret;

	(void)arg;
	if (!buf || !reqs) {
		fail("malloc", 0, 0, ENOMEM);
		goto out;
	}
	while (!atomic_load(&B.failed) && (j = atomic_fetch_add(&B.next, 1)) < B.n) {
		ret = B.layout == L_SCRATCH ? consume_scratch(j, buf, reqs) : consume_files(j, buf);
		if (ret) {
			if (!atomic_load(&B.failed))
				fail("read", 0, j, -ret);
			break;
		}
		for (m = 0; m < B.m; m++) {
			if (check((uint64_t *)(buf + (size_t)m * B.part), B.part, m, j)) {
				fail("wrong bytes", m, j, EILSEQ);
				break;
			}
		}
	}
out:
	free(reqs);
	free(buf);
	return NULL;
}

static double run(void *(*fn)(void *), unsigned int threads)
{
	pthread_t t[MAX_THREADS];
	double t0 = now();
	unsigned int i;

	atomic_store(&B.next, 0);
	for (i = 0; i < threads; i++) {
		if (pthread_create(&t[i], NULL, fn, NULL)) {
			fail("pthread_create", 0, 0, EAGAIN);
			break;
		}
	}
	while (i--)
		pthread_join(t[i], NULL);
	return now() - t0;
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	sync();
	if (fd < 0 || write(fd, "3\n", 2) != 2)
		fail("drop_caches (root is needed)", 0, 0, fd < 0 ? errno : EIO);
	if (fd >= 0)
		close(fd);
}

static unsigned long arg_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || !v || v > max) {
		fprintf(stderr, "scratch-shufflebench: bad number '%s' (1..%lu)\n", s, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "scratch", "spark", "files", "spark_checksum" };
	unsigned int threads = 4;
	double wr, rd;
	int i, ret;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: scratch-shufflebench scratch|spark|spark_checksum|files PATH M N PART [THREADS]\n");
		return 2;
	}
	for (i = 0; i < 4 && strcmp(argv[1], names[i]); i++)
		;
	if (i == 4) {
		fprintf(stderr, "scratch-shufflebench: unknown layout '%s'\n", argv[1]);
		return 2;
	}
	B.layout = (enum layout)i;
	B.path = argv[2];
	B.m = arg_num(argv[3], 1U << 16);
	B.n = arg_num(argv[4], 1U << 16);
	B.part = arg_num(argv[5], 1UL << 30);
	if (argc == 7)
		threads = arg_num(argv[6], MAX_THREADS);
	if (B.part % 8) {
		fprintf(stderr, "scratch-shufflebench: PART must be a multiple of 8\n");
		return 2;
	}
	if (B.layout == L_SCRATCH) {
		ret = scratch_space_open(B.path, 0, 0, 0, &B.s);
		if (ret) {
			fprintf(stderr, "scratch-shufflebench: %s: %s\n", B.path, strerror(-ret));
			return 1;
		}
		B.ids = calloc(B.m, sizeof(*B.ids));
		if (!B.ids)
			return 1;
	}

	wr = run(producer, threads);
	drop_caches();
	rd = atomic_load(&B.failed) ? 0 : run(consumer, threads);
	if (B.s)
		scratch_space_close(B.s);
	free(B.ids);
	if (atomic_load(&B.failed))
		return 1;
	printf("{\"phase\":\"shuffle\",\"layout\":\"%s\",\"M\":%u,\"N\":%u,\"part_bytes\":%zu,"
	       "\"threads\":%u,\"write_s\":%.4f,\"read_s\":%.4f,\"seconds\":%.4f,"
	       "\"parts_per_s\":%.0f}\n", names[B.layout], B.m, B.n, B.part, threads, wr, rd,
	       wr + rd, (double)B.m * B.n / (wr + rd));
	return 0;
}
