// SPDX-License-Identifier: GPL-2.0
/*
 * libscratch batch and asynchronous reads: 10,000 atoms and 10,000 array
 * parts in batches (the shuffle consumer's pattern), missing ids in a batch,
 * a full async ring, hundreds of reads in flight with polling on the ring fd,
 * and threads sharing one handle.
 */
#include <poll.h>

#include "libtest.h"

#define SHIFT	22

FIXTURE(bt) {
	struct st_space sp;
	struct scratch *s;
};

FIXTURE_SETUP(bt)
{
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_ARRAY, SHIFT,
		       { st_dev(0), 0, 512 * ST_MIB });
	ASSERT_EQ(0, lt_open(&self->sp, 0, 0, 128, &self->s));
}

FIXTURE_TEARDOWN(bt)
{
	scratch_space_close(self->s);
	ST_TEARDOWN();
}

/* Atom k: st_fill pattern of seed k + 1, 1..6000 bytes. */
static size_t lenof(unsigned int k)
{
	return 1 + (k * 2654435761u) % 6000;
}

ST_TEST_F_TIMEOUT(bt, atoms_10000, 600)
{
	const unsigned int n = 10000;
	struct scratch_id *ids = calloc(n, sizeof(*ids));
	struct scratch_get *g = calloc(n, sizeof(*g));
	unsigned char *in = malloc(6000), *out = malloc((size_t)n * 6000);
	unsigned int k;

	ASSERT_TRUE(ids && g && in && out);
	for (k = 0; k < n; k++) {
		st_fill(in, lenof(k), k + 1, 0);
		ASSERT_EQ(0, scratch_atom_put(self->s, in, lenof(k), 0, 0, &ids[k]));
	}
	for (k = 0; k < n; k++)
		g[k] = (struct scratch_get){ .id = ids[k], .buf = out + (size_t)k * 6000, .cap = 6000 };
	/* One missing id and one too-small buffer: reported per entry. */
	g[17].id.lo ^= 1ULL << 40;
	g[42].cap = lenof(42) - 1;
	ASSERT_EQ(n - 2, scratch_atom_get_batch(self->s, g, n, 0));
	for (k = 0; k < n; k++) {
		if (k == 17 || k == 42)
			continue;
		ASSERT_EQ(0, g[k].res) TH_LOG("atom %u: %s", k, strerror(-g[k].res));
		ASSERT_EQ(lenof(k), g[k].len);
		ASSERT_EQ(-1, st_check(g[k].buf, lenof(k), k + 1, 0)) TH_LOG("atom %u", k);
	}
	EXPECT_EQ(-ENOENT, g[17].res);
	EXPECT_EQ(-ENOBUFS, g[42].res);
	EXPECT_EQ(lenof(42), g[42].len);
	free(ids);
	free(g);
	free(in);
	free(out);
}

/* 20 producers each write one array of 500 parts; consumer j reads part j of each. */
ST_TEST_F_TIMEOUT(bt, parts_10000, 600)
{
	const unsigned int m = 20, np = 500;
	struct scratch_id arr[20];
	struct iovec *parts = calloc(np, sizeof(*parts));
	struct scratch_get *g = calloc((size_t)m * np, sizeof(*g));
	unsigned char *out = malloc((size_t)m * np * 512);
	unsigned int i, j;

	ASSERT_TRUE(parts && g && out);
	for (i = 0; i < m; i++) {
		for (j = 0; j < np; j++) {
			size_t len = 1 + (i * 31 + j * 7) % 500;

			parts[j] = (struct iovec){ lt_pattern(len, i * 1000 + j), len };
			ASSERT_NE(NULL, parts[j].iov_base);
		}
		ASSERT_EQ(0, scratch_array_put(self->s, parts, np, 9, i & 1 ? SCRATCH_PUT_ZSTD : 0,
					       &arr[i]));
		for (j = 0; j < np; j++)
			free(parts[j].iov_base);
	}
	/* Consumer-major: all of part 0, then all of part 1, ... in one batch. */
	for (j = 0; j < np; j++)
		for (i = 0; i < m; i++)
			g[j * m + i] = (struct scratch_get){
				.id = scratch_array_part_id(arr[i], j),
				.buf = out + ((size_t)j * m + i) * 512, .cap = 512,
			};
	ASSERT_EQ(m * np, scratch_atom_get_batch(self->s, g, m * np, 0));
	for (j = 0; j < np; j++)
		for (i = 0; i < m; i++) {
			struct scratch_get *e = &g[j * m + i];

			ASSERT_EQ(1 + (i * 31 + j * 7) % 500, e->len);
			ASSERT_EQ(-1, st_check(e->buf, e->len, i * 1000 + j, 0))
				TH_LOG("array %u part %u", i, j);
		}
	free(parts);
	free(g);
	free(out);
}

