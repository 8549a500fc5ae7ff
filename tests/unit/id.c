// SPDX-License-Identifier: GPL-2.0
/* Unit tests of atom id encoding and generation stepping (kmod/core.h). */
#include <stdio.h>
#include "kselftest_harness.h"
#include "core.h"

static void __attribute__((constructor)) line_buffered(void)
{
	/* TAP lines must not interleave with the forked tests' output. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Field values chosen to hit every byte lane and both word halves. */
static const u32 edges[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff,
	0x80000000, 0xfffffffe, 0xffffffff, 0x12345678, 0xdeadbeef,
};

static bool parts_equal(const struct sc_idparts *a, const struct sc_idparts *b)
{
	return a->seg == b->seg && a->gen == b->gen && a->slot == b->slot &&
	       a->part == b->part;
}

TEST(roundtrip_edges)
{
	size_t a, b;

	/* Pairs cover each field against each other at every edge value. */
	for (a = 0; a < ARRAY_SIZE(edges); a++) {
		for (b = 0; b < ARRAY_SIZE(edges); b++) {
			struct sc_idparts in[4] = {
				{ edges[a], edges[b], edges[a], edges[b] },
				{ edges[b], edges[a], edges[b], edges[a] },
				{ edges[a], edges[a], edges[b], edges[b] },
				{ edges[b], edges[b], edges[a], edges[a] },
			};
			int i;

			for (i = 0; i < 4; i++) {
				struct scratch_id id = sc_id_encode(&in[i]);
				struct sc_idparts out = sc_id_decode(&id);

				ASSERT_TRUE(parts_equal(&in[i], &out));
			}
		}
	}
}

TEST(layout_matches_header)
{
	/* The header documents the layout; tools print ids from it. */
	struct sc_idparts p = { .seg = 0x11111111, .gen = 0x22222222,
				.slot = 0x33333333, .part = 0x44444444 };
	struct scratch_id id = sc_id_encode(&p);

	ASSERT_EQ(0x2222222211111111ULL, id.lo);
	ASSERT_EQ(0x4444444433333333ULL, id.hi);
}

TEST(extremes)
{
	struct sc_idparts max = { U32_MAX, U32_MAX, U32_MAX, U32_MAX };
	struct scratch_id id = sc_id_encode(&max);
	struct sc_idparts out;

	ASSERT_EQ(UINT64_MAX, id.lo);
	ASSERT_EQ(UINT64_MAX, id.hi);
	out = sc_id_decode(&id);
	ASSERT_TRUE(parts_equal(&max, &out));
}

TEST(any_id_roundtrips)
{
	/* Any 128 bits decode and re-encode to themselves: no bit is lost. */
	u64 x = 0x9e3779b97f4a7c15ULL;
	int i;

	for (i = 0; i < 100000; i++) {
		struct scratch_id id, again;
		struct sc_idparts p;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		id.lo = x;
		id.hi = ~x * 0x2545f4914f6cdd1dULL;
		p = sc_id_decode(&id);
		again = sc_id_encode(&p);
		ASSERT_EQ(id.lo, again.lo);
		ASSERT_EQ(id.hi, again.hi);
	}
}

TEST(zero_id_has_gen_zero)
{
	/* Generation 0 is never issued, so the all-zero id names nothing. */
	struct scratch_id zero = { 0, 0 };
	struct sc_idparts p = sc_id_decode(&zero);

	ASSERT_EQ(0U, p.gen);
	ASSERT_EQ(0U, p.seg);
	ASSERT_EQ(0U, p.slot);
	ASSERT_EQ(0U, p.part);
}

TEST(gen_next_steps_and_wraps)
{
	size_t i;

	ASSERT_EQ(2U, sc_gen_next(1));
	ASSERT_EQ(1U, sc_gen_next(0));
	ASSERT_EQ(U32_MAX, sc_gen_next(U32_MAX - 1));
	ASSERT_EQ(1U, sc_gen_next(U32_MAX));
	for (i = 0; i < ARRAY_SIZE(edges); i++) {
		u32 n = sc_gen_next(edges[i]);

		ASSERT_NE(0U, n);
		ASSERT_EQ(edges[i] == U32_MAX ? 1U : edges[i] + 1, n);
	}
}

/* Eviction starts once the open room and the free segments above the target are used. */
TEST(horizon_base)
{
	ASSERT_EQ(0ULL, sc_horizon_base(0, 0, 1, 1 << 20));
	ASSERT_EQ(0ULL, sc_horizon_base(0, 1, 1, 1 << 20));
	ASSERT_EQ(4096ULL, sc_horizon_base(4096, 0, 2, 1 << 20));
	ASSERT_EQ((3ULL << 20) + 8192, sc_horizon_base(8192, 5, 2, 1 << 20));
	/* A refill running behind (fewer free than the target) does not go negative. */
	ASSERT_EQ(8192ULL, sc_horizon_base(8192, 1, 8, 1 << 20));
	/* Large spaces: no overflow in 64 bits. */
	ASSERT_EQ(1000000ULL << 34, sc_horizon_base(0, 1000008, 8, 1ULL << 34));
}

/* The eviction ring: a reader behind it skips to its oldest entry and counts the rest lost. */
TEST(eviction_ring_window)
{
	u64 lost = 0;

	ASSERT_EQ(0ULL, sc_ev_first(0, 4096, 0, &lost));
	ASSERT_EQ(5ULL, sc_ev_first(4096, 4096, 5, &lost));
	ASSERT_EQ(0ULL, lost);
	ASSERT_EQ(904ULL, sc_ev_first(5000, 4096, 100, &lost));
	ASSERT_EQ(804ULL, lost);
	ASSERT_EQ(904ULL, sc_ev_first(5000, 4096, 904, &lost));
	ASSERT_EQ(5000ULL, sc_ev_first(5000, 4096, 5000, &lost));
	ASSERT_EQ(804ULL, lost);
	ASSERT_EQ(~0ULL - 4096, sc_ev_first(~0ULL, 4096, 0, &lost));
}

TEST(gen_next_never_zero_long_run)
{
	/* Walk across the wrap many times from just below it. */
	u32 g = U32_MAX - 1000;
	int i;

	for (i = 0; i < 3000; i++) {
		u32 n = sc_gen_next(g);

		ASSERT_NE(0U, n);
		ASSERT_NE(g, n);
		g = n;
	}
	ASSERT_EQ(2000U, g);
}

TEST(nonzero_gen_never_zero_id)
{
	/* Any id the module issues (gen >= 1) differs from the zero id. */
	struct sc_idparts p = { 0, 1, 0, 0 };
	struct scratch_id id = sc_id_encode(&p);

	ASSERT_TRUE(id.lo || id.hi);
}

TEST_HARNESS_MAIN
