// SPDX-License-Identifier: GPL-2.0
/* Unit tests of segment geometry and region sizing (sc_geom_init, sc_region_segs). */
#include <stdio.h>
#include "kselftest_harness.h"
#include "core.h"

static void __attribute__((constructor)) line_buffered(void)
{
	/* TAP lines must not interleave with the forked tests' output. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

#define DATA_OFF	SCRATCH_DISK_DATA_OFF

TEST(every_shift_invariants)
{
	u32 shift;

	for (shift = SCRATCH_SEG_SHIFT_MIN; shift <= SCRATCH_SEG_SHIFT_MAX; shift++) {
		struct sc_geom g;
		u64 seg_bytes = 1ULL << shift;

		memset(&g, 0xa5, sizeof(g));
		ASSERT_EQ(0, sc_geom_init(&g, shift));
		ASSERT_EQ(shift, g.seg_shift);
		ASSERT_EQ(seg_bytes, (u64)g.seg_pages << SC_PAGE_SHIFT);
		/* Header page, then the table, then payload, nothing else. */
		ASSERT_EQ(1 + g.table_pages, g.first_page);
		ASSERT_EQ(g.seg_pages, g.first_page + g.payload_pages);
		ASSERT_GT(g.seg_pages, g.first_page);
		/* The table holds exactly nr_slots records, whole pages of them. */
		ASSERT_EQ((u64)g.table_pages * SC_RECS_PER_PAGE, (u64)g.nr_slots);
		ASSERT_GE((u64)g.table_pages * SC_PAGE,
			  (u64)g.nr_slots * sizeof(struct scratch_disk_atom));
		ASSERT_GE((u64)g.nr_slots, (u64)SC_RECS_PER_PAGE);
		/* At least one slot per four payload pages. */
		ASSERT_GE((u64)g.nr_slots * 4, (u64)g.payload_pages);
		/* Metadata stays under 1 % of the segment. */
		ASSERT_LT((u64)g.first_page * 100, (u64)g.seg_pages);
		/* Slots index pages of the segment: never more than payload pages. */
		ASSERT_LE(g.nr_slots, g.payload_pages);
	}
}

TEST(documented_values)
{
	struct sc_geom g;

	/* docs: 1 MiB segments have 254 payload pages and 64 slots. */
	ASSERT_EQ(0, sc_geom_init(&g, 20));
	ASSERT_EQ(256U, g.seg_pages);
	ASSERT_EQ(1U, g.table_pages);
	ASSERT_EQ(64U, g.nr_slots);
	ASSERT_EQ(2U, g.first_page);
	ASSERT_EQ(254U, g.payload_pages);
	ASSERT_EQ(1040384ULL, (u64)g.payload_pages * SC_PAGE);

	/* 16 GiB: 2^22 pages, 2^20 slots in 2^14 table pages. */
	ASSERT_EQ(0, sc_geom_init(&g, 34));
	ASSERT_EQ(1U << 22, g.seg_pages);
	ASSERT_EQ(1U << 20, g.nr_slots);
	ASSERT_EQ(1U << 14, g.table_pages);
	ASSERT_EQ((1U << 22) - (1U << 14) - 1, g.payload_pages);
}

TEST(out_of_range_shifts)
{
	static const u32 bad[] = {
		0, 1, 11, 12, 13, SCRATCH_SEG_SHIFT_MIN - 1, SCRATCH_SEG_SHIFT_MAX + 1,
		40, 63, 64, 65, 0x80000000U, U32_MAX,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct sc_geom g;

		/* The statement after an ASSERT runs only when it fails. */
		ASSERT_EQ(-EINVAL, sc_geom_init(&g, bad[i]))
			TH_LOG("shift %u accepted", bad[i]);
	}
}

