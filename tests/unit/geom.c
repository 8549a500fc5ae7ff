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

/*
 * A region of .len_off bytes (DATA_OFF or 0), .segs segments, half a segment
 * more if .half, and .bytes more (or less): how many segments it holds.
 */
struct region_case {
	u64 len_off;
	u32 segs;
	bool half;
	int64_t bytes;
	u64 want;
};

/* Every case at every segment size. */
static void check_regions(struct __test_metadata *_metadata,
			  const struct region_case *c, size_t n)
{
	u32 shift;
	size_t i;

	for (shift = SCRATCH_SEG_SHIFT_MIN; shift <= SCRATCH_SEG_SHIFT_MAX; shift++) {
		struct sc_geom g;
		u64 seg = 1ULL << shift;

		ASSERT_EQ(0, sc_geom_init(&g, shift));
		for (i = 0; i < n; i++) {
			u64 len = c[i].len_off + c[i].segs * seg + (c[i].half ? seg / 2 : 0) +
				  (u64)c[i].bytes;

			/* The statement after an ASSERT runs only when it fails. */
			ASSERT_EQ(c[i].want, sc_region_segs(&g, len))
				TH_LOG("shift %u, case %zu: %llu bytes", shift, i,
				       (unsigned long long)len);
		}
	}
}

TEST(region_too_small)
{
	/* Up to the data offset plus two segments less a byte: none. */
	static const struct region_case c[] = {
		{ 0, 0, false, 0, 0 },
		{ 0, 0, false, 1, 0 },
		{ DATA_OFF, 0, false, -1, 0 },
		{ DATA_OFF, 0, false, 0, 0 },
		{ DATA_OFF, 0, false, 1, 0 },
		{ DATA_OFF, 1, false, 0, 0 },
		{ DATA_OFF, 2, false, -1, 0 },
		{ DATA_OFF, 1, true, 0, 0 },
	};

	check_regions(_metadata, c, ARRAY_SIZE(c));
}

TEST(region_exact_segments)
{
	/* Whole segments only: a partial trailing segment is not used. */
	static const struct region_case c[] = {
		{ DATA_OFF, 2, false, 0, 2 },
		{ DATA_OFF, 2, false, SC_PAGE, 2 },
		{ DATA_OFF, 3, false, -1, 2 },
		{ DATA_OFF, 3, false, 0, 3 },
		{ DATA_OFF, 1001, false, -1, 1000 },
	};

	check_regions(_metadata, c, ARRAY_SIZE(c));
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