ST_TEST_F(bt, async_full_ring)
{
	const unsigned int depth = 8, n = 600;
	struct scratch_completion c[32];
	struct scratch_queue *q;
	struct scratch_id ids[64];
	unsigned char in[8192], (*out)[8192] = malloc(64 * 8192);
	unsigned int next = 0, done = 0, seen[600] = { 0 }, i;
	struct pollfd pfd;
	int r;

	ASSERT_NE(NULL, out);
	for (i = 0; i < 64; i++) {
		st_fill(in, 8192, 500 + i, 0);
		ASSERT_EQ(0, scratch_atom_put(self->s, in, 8192, 0, 0, &ids[i]));
	}
	ASSERT_EQ(0, scratch_queue_init(self->s, depth, 0, &q));
	/* Fill the ring: the depth+1-th get is -EBUSY until something is reaped. */
	for (i = 0; i < depth; i++)
		ASSERT_EQ(0, scratch_queue_get(q, ids[i], out[i], 8192, 0, i));
	EXPECT_EQ(-EBUSY, scratch_queue_get(q, ids[0], out[0], 8192, 0, 99));
	EXPECT_EQ(depth, scratch_queue_inflight(q));
	ASSERT_LE(0, scratch_queue_submit(q));
	ASSERT_EQ(depth, scratch_queue_reap(q, c, 32, depth));
	for (i = 0; i < depth; i++) {
		ASSERT_EQ(0, c[i].res);
		ASSERT_EQ(8192, c[i].len);
		ASSERT_EQ(-1, st_check(out[c[i].user_data], 8192, 500 + c[i].user_data, 0));
	}
	EXPECT_EQ(0, scratch_queue_inflight(q));
	scratch_queue_exit(q);

	/* Hundreds in flight from one thread, the ring fd polled between reaps. */
	ASSERT_EQ(0, scratch_queue_init(self->s, 256, 0, &q));
	ASSERT_LE(0, scratch_queue_fd(q));
	while (done < n) {
		while (next < n) {
			r = scratch_queue_get(q, ids[next % 64], out[next % 64], 8192, 0, next);
			if (r == -EBUSY)
				break;
			ASSERT_EQ(0, r);
			next++;
		}
		ASSERT_LE(0, scratch_queue_submit(q));
		pfd = (struct pollfd){ .fd = scratch_queue_fd(q), .events = POLLIN };
		ASSERT_LE(0, poll(&pfd, 1, 10000));
		r = scratch_queue_reap(q, c, 32, 0);
		ASSERT_LE(0, r);
		for (i = 0; i < (unsigned int)r; i++) {
			ASSERT_EQ(0, c[i].res);
			ASSERT_GT(n, c[i].user_data);
			ASSERT_EQ(0, seen[c[i].user_data]++);
		}
		done += (unsigned int)r;
	}
	for (i = 0; i < 64; i++)
		ASSERT_EQ(-1, st_check(out[i], 8192, 500 + i, 0));
	scratch_queue_exit(q);
	free(out);
}

struct thr {
	struct scratch *s;
	unsigned int t;
	int err;
	struct scratch_id ids[200];
};

static void *worker(void *arg)
{
	struct thr *w = arg;
	struct scratch_get g[200];
	unsigned char in[9000], *out = malloc(200 * 9000);
	unsigned int i;
	int r;

	for (i = 0; i < 200 && out && !w->err; i++) {
		st_fill(in, 1000 + i * 40, w->t * 1000 + i, 0);
		w->err = scratch_atom_put(w->s, in, 1000 + i * 40, 0, i % 3 ? 0 : SCRATCH_PUT_ZSTD,
					  &w->ids[i]);
	}
	for (r = 0; r < 3 && out && !w->err; r++) {
		for (i = 0; i < 200; i++)
			g[i] = (struct scratch_get){ .id = w->ids[i], .buf = out + i * 9000, .cap = 9000 };
		if (scratch_atom_get_batch(w->s, g, 200, 0) != 200)
			w->err = -EIO;
		for (i = 0; i < 200 && !w->err; i++)
			if (g[i].len != 1000 + i * 40 ||
			    st_check(g[i].buf, g[i].len, w->t * 1000 + i, 0) != -1)
				w->err = -EBADMSG;
	}
	if (!out)
		w->err = -ENOMEM;
	free(out);
	return NULL;
}

ST_TEST_F(bt, threads_share_handle)
{
	struct thr w[8];
	pthread_t th[8];
	unsigned int i;

	for (i = 0; i < 8; i++) {
		w[i] = (struct thr){ .s = self->s, .t = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker, &w[i]));
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, w[i].err) TH_LOG("thread %u: %s", i, strerror(-w[i].err));
	}
}

TEST_HARNESS_MAIN
