// SPDX-License-Identifier: GPL-2.0
/*
 * Ahead of eviction and after it, through libscratch: scratch_atom_horizon
 * (and scratchctl horizon) orders atoms as eviction will take them; a watch
 * (scratch_watch_open/_fd/_read/_gone) tells which of a list of ids the
 * evictions took, in agreement with scratch_atom_present, and outlives its
 * handle; its argument checks.
 */
#include <poll.h>

#include "libtest.h"

#define CTL	"/bin/scratchctl"
#define ATOM	(200 * 1024)	/* five fill a 1 MiB segment */
#define N	(63 * 5 * 2)	/* twice the space */

FIXTURE(w) {
	struct st_space sp;
	struct scratch *s;
};

FIXTURE_SETUP(w)
{
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_HORIZON | SCRATCH_F_EVICTIONS, 20,
		       { st_dev(0), 0, 64 * ST_MIB });
	ASSERT_EQ(0, lt_open(&self->sp, 0, 0, 0, &self->s));
}

FIXTURE_TEARDOWN(w)
{
	scratch_space_close(self->s);
	ST_TEARDOWN();
}

ST_TEST_F_TIMEOUT(w, watch_names_the_gone, 600)
{
	struct scratch_id *ids = calloc(N, sizeof(*ids));
	struct scratch_eviction *ev = calloc(4096, sizeof(*ev));
	uint8_t *gone = calloc(N, 1), *here = calloc(N, 1);
	void *buf = lt_pattern(ATOM, 3);
	struct scratch_watch *w;
	uint64_t cursor = 0, lost = 1;
	struct pollfd p;
	int i, n = 0, r, ngone;

	ASSERT_TRUE(ids && ev && gone && here && buf);
	ASSERT_EQ(0, scratch_watch_open(self->s, 0, &w));
	p.fd = scratch_watch_fd(w);
	p.events = POLLIN;
	ASSERT_LE(0, p.fd);
	ASSERT_EQ(0, poll(&p, 1, 0));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, scratch_atom_put(self->s, buf, ATOM, 0, 0, &ids[i])) TH_LOG("put %d", i);
	ASSERT_EQ(1, poll(&p, 1, 5000));
	/* The watch outlives the handle it came from. */
	scratch_space_close(self->s);
	self->s = NULL;
	ASSERT_EQ(0, lt_open(&self->sp, 0, 0, 0, &self->s));
	/* Read, compare with PRESENT, and again if the refill evicted meanwhile. */
	cursor = 0;
	for (;;) {
		do {
			r = scratch_watch_read(w, &cursor, ev + n, 16, &lost);
			ASSERT_LE(0, r);
			ASSERT_EQ(0ULL, lost);
			n += r;
		} while (r);
		ngone = scratch_watch_gone(ev, (unsigned int)n, ids, N, gone);
		ASSERT_LE(0, scratch_atom_present(self->s, ids, N, here));
		r = scratch_watch_read(w, &cursor, ev + n, 16, NULL);
		ASSERT_LE(0, r);
		if (!r)
			break;
		n += r;
	}
	ASSERT_LT(0, ngone);
	ASSERT_GT(N, ngone);
	for (i = 0; i < N; i++)
		ASSERT_EQ(!here[i], gone[i]) TH_LOG("id %d", i);
	/* A part id goes with its array: its segment and generation are the array's. */
	ASSERT_EQ(scratch_watch_gone(ev, (unsigned int)n, ids, 1, gone),
		  scratch_watch_gone(ev, (unsigned int)n, (struct scratch_id[]){
					     scratch_array_part_id(ids[0], 2) }, 1, here));
	scratch_watch_close(w);

	/* Argument checks. */
	ASSERT_EQ(-EINVAL, scratch_watch_open(NULL, 0, &w));
	ASSERT_EQ(-EINVAL, scratch_watch_open(self->s, 1U << 9, &w));
	ASSERT_EQ(-EINVAL, scratch_watch_open(self->s, 0, NULL));
	ASSERT_EQ(-EINVAL, scratch_watch_fd(NULL));
	ASSERT_EQ(-EINVAL, scratch_watch_read(NULL, &cursor, ev, 1, NULL));
	ASSERT_EQ(-EINVAL, scratch_watch_gone(NULL, 1, ids, 1, gone));
	ASSERT_EQ(-EINVAL, scratch_watch_gone(ev, 1, ids, 1, NULL));
	ASSERT_EQ(0, scratch_watch_gone(ev, 0, ids, 1, gone));
	ASSERT_EQ(0, gone[0]);
	ASSERT_EQ(0, scratch_watch_open(self->s, SCRATCH_EVENTS_FROM_START, &w));
	ASSERT_EQ(1, poll(&(struct pollfd){ .fd = scratch_watch_fd(w), .events = POLLIN }, 1, 0));
	cursor = ~0ULL;
	ASSERT_EQ(-EINVAL, scratch_watch_read(w, &cursor, ev, 1, NULL));
	ASSERT_EQ(~0ULL, cursor);
	scratch_watch_close(w);
	scratch_watch_close(NULL);
	free(buf);
	free(here);
	free(gone);
	free(ev);
	free(ids);
}

/* Older atoms have less left; scratchctl shows the same numbers. */
ST_TEST_F(w, horizon_orders_the_fifo)
{
	struct scratch_id ids[20], bad = { .lo = 1, .hi = 0 };
	void *buf = lt_pattern(ATOM, 4);
	uint64_t h[20], rate = 0, one;
	char out[4096], idtxt[SCRATCH_ID_STRLEN], want[64];
	int i;

	ASSERT_TRUE(buf != NULL);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, scratch_atom_put(self->s, buf, ATOM, 0, 0, &ids[i]));
	ASSERT_EQ(20, scratch_atom_horizon(self->s, ids, 20, h, &rate));
	ASSERT_LT(0ULL, rate);
	for (i = 1; i < 20; i++)
		ASSERT_LE(h[i - 1], h[i]);
	ASSERT_LT(h[0], h[19]);
	ASSERT_EQ(0, scratch_atom_horizon(self->s, &bad, 1, &one, NULL));
	ASSERT_EQ(SCRATCH_HORIZON_MISSING, one);
	ASSERT_EQ(-EINVAL, scratch_atom_horizon(NULL, ids, 1, h, NULL));
	ASSERT_EQ(-EINVAL, scratch_atom_horizon(self->s, ids, 1, NULL, NULL));
	ASSERT_EQ(0, scratch_atom_horizon(self->s, NULL, 0, NULL, NULL));

	if (access(CTL, X_OK))
		SKIP(return, "%s not installed in the guest", CTL);
	scratch_id_format(ids[0], idtxt);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " horizon %u %s --json", self->sp.id, idtxt));
	snprintf(want, sizeof(want), "\"bytes\": %llu", (unsigned long long)h[0]);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"state\": \"stored\"")) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " horizon %u %s", self->sp.id, idtxt));
	EXPECT_NE(NULL, strstr(out, "of writes")) TH_LOG("%s", out);
	scratch_id_format(bad, idtxt);
	ASSERT_EQ(1, st_sh(out, sizeof(out), CTL " horizon %u %s", self->sp.id, idtxt));
	EXPECT_NE(NULL, strstr(out, "missing")) TH_LOG("%s", out);
	free(buf);
}

TEST_HARNESS_MAIN
