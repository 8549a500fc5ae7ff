// SPDX-License-Identifier: MIT
/*
 * shuffle: the exchange step of a batch engine, on libscratch.
 *
 * M producers each write one atom array of N parts (part j is meant for
 * consumer j) and publish the array id; then N consumers each read part j of
 * all M arrays with one batch get and check every byte.  Producers open their
 * own handles (as separate worker processes would); consumers share one.
 *
 *   cc -O2 shuffle.c $(pkg-config --cflags --libs --static libscratch) -o shuffle
 *   ./shuffle /dev/scratch0 [M] [N] [PART_BYTES] [--zstd]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scratch.h>

struct job {
	const char *dev;
	struct scratch *shared;		/* consumers' handle */
	struct scratch_id *arrays;	/* M array ids, filled by the producers */
	unsigned int m, n, who;
	size_t part_bytes;
	unsigned int put_flags;
	int err;
	unsigned long bad;
};

/* The bytes of part j of producer i: cheap, and different for every (i, j, k). */
static unsigned char byte_of(unsigned int i, unsigned int j, size_t k)
{
	return (unsigned char)((k / 512) % 7 == 0 ? (i * 131u + j * 31u + k) : (i ^ j));
}

static size_t len_of(const struct job *jb, unsigned int i, unsigned int j)
{
	return jb->part_bytes - (i + j) % 64;	/* parts of slightly different sizes */
}

static void *producer(void *arg)
{
	struct job *jb = arg;
	struct iovec *parts = calloc(jb->n, sizeof(*parts));
	struct scratch *s = NULL;
	unsigned int j;
	size_t k;

	jb->err = parts ? scratch_space_open(jb->dev, 0, 0, 0, &s) : -12;
	for (j = 0; j < jb->n && !jb->err; j++) {
		unsigned char *p = malloc(jb->part_bytes);

		if (!p) {
			jb->err = -12;
			break;
		}
		for (k = 0; k < len_of(jb, jb->who, j); k++)
			p[k] = byte_of(jb->who, j, k);
		parts[j] = (struct iovec){ p, len_of(jb, jb->who, j) };
	}
	if (!jb->err)
		jb->err = scratch_array_put(s, parts, jb->n, 1, jb->put_flags, &jb->arrays[jb->who]);
	for (j = 0; parts && j < jb->n; j++)
		free(parts[j].iov_base);
	free(parts);
	scratch_space_close(s);
	return NULL;
}

static void *consumer(void *arg)
{
	struct job *jb = arg;
	struct scratch_get *g = calloc(jb->m, sizeof(*g));
	unsigned char *buf = malloc(jb->m * jb->part_bytes);
	unsigned int i;
	size_t k;
	int r;

	if (!g || !buf) {
		jb->err = -12;
		goto out;
	}
	for (i = 0; i < jb->m; i++)
		g[i] = (struct scratch_get){
			.id = scratch_array_part_id(jb->arrays[i], jb->who),
			.buf = buf + i * jb->part_bytes, .cap = jb->part_bytes,
		};
	r = scratch_atom_get_batch(jb->shared, g, jb->m, 0);
	if (r < 0) {
		jb->err = r;
		goto out;
	}
	for (i = 0; i < jb->m; i++) {
		const unsigned char *p = g[i].buf;

		if (g[i].res || g[i].len != len_of(jb, i, jb->who)) {
			jb->bad++;
			if (!jb->err)
				jb->err = g[i].res ? g[i].res : -5;
			continue;
		}
		for (k = 0; k < g[i].len; k++)
			if (p[k] != byte_of(i, jb->who, k)) {
				jb->bad++;
				break;
			}
	}
out:
	free(g);
	free(buf);
	return NULL;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Run @nthreads of @fn over jobs[first..], each with its own `who`. */
static int run(void *(*fn)(void *), struct job *jobs, unsigned int nthreads)
{
	pthread_t *t = calloc(nthreads, sizeof(*t));
	unsigned int i, started = 0;
	int err = 0;

	if (!t)
		return -12;
	for (i = 0; i < nthreads; i++, started++)
		if (pthread_create(&t[i], NULL, fn, &jobs[i]))
			break;
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < nthreads; i++)
		if (i >= started || jobs[i].err)
			err = i >= started ? -11 : jobs[i].err;
	free(t);
	return err;
}

int main(int argc, char **argv)
{
	struct job base = { .m = 8, .n = 16, .part_bytes = 64 * 1024 };
	unsigned int i, nthreads;
	unsigned long bad = 0;
	struct job *jobs;
	double t0, t1, t2;
	int r, a, pos = 0;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--zstd"))
			base.put_flags |= SCRATCH_PUT_ZSTD;
		else if (pos == 0 && ++pos)
			base.dev = argv[a];
		else if (pos == 1 && ++pos)
			base.m = (unsigned int)strtoul(argv[a], NULL, 0);
		else if (pos == 2 && ++pos)
			base.n = (unsigned int)strtoul(argv[a], NULL, 0);
		else if (pos == 3 && ++pos)
			base.part_bytes = strtoul(argv[a], NULL, 0);
		else
			pos = 99;
	}
	if (!base.dev || pos > 4 || !base.m || !base.n || base.n > SCRATCH_MAX_PARTS ||
	    base.part_bytes < 64) {
		fprintf(stderr, "usage: shuffle DEVICE [M] [N] [PART_BYTES >= 64] [--zstd]\n");
		return 2;
	}
	nthreads = base.m > base.n ? base.m : base.n;
	jobs = calloc(nthreads, sizeof(*jobs));
	base.arrays = calloc(base.m, sizeof(*base.arrays));
	if (!jobs || !base.arrays)
		return 1;
	r = scratch_space_open(base.dev, 0, 0, 0, &base.shared);
	if (r) {
		fprintf(stderr, "shuffle: %s: %s\n", base.dev, strerror(-r));
		return 1;
	}
	for (i = 0; i < nthreads; i++) {
		jobs[i] = base;
		jobs[i].who = i;
	}
	t0 = now_ms();
	r = run(producer, jobs, base.m);
	t1 = now_ms();
	if (!r)
		r = run(consumer, jobs, base.n);
	t2 = now_ms();
	for (i = 0; i < base.n; i++)
		bad += jobs[i].bad;
	scratch_space_close(base.shared);
	if (r || bad) {
		fprintf(stderr, "shuffle: failed: %s, %lu bad parts\n", r ? strerror(-r) : "ok", bad);
		return 1;
	}
	printf("shuffle: %u producers x %u consumers, parts of ~%zu B%s: written in %.0f ms, "
	       "read and verified in %.0f ms\n", base.m, base.n, base.part_bytes,
	       (base.put_flags & SCRATCH_PUT_ZSTD) ? " (zstd)" : "", t1 - t0, t2 - t1);
	free(jobs);
	free(base.arrays);
	return 0;
}