TEST(region_too_small)
{
	u32 shift;

	for (shift = SCRATCH_SEG_SHIFT_MIN; shift <= SCRATCH_SEG_SHIFT_MAX; shift++) {
		struct sc_geom g;
		u64 seg = 1ULL << shift;

		ASSERT_EQ(0, sc_geom_init(&g, shift));
		ASSERT_EQ(0U, sc_region_segs(&g, 0));
		ASSERT_EQ(0U, sc_region_segs(&g, 1));
		ASSERT_EQ(0U, sc_region_segs(&g, DATA_OFF - 1));
		ASSERT_EQ(0U, sc_region_segs(&g, DATA_OFF));
		ASSERT_EQ(0U, sc_region_segs(&g, DATA_OFF + 1));
		ASSERT_EQ(0U, sc_region_segs(&g, DATA_OFF + seg));
		ASSERT_EQ(0U, sc_region_segs(&g, DATA_OFF + 2 * seg - 1));
		ASSERT_EQ(0U, sc_region_segs(&g, DATA_OFF + seg + seg / 2));
	}
}

TEST(region_exact_segments)
{
	u32 shift;

	for (shift = SCRATCH_SEG_SHIFT_MIN; shift <= SCRATCH_SEG_SHIFT_MAX; shift++) {
		struct sc_geom g;
		u64 seg = 1ULL << shift;

		ASSERT_EQ(0, sc_geom_init(&g, shift));
		ASSERT_EQ(2U, sc_region_segs(&g, DATA_OFF + 2 * seg));
		/* A partial trailing segment is not used. */
		ASSERT_EQ(2U, sc_region_segs(&g, DATA_OFF + 2 * seg + SC_PAGE));
		ASSERT_EQ(2U, sc_region_segs(&g, DATA_OFF + 3 * seg - 1));
		ASSERT_EQ(3U, sc_region_segs(&g, DATA_OFF + 3 * seg));
		ASSERT_EQ(1000U, sc_region_segs(&g, DATA_OFF + 1000 * seg + seg - 1));
	}
}

TEST(region_segment_count_fits_ids)
{
	u32 shift;

	/* Segment indexes live in 32 bits of an id: more segments than that is 0. */
	for (shift = SCRATCH_SEG_SHIFT_MIN; shift <= SCRATCH_SEG_SHIFT_MAX; shift++) {
		struct sc_geom g;
		u64 max_n = (UINT64_MAX - DATA_OFF) >> shift, len;

		ASSERT_EQ(0, sc_geom_init(&g, shift));
		if (max_n <= U32_MAX) {
			/* The u64 length cannot express too many segments. */
			ASSERT_EQ(max_n, sc_region_segs(&g, UINT64_MAX));
			continue;
		}
		ASSERT_EQ(0U, sc_region_segs(&g, UINT64_MAX));
		ASSERT_EQ((u64)U32_MAX,
			  sc_region_segs(&g, DATA_OFF + ((u64)U32_MAX << shift)));
		ASSERT_EQ((u64)U32_MAX,
			  sc_region_segs(&g, DATA_OFF + ((u64)U32_MAX << shift) +
					 (1ULL << shift) - 1));
		ASSERT_EQ(0U, sc_region_segs(&g, DATA_OFF + (1ULL << 32 << shift)));
		/* Twice the limit, where a u64 length can still say so. */
		len = shift < 31 ? DATA_OFF + (1ULL << 33 << shift) : UINT64_MAX;
		ASSERT_EQ(0U, sc_region_segs(&g, len));
	}
}

TEST(region_segs_fit_region)
{
	/* Random lengths: the segments found always fit and waste < 1 segment. */
	u64 x = 0x243f6a8885a308d3ULL;
	int i;

	for (i = 0; i < 200000; i++) {
		struct sc_geom g;
		u32 shift;
		u64 len, n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		shift = SCRATCH_SEG_SHIFT_MIN +
			(u32)(x % (SCRATCH_SEG_SHIFT_MAX - SCRATCH_SEG_SHIFT_MIN + 1));
		/* Mostly realistic sizes, sometimes anything. */
		len = i & 7 ? x >> (x & 31) : x;
		ASSERT_EQ(0, sc_geom_init(&g, shift));
		n = sc_region_segs(&g, len);
		if (!n)
			continue;
		ASSERT_GE(n, 2U);
		ASSERT_LE(n, (u64)U32_MAX);
		ASSERT_GT(len, (u64)DATA_OFF);
		ASSERT_LE(n, (len - DATA_OFF) >> shift);
		ASSERT_LT((len - DATA_OFF) - (n << shift), 1ULL << shift);
	}
}

TEST_HARNESS_MAIN
