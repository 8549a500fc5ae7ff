// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the on-disk codecs: superblock, segment header, atom record, part table. */
#include <stdio.h>
#include "kselftest_harness.h"
#include "core.h"

static void __attribute__((constructor)) line_buffered(void)
{
	/* TAP lines must not interleave with the forked tests' output. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* The format is fixed by the header: pin the sizes the codecs rely on. */
_Static_assert(sizeof(struct scratch_disk_super) == 136, "super size");
_Static_assert(sizeof(struct scratch_disk_seg) == 80, "segment header size");
_Static_assert(sizeof(struct scratch_disk_atom) == 64, "record size");
_Static_assert(sizeof(struct scratch_disk_part) == 32, "part entry size");
_Static_assert(SC_RECS_PER_PAGE == 64, "records per page");

#define DATA_OFF	SCRATCH_DISK_DATA_OFF

static const u8 uuid_a[16] = {
	0x5c, 0x7a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0xfe,
};

/* xorshift64: deterministic, so a failure reproduces. */
static u64 rnd(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Recompute a checksum as the header defines it (XXH64, seed 0, over the
 * struct with csum = 0), independently of core.c: lets a test forge a
 * well-sealed struct with chosen contents.
 */
#define RESEAL(d) do {						\
	(d)->csum = 0;						\
	(d)->csum = htole64(XXH64((d), sizeof(*(d)), 0));	\
} while (0)

/* A consistent superblock: region @idx of @nr, each with @segs segments. */
static struct sc_super_info make_super(u32 shift, u32 idx, u32 nr, u64 segs)
{
	struct sc_super_info s;
	struct sc_geom g;

	memset(&s, 0, sizeof(s));
	sc_geom_init(&g, shift);
	memcpy(s.uuid, uuid_a, sizeof(s.uuid));
	s.seg_shift = shift;
	s.table_pages = g.table_pages;
	s.region_idx = idx;
	s.nr_regions = nr;
	/* A tail shorter than a segment is part of the region but unused. */
	s.region_len = DATA_OFF + (segs << shift) + SC_PAGE * (idx + 1);
	s.nr_segs = segs;
	s.first_seg = (u64)idx * segs;
	s.space_segs = (u64)nr * segs;
	return s;
}

static bool super_equal(const struct sc_super_info *a, const struct sc_super_info *b)
{
	return !memcmp(a->uuid, b->uuid, sizeof(a->uuid)) &&
	       a->seg_shift == b->seg_shift && a->region_idx == b->region_idx &&
	       a->nr_regions == b->nr_regions && a->table_pages == b->table_pages &&
	       a->region_len == b->region_len && a->nr_segs == b->nr_segs &&
	       a->first_seg == b->first_seg && a->space_segs == b->space_segs;
}

static bool seg_equal(const struct sc_seg_info *a, const struct sc_seg_info *b)
{
	return !memcmp(a->uuid, b->uuid, sizeof(a->uuid)) && a->seg == b->seg &&
	       a->gen == b->gen && a->state == b->state && a->seq == b->seq &&
	       a->nr_used == b->nr_used;
}

static bool rec_equal(const struct sc_rec_info *a, const struct sc_rec_info *b)
{
	return a->gen == b->gen && a->page == b->page && a->nr_parts == b->nr_parts &&
	       a->tenant == b->tenant && a->stored_len == b->stored_len &&
	       a->length == b->length && a->xxh64 == b->xxh64 && a->seq == b->seq &&
	       a->type == b->type && a->atom_flags == b->atom_flags;
}

/* ---- superblock -------------------------------------------------------- */

TEST(super_roundtrip)
{
	u32 shift, nr, idx;

	for (shift = SCRATCH_SEG_SHIFT_MIN; shift <= SCRATCH_SEG_SHIFT_MAX; shift++) {
		for (nr = 1; nr <= SCRATCH_MAX_REGIONS; nr += 5) {
			for (idx = 0; idx < nr; idx += 2) {
				struct sc_super_info in = make_super(shift, idx, nr, 2 + idx * 7);
				struct sc_super_info out;
				struct scratch_disk_super d;

				sc_super_encode(&d, &in);
				memset(&out, 0x5a, sizeof(out));
				ASSERT_EQ(0, sc_super_decode(&d, &out))
					TH_LOG("shift %u region %u/%u", shift, idx, nr);
				ASSERT_TRUE(super_equal(&in, &out));
			}
		}
	}
}

TEST(super_extremes_roundtrip)
{
	/* Largest space the id fields allow: U32_MAX segments of 1 MiB. */
	struct sc_super_info in = make_super(20, 0, 1, U32_MAX);
	struct sc_super_info out;
	struct scratch_disk_super d;

	ASSERT_EQ((u64)U32_MAX, in.nr_segs);
	sc_super_encode(&d, &in);
	ASSERT_EQ(0, sc_super_decode(&d, &out));
	ASSERT_TRUE(super_equal(&in, &out));

	/* The last region of 16, its segments ending exactly at U32_MAX. */
	in = make_super(34, 15, 16, 3);
	in.first_seg = (u64)U32_MAX - 3;
	in.space_segs = U32_MAX;
	sc_super_encode(&d, &in);
	ASSERT_EQ(0, sc_super_decode(&d, &out));
	ASSERT_TRUE(super_equal(&in, &out));
}

TEST(super_encoding_is_little_endian)
{
	struct sc_super_info in = make_super(20, 0, 1, 2);
	struct scratch_disk_super d, c;
	const u8 *b = (const u8 *)&d;

	sc_super_encode(&d, &in);
	ASSERT_EQ(0, memcmp(b, "SCRATCH1", 8));
	ASSERT_EQ(SCRATCH_DISK_VERSION, b[8]);
	ASSERT_EQ(20, b[12]);
	ASSERT_EQ(0, memcmp(d.uuid, uuid_a, sizeof(uuid_a)));
	/* The documented checksum, computed here without core.c. */
	c = d;
	RESEAL(&c);
	ASSERT_EQ(0, memcmp(&c, &d, sizeof(d)));
}

/*
 * Every one-bit flip of the @len bytes at @d, decoded by @decode (given
 * @arg): a flip in the first @magic_bits bits gives @magic_err, any other
 * @err.  @what names the structure in a failure.
 */
static void every_bit_flip(struct __test_metadata *_metadata, const void *d, size_t len,
			   int (*decode)(const void *f, const void *arg), const void *arg,
			   size_t magic_bits, int magic_err, int err, const char *what)
{
	union {
		u64 align;
		u8 b[SC_PAGE];
	} f;
	size_t bit;

	ASSERT_LE(len, sizeof(f.b));
	for (bit = 0; bit < len * 8; bit++) {
		memcpy(f.b, d, len);
		f.b[bit / 8] ^= 1U << (bit % 8);
		/* The statement after an ASSERT runs only when it fails. */
		ASSERT_EQ(bit < magic_bits ? magic_err : err, decode(f.b, arg))
			TH_LOG("%s: bit %zu", what, bit);
	}
}

static int super_decode(const void *f, const void *arg)
{
	struct sc_super_info out;

	(void)arg;
	return sc_super_decode(f, &out);
}

TEST(super_every_bit_flip_rejected)
{
	u32 shifts[] = { 20, 27, 34 };
	size_t k;

	for (k = 0; k < ARRAY_SIZE(shifts); k++) {
		struct sc_super_info in = make_super(shifts[k], 1, 3, 5);
		struct scratch_disk_super d;

		sc_super_encode(&d, &in);
		/* A damaged magic means "not ours", anything else "damaged". */
		every_bit_flip(_metadata, &d, sizeof(d), super_decode, NULL,
			       64, -EMEDIUMTYPE, -EUCLEAN, "superblock");
	}
}

TEST(super_foreign_bytes)
{
	struct scratch_disk_super d;
	struct sc_super_info out;
	u64 x = 0x0123456789abcdefULL;
	int i;

	memset(&d, 0, sizeof(d));
	ASSERT_EQ(-EMEDIUMTYPE, sc_super_decode(&d, &out));
	memset(&d, 0xff, sizeof(d));
	ASSERT_EQ(-EMEDIUMTYPE, sc_super_decode(&d, &out));
	/* Our magic over garbage is damage, not a foreign medium. */
	for (i = 0; i < 1000; i++) {
		size_t j;

		for (j = 0; j < sizeof(d); j++)
			((u8 *)&d)[j] = (u8)rnd(&x);
		d.magic = htole64(SCRATCH_SUPER_MAGIC);
		ASSERT_EQ(-EUCLEAN, sc_super_decode(&d, &out));
	}
}

/* Decode a superblock forged with a valid checksum over @s, edited by the caller. */
static int decode_forged(const struct sc_super_info *s, u32 version)
{
	struct scratch_disk_super d;
	struct sc_super_info out;

	sc_super_encode(&d, s);
	d.version = htole32(version);
	RESEAL(&d);
	return sc_super_decode(&d, &out);
}

TEST(super_nonsense_with_valid_checksum)
{
	struct sc_super_info base = make_super(22, 1, 4, 10);

	/* Edit a copy of base; the forged superblock must be refused. */
#define REJECTED(...) do {						\
	struct sc_super_info s = base;					\
									\
	__VA_ARGS__;							\
	ASSERT_EQ(-EUCLEAN, decode_forged(&s, SCRATCH_DISK_VERSION))	\
		TH_LOG("accepted: %s", #__VA_ARGS__);			\
} while (0)

	ASSERT_EQ(0, decode_forged(&base, SCRATCH_DISK_VERSION));

	ASSERT_EQ(-EUCLEAN, decode_forged(&base, 0));
	ASSERT_EQ(-EUCLEAN, decode_forged(&base, SCRATCH_DISK_VERSION + 1));
	ASSERT_EQ(-EUCLEAN, decode_forged(&base, U32_MAX));

	/* Geometry: shift out of range, or table size not the one it implies. */
	REJECTED(s.seg_shift = SCRATCH_SEG_SHIFT_MIN - 1);
	REJECTED(s.seg_shift = SCRATCH_SEG_SHIFT_MAX + 1);
	REJECTED(s.seg_shift = 64);
	REJECTED(s.table_pages++);
	REJECTED(s.table_pages--);
	REJECTED(s.seg_shift = 23);

	/* Region position. */
	REJECTED(s.nr_regions = 0; s.region_idx = 0);
	REJECTED(s.nr_regions = SCRATCH_MAX_REGIONS + 1);
	REJECTED(s.region_idx = s.nr_regions);
	REJECTED(s.region_idx = U32_MAX);

	/* Segment count not the one the region length implies. */
	REJECTED(s.nr_segs++);
	REJECTED(s.nr_segs--);
	REJECTED(s.region_len = DATA_OFF + (11ULL << 22));
	REJECTED(s.region_len = UINT64_MAX);

	/* This region's segments must lie inside the space. */
	REJECTED(s.space_segs = s.first_seg + s.nr_segs - 1);
	REJECTED(s.first_seg = s.space_segs - s.nr_segs + 1);
	REJECTED(s.first_seg = UINT64_MAX);
	REJECTED(s.first_seg = UINT64_MAX - 5; s.space_segs = UINT64_MAX);
	/* Space-wide segment indexes must fit the 32-bit id field. */
	REJECTED(s.space_segs = (u64)U32_MAX + 1);
	REJECTED(s.first_seg = U32_MAX; s.space_segs = (u64)U32_MAX + 10);
#undef REJECTED
}

TEST(super_region_without_segments)
{
	/*
	 * Attach refuses regions smaller than two segments (E2BIG), so no
	 * superblock with fewer can be genuine, whatever its checksum says.
	 */
	struct sc_super_info s = make_super(20, 0, 1, 2);
	u64 lens[] = { 0, SC_PAGE, DATA_OFF, DATA_OFF + (1ULL << 20),
		       DATA_OFF + (2ULL << 20) - 1 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		s.region_len = lens[i];
		s.nr_segs = 0;
		s.first_seg = 0;
		s.space_segs = 0;
		ASSERT_EQ(-EUCLEAN, decode_forged(&s, SCRATCH_DISK_VERSION))
			TH_LOG("region_len %llu with 0 segments accepted",
			       (unsigned long long)lens[i]);
	}
}

/* ---- segment header ---------------------------------------------------- */

TEST(seg_roundtrip)
{
	static const u64 segs[] = { 0, 1, 2, 1000, U32_MAX - 1ULL };
	static const u32 gens[] = { 1, 2, 0x80000000U, U32_MAX };
	static const u64 seqs[] = { 1, 2, U32_MAX, 1ULL << 40, UINT64_MAX };
	size_t i, j, k;

	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		for (j = 0; j < ARRAY_SIZE(gens); j++) {
			struct sc_seg_info in, out;
			struct scratch_disk_seg d;

			memset(&in, 0, sizeof(in));
			memcpy(in.uuid, uuid_a, sizeof(in.uuid));
			in.seg = segs[i];
			in.gen = gens[j];
			in.state = SCRATCH_SEG_FREE;
			in.seq = 0;
			sc_seg_encode(&d, &in);
			memset(&out, 0x5a, sizeof(out));
			ASSERT_EQ(0, sc_seg_decode(&d, uuid_a, segs[i], &out));
			ASSERT_TRUE(seg_equal(&in, &out));

			for (k = 0; k < ARRAY_SIZE(seqs); k++) {
				in.state = SCRATCH_SEG_OPEN;
				in.seq = seqs[k];
				in.nr_used = 0;
				sc_seg_encode(&d, &in);
				memset(&out, 0x5a, sizeof(out));
				ASSERT_EQ(0, sc_seg_decode(&d, uuid_a, segs[i], &out));
				ASSERT_TRUE(seg_equal(&in, &out));

				in.state = SCRATCH_SEG_SEALED;
				in.nr_used = (u32)(seqs[k] % 5000);
				sc_seg_encode(&d, &in);
				memset(&out, 0x5a, sizeof(out));
				ASSERT_EQ(0, sc_seg_decode(&d, uuid_a, segs[i], &out));
				ASSERT_TRUE(seg_equal(&in, &out));
			}
			in.state = SCRATCH_SEG_FREE;
			in.seq = 0;
			in.nr_used = 0;
		}
	}
}

static struct scratch_disk_seg good_seg(u64 seg, u32 gen, u32 state, u64 seq)
{
	struct scratch_disk_seg d;
	struct sc_seg_info in;

	memset(&in, 0, sizeof(in));
	memcpy(in.uuid, uuid_a, sizeof(in.uuid));
	in.seg = seg;
	in.gen = gen;
	in.state = state;
	in.seq = seq;
	in.nr_used = state == SCRATCH_SEG_SEALED ? 77 : 0;
	sc_seg_encode(&d, &in);
	return d;
}

/* A header as sc_seg_encode() would never write it, with a valid checksum. */
static struct scratch_disk_seg forged_seg(u32 state, u64 seq, u32 nr_used, u32 reserved0)
{
	struct scratch_disk_seg d = good_seg(4, 1, SCRATCH_SEG_FREE, 0);

	d.state = htole32(state);
	d.seq = htole64(seq);
	d.nr_used = htole32(nr_used);
	d.reserved0 = htole32(reserved0);
	d.csum = 0;
	d.csum = htole64(XXH64(&d, sizeof(d), 0));
	return d;
}

/* @f, a flipped copy of header @arg, where @arg belongs. */
static int seg_decode(const void *f, const void *arg)
{
	const struct scratch_disk_seg *d = arg;
	struct sc_seg_info out;

	return sc_seg_decode(f, uuid_a, le64toh(d->seg), &out);
}

TEST(seg_every_bit_flip_rejected)
{
	struct scratch_disk_seg d[3] = {
		good_seg(7, 3, SCRATCH_SEG_OPEN, 99),
		good_seg(0, 1, SCRATCH_SEG_FREE, 0),
		good_seg(9, 5, SCRATCH_SEG_SEALED, 1ULL << 40),
	};
	size_t k;

	/* Any damaged bit, the magic's too: -EUCLEAN. */
	for (k = 0; k < ARRAY_SIZE(d); k++)
		every_bit_flip(_metadata, &d[k], sizeof(d[k]), seg_decode, &d[k],
			       0, 0, -EUCLEAN, "segment header");
}

TEST(seg_wrong_identity)
{
	struct scratch_disk_seg d = good_seg(7, 3, SCRATCH_SEG_OPEN, 99);
	struct sc_seg_info out;
	u8 other[16];
	size_t i;

	ASSERT_EQ(0, sc_seg_decode(&d, uuid_a, 7, &out));
	/* Another space's header at the right place. */
	for (i = 0; i < sizeof(other) * 8; i++) {
		memcpy(other, uuid_a, sizeof(other));
		other[i / 8] ^= 1U << (i % 8);
		ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, other, 7, &out));
	}
	/* This space's header at the wrong place. */
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 6, &out));
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 8, &out));
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 0, &out));
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 7ULL | 1ULL << 32, &out));
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, UINT64_MAX, &out));
}

TEST(seg_bad_state_with_valid_checksum)
{
	struct scratch_disk_seg d;
	struct sc_seg_info out;
	static const u32 states[] = { 3, 4, 0x100, 0x80000000U, U32_MAX };
	size_t i;

	/* Generation 0 is never written. */
	d = good_seg(4, 0, SCRATCH_SEG_FREE, 0);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	d = good_seg(4, 0, SCRATCH_SEG_OPEN, 5);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	/* A free segment has no fill order; an open one always has one. */
	d = good_seg(4, 1, SCRATCH_SEG_FREE, 1);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	d = good_seg(4, 1, SCRATCH_SEG_FREE, UINT64_MAX);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	d = good_seg(4, 1, SCRATCH_SEG_OPEN, 0);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		d = good_seg(4, 1, states[i], 5);
		ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
		d = good_seg(4, 1, states[i], 0);
		ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	}
	/* Another format's magic with a valid checksum. */
	d = good_seg(4, 1, SCRATCH_SEG_OPEN, 5);
	d.magic = htole64(SCRATCH_SUPER_MAGIC);
	RESEAL(&d);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	/* A slot bound only on SEALED headers, which always have a seq. */
	d = forged_seg(SCRATCH_SEG_SEALED, 5, 3, 0);
	ASSERT_EQ(0, sc_seg_decode(&d, uuid_a, 4, &out));
	ASSERT_EQ(3U, out.nr_used);
	d = forged_seg(SCRATCH_SEG_SEALED, 5, 0, 0);
	ASSERT_EQ(0, sc_seg_decode(&d, uuid_a, 4, &out));
	d = forged_seg(SCRATCH_SEG_SEALED, 0, 3, 0);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	d = forged_seg(SCRATCH_SEG_OPEN, 5, 3, 0);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	d = forged_seg(SCRATCH_SEG_FREE, 0, 1, 0);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	d = forged_seg(SCRATCH_SEG_SEALED, 5, 3, 1);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
	d = forged_seg(SCRATCH_SEG_OPEN, 5, 0, 0x80000000U);
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 4, &out));
}

/* Reload reads the whole table of an OPEN segment, the used part of a SEALED one. */
TEST(seg_table_pages_used)
{
	struct sc_seg_info si = { .state = SCRATCH_SEG_OPEN, .seq = 1 };
	struct sc_geom g;

	ASSERT_EQ(0, sc_geom_init(&g, 30));
	ASSERT_EQ(1024U, g.table_pages);
	ASSERT_EQ(1024U, sc_table_pages_used(&g, &si));
	si.state = SCRATCH_SEG_SEALED;
	si.nr_used = 0;
	ASSERT_EQ(0U, sc_table_pages_used(&g, &si));
	si.nr_used = 1;
	ASSERT_EQ(1U, sc_table_pages_used(&g, &si));
	si.nr_used = 64;
	ASSERT_EQ(1U, sc_table_pages_used(&g, &si));
	si.nr_used = 65;
	ASSERT_EQ(2U, sc_table_pages_used(&g, &si));
	si.nr_used = g.nr_slots;
	ASSERT_EQ(1024U, sc_table_pages_used(&g, &si));
	/* A bound past the table (never written) reads the table, no more. */
	si.nr_used = U32_MAX;
	ASSERT_EQ(1024U, sc_table_pages_used(&g, &si));
}

/*
 * The re-format bug: a format writes superblocks only, generations restart
 * at 1, and records do not name their space.  With seqs starting at 1 in
 * every space, a record the earlier space left in segment 0's table (gen 1,
 * seq 1) was a valid record of the new space's first segment (gen 1, seq 1).
 * Seqs now start at an origin from the uuid: far from 1 and from each other.
 */
TEST(seq_origin_binds_records_to_their_space)
{
	static const u8 uuid_b[16] = { 0xb0, 0x0b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
	u64 oa = sc_seq_origin(uuid_a), ob = sc_seq_origin(uuid_b), d;
	struct sc_rec_info in, out;
	struct scratch_disk_atom rec;
	struct sc_geom g;
	u8 u[16];
	int i;

	ASSERT_EQ(0, sc_geom_init(&g, 20));
	/* Pure: the same uuid gives the same origin, on every attach. */
	ASSERT_EQ(oa, sc_seq_origin(uuid_a));
	ASSERT_GE(oa, 1ULL << 32);
	ASSERT_LT(oa, (1ULL << 62) + (1ULL << 32));
	d = oa > ob ? oa - ob : ob - oa;
	ASSERT_GT(d, 1ULL << 32);
	/* Every bit of the uuid moves it. */
	for (i = 0; i < 128; i++) {
		memcpy(u, uuid_a, sizeof(u));
		u[i / 8] ^= 1U << (i % 8);
		ASSERT_NE(oa, sc_seq_origin(u));
		ASSERT_GE(sc_seq_origin(u), 1ULL << 32);
	}

	/* A record of space A's first segment (gen 1) ... */
	memset(&in, 0, sizeof(in));
	in.gen = 1;
	in.seq = oa;
	in.page = g.first_page;
	in.stored_len = 4096;
	in.length = 4096;
	sc_rec_encode(&rec, &in);
	ASSERT_EQ(0, sc_rec_decode(&rec, &g, 1, oa, &out));
	/* ... is stale for space B's first segment, also at gen 1. */
	ASSERT_EQ(-ENOENT, sc_rec_decode(&rec, &g, 1, ob, &out));
	/* And a table of a module that started at 1 never matches a new space. */
	in.seq = 1;
	sc_rec_encode(&rec, &in);
	ASSERT_EQ(-ENOENT, sc_rec_decode(&rec, &g, 1, ob, &out));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&rec, &g, 1, oa, &out));
}

TEST(seg_blank)
{
	struct scratch_disk_seg d;
	struct sc_seg_info out;

	memset(&d, 0, sizeof(d));
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 0, &out));
	memset(&d, 0xff, sizeof(d));
	ASSERT_EQ(-EUCLEAN, sc_seg_decode(&d, uuid_a, 0, &out));
}

/* ---- atom records ------------------------------------------------------ */

static struct sc_rec_info make_rec(const struct sc_geom *g, u32 page, u64 stored_len)
{
	struct sc_rec_info r;

	memset(&r, 0, sizeof(r));
	r.gen = 7;
	r.seq = 1234;
	r.page = page;
	r.stored_len = stored_len;
	r.length = stored_len * 3;
	r.xxh64 = 0xfedcba9876543210ULL;
	r.tenant = 42;
	r.type = 0xbeef;
	r.atom_flags = SCRATCH_ATOM_ZSTD;
	return r;
}

static int rec_try(const struct sc_geom *g, const struct sc_rec_info *in,
		   struct sc_rec_info *out)
{
	struct scratch_disk_atom d;

	sc_rec_encode(&d, in);
	memset(out, 0x5a, sizeof(*out));
	return sc_rec_decode(&d, g, in->gen, in->seq, out);
}

TEST(rec_roundtrip)
{
	u32 shift;

	for (shift = SCRATCH_SEG_SHIFT_MIN; shift <= SCRATCH_SEG_SHIFT_MAX; shift++) {
		struct sc_rec_info in, out;
		struct sc_geom g;

		ASSERT_EQ(0, sc_geom_init(&g, shift));
		/* One byte at the first payload page. */
		in = make_rec(&g, g.first_page, 1);
		ASSERT_EQ(0, rec_try(&g, &in, &out));
		ASSERT_TRUE(rec_equal(&in, &out));
		/* One byte in the last page. */
		in = make_rec(&g, g.seg_pages - 1, 1);
		ASSERT_EQ(0, rec_try(&g, &in, &out));
		ASSERT_TRUE(rec_equal(&in, &out));
		/* Exactly the last page, full. */
		in = make_rec(&g, g.seg_pages - 1, SC_PAGE);
		ASSERT_EQ(0, rec_try(&g, &in, &out));
		ASSERT_TRUE(rec_equal(&in, &out));
		/* An array whose table fills the atom. */
		in = make_rec(&g, g.first_page, SC_PAGE);
		in.nr_parts = SC_PARTS_PER_PAGE;
		ASSERT_EQ(0, rec_try(&g, &in, &out));
		ASSERT_TRUE(rec_equal(&in, &out));
	}
}

TEST(rec_field_extremes_roundtrip)
{
	/* Every field at the top of its range, then at the bottom (length the other way). */
	static const struct sc_rec_info ends[] = {
		{
			.gen = U32_MAX, .seq = UINT64_MAX, .tenant = U32_MAX, .type = 0xffff,
			.xxh64 = UINT64_MAX, .length = 0, .atom_flags = SCRATCH_ATOM_USER_ALL,
			.nr_parts = SCRATCH_MAX_PARTS,
		},
		{ .gen = 1, .seq = 1, .length = U32_MAX },
	};
	struct sc_rec_info in, out;
	struct sc_geom g;
	size_t i;

	ASSERT_EQ(0, sc_geom_init(&g, 30));
	for (i = 0; i < ARRAY_SIZE(ends); i++) {
		/* Both: 512 MiB stored at the first payload page. */
		in = ends[i];
		in.page = g.first_page;
		in.stored_len = 1ULL << 29;
		ASSERT_EQ(0, rec_try(&g, &in, &out));
		ASSERT_TRUE(rec_equal(&in, &out));
	}
}

TEST(rec_largest_atom_every_shift)
{
	/*
	 * RESERVE takes stored_len up to the segment payload size or 4 GiB - 1,
	 * whichever is smaller (the RAM index keeps 32-bit lengths): the largest
	 * atom must survive a reload, one byte more must not decode.
	 */
	u32 shift;

	for (shift = SCRATCH_SEG_SHIFT_MIN; shift <= SCRATCH_SEG_SHIFT_MAX; shift++) {
		struct sc_rec_info in, out;
		struct sc_geom g;
		u64 max;

		ASSERT_EQ(0, sc_geom_init(&g, shift));
		max = (u64)g.payload_pages << SC_PAGE_SHIFT;
		if (max > UINT32_MAX)
			max = UINT32_MAX;
		in = make_rec(&g, g.first_page, max);
		in.length = max;
		ASSERT_EQ(0, rec_try(&g, &in, &out))
			TH_LOG("shift %u: %llu-byte atom rejected", shift,
			       (unsigned long long)max);
		ASSERT_TRUE(rec_equal(&in, &out));
		in = make_rec(&g, g.first_page, max + 1);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
	}
}

TEST(rec_logical_length_is_u32)
{
	/* COMMIT rejects a logical length above 4 GiB - 1 (EINVAL). */
	struct sc_rec_info in, out;
	struct sc_geom g;

	ASSERT_EQ(0, sc_geom_init(&g, 20));
	in = make_rec(&g, g.first_page, SC_PAGE);
	in.length = UINT32_MAX;
	ASSERT_EQ(0, rec_try(&g, &in, &out));
	ASSERT_TRUE(rec_equal(&in, &out));
	in.length = (u64)UINT32_MAX + 1;
	ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
}

/* A record and the segment it was written for. */
struct rec_case {
	struct sc_geom g;
	struct sc_rec_info in;
};

static int rec_decode(const void *f, const void *arg)
{
	const struct rec_case *c = arg;
	struct sc_rec_info out;

	return sc_rec_decode(f, &c->g, c->in.gen, c->in.seq, &out);
}

TEST(rec_every_bit_flip_rejected)
{
	struct rec_case c;
	struct scratch_disk_atom d;

	ASSERT_EQ(0, sc_geom_init(&c.g, 20));
	c.in = make_rec(&c.g, 10, 5 * SC_PAGE + 17);
	c.in.nr_parts = 3;
	sc_rec_encode(&d, &c.in);
	/* A record without its magic reads as an empty slot. */
	every_bit_flip(_metadata, &d, sizeof(d), rec_decode, &c, 32, -ENOENT, -EUCLEAN, "record");
}

TEST(rec_other_incarnation)
{
	struct sc_geom g;
	struct sc_rec_info in, out;
	struct scratch_disk_atom d;

	ASSERT_EQ(0, sc_geom_init(&g, 20));
	in = make_rec(&g, 2, 100);
	sc_rec_encode(&d, &in);
	ASSERT_EQ(0, sc_rec_decode(&d, &g, in.gen, in.seq, &out));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, in.gen + 1, in.seq, &out));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, in.gen - 1, in.seq, &out));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, in.gen, in.seq + 1, &out));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, in.gen, in.seq - 1, &out));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, in.gen, 0, &out));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, in.gen | 1U << 31, in.seq, &out));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, in.gen, in.seq | 1ULL << 63, &out));

	/* A stale record is not damage, even when it would not fit now. */
	in = make_rec(&g, 0, 0);
	in.gen = 6;
	sc_rec_encode(&d, &in);
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, 7, in.seq, &out));
}

TEST(rec_empty_slot)
{
	struct sc_geom g;
	struct scratch_disk_atom d;
	struct sc_rec_info out;

	ASSERT_EQ(0, sc_geom_init(&g, 20));
	memset(&d, 0, sizeof(d));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, 1, 1, &out));
	memset(&d, 0xff, sizeof(d));
	ASSERT_EQ(-ENOENT, sc_rec_decode(&d, &g, 1, 1, &out));
}

TEST(rec_payload_outside_segment)
{
	u32 shift;

	for (shift = SCRATCH_SEG_SHIFT_MIN; shift <= SCRATCH_SEG_SHIFT_MAX; shift++) {
		struct sc_rec_info in, out;
		struct sc_geom g;
		u32 last = 0;

		ASSERT_EQ(0, sc_geom_init(&g, shift));
		last = g.seg_pages - 1;
		/* Over the header or the table. */
		in = make_rec(&g, 0, 1);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		in = make_rec(&g, 1, 1);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		in = make_rec(&g, g.first_page - 1, SC_PAGE * 2);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		/* Past the end, by a byte or by a lot. */
		in = make_rec(&g, last, SC_PAGE + 1);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		in = make_rec(&g, g.seg_pages, 1);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		in = make_rec(&g, U32_MAX, 1);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		in = make_rec(&g, U32_MAX, U32_MAX);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		in = make_rec(&g, g.first_page, UINT64_MAX);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		in = make_rec(&g, g.first_page, UINT64_MAX - SC_PAGE + 2);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		in = make_rec(&g, g.first_page, 1ULL << 63);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
		/* Ending exactly at the segment end is inside. */
		in = make_rec(&g, last - 2, 3 * SC_PAGE);
		ASSERT_EQ(0, rec_try(&g, &in, &out));
		in = make_rec(&g, last - 2, 3 * SC_PAGE + 1);
		ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
	}
}

TEST(rec_bad_fields_with_valid_checksum)
{
	struct sc_rec_info in, out;
	struct sc_geom g;

	ASSERT_EQ(0, sc_geom_init(&g, 20));
	/* Every atom has at least one byte. */
	in = make_rec(&g, 2, 0);
	ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
	/* Unknown atom flags. */
	in = make_rec(&g, 2, 1);
	in.atom_flags = SCRATCH_ATOM_USER_ALL + 1;
	ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
	in.atom_flags = 0x8000;
	ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
	/* Arrays: part count, and a part table larger than the atom. */
	in = make_rec(&g, 2, 200 * SC_PAGE);
	in.nr_parts = SCRATCH_MAX_PARTS + 1;
	ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
	in.nr_parts = U32_MAX;
	ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
	in = make_rec(&g, 2, SC_PAGE);
	in.nr_parts = SC_PARTS_PER_PAGE + 1;
	ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
	in = make_rec(&g, 2, SC_PAGE - 1);
	in.nr_parts = 1;
	ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
	/* 65536 parts need a 2 MiB table: not in a 1 MiB segment. */
	in = make_rec(&g, 2, 254 * SC_PAGE);
	in.nr_parts = SCRATCH_MAX_PARTS;
	ASSERT_EQ(-EUCLEAN, rec_try(&g, &in, &out));
}

/* ---- part tables ------------------------------------------------------- */

/*
 * Independent statement of the rule, in 128-bit arithmetic so it cannot
 * overflow: parts page-aligned, after the table, in order, without sharing a
 * page, inside stored_len, reserved zero.
 */
static bool ref_parts_ok(const struct scratch_disk_part *p, u32 n, u64 stored_len)
{
	unsigned __int128 next, table;
	u32 i;

	if (n < 1 || n > SCRATCH_MAX_PARTS)
		return false;
	table = ((unsigned __int128)n * 32 + SC_PAGE - 1) / SC_PAGE * SC_PAGE;
	if (table > stored_len)
		return false;
	next = table;
	for (i = 0; i < n; i++) {
		unsigned __int128 off = le64toh(p[i].off), len = le64toh(p[i].len);

		if (p[i].reserved || off % SC_PAGE || off < next)
			return false;
		if (off + len > stored_len)
			return false;
		next = (off + len + SC_PAGE - 1) / SC_PAGE * SC_PAGE;
	}
	return true;
}

static void set_part(struct scratch_disk_part *p, u64 off, u64 len)
{
	p->off = htole64(off);
	p->len = htole64(len);
	p->xxh64 = htole64(off * 31 + len);
	p->reserved = 0;
}

/* Pack @n parts of the given lengths after the table; returns stored_len. */
static u64 pack_parts(struct scratch_disk_part *p, u32 n, const u64 *lens)
{
	u64 off = sc_part_table_bytes(n), end = off;
	u32 i;

	for (i = 0; i < n; i++) {
		set_part(&p[i], off, lens[i]);
		end = off + lens[i];
		off += sc_pages(lens[i]) << SC_PAGE_SHIFT;
	}
	return end;
}

TEST(parts_valid_tables)
{
	struct scratch_disk_part p[200];
	u64 lens[200];
	u64 stored;
	u32 i;

	lens[0] = 1;
	stored = pack_parts(p, 1, lens);
	ASSERT_EQ(SC_PAGE + 1ULL, stored);
	ASSERT_EQ(0, sc_parts_check(p, 1, stored));
	/* Room after the last part is allowed. */
	ASSERT_EQ(0, sc_parts_check(p, 1, stored + 5 * SC_PAGE));

	/* Mixed sizes, including empty parts and exact pages; 200 needs 2 table pages. */
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		lens[i] = (i % 5 == 0) ? 0 : (i % 3 == 0) ? SC_PAGE * (i % 4 + 1) : i * 37;
	stored = pack_parts(p, ARRAY_SIZE(lens), lens);
	ASSERT_EQ(2ULL * SC_PAGE, le64toh(p[0].off));
	ASSERT_EQ(0, sc_parts_check(p, ARRAY_SIZE(lens), stored));
	ASSERT_TRUE(ref_parts_ok(p, ARRAY_SIZE(lens), stored));

	/* Gaps between parts are allowed: order and alignment are what count. */
	set_part(&p[0], SC_PAGE, 10);
	set_part(&p[1], 4 * SC_PAGE, SC_PAGE);
	set_part(&p[2], 5 * SC_PAGE, 0);
	set_part(&p[3], 5 * SC_PAGE, 1);
	ASSERT_EQ(0, sc_parts_check(p, 4, 5 * SC_PAGE + 1));

	/* Only empty parts, all at the table's end. */
	for (i = 0; i < 3; i++)
		set_part(&p[i], SC_PAGE, 0);
	ASSERT_EQ(0, sc_parts_check(p, 3, SC_PAGE));
}

TEST(parts_max_table)
{
	static struct scratch_disk_part p[SCRATCH_MAX_PARTS + 1];
	static u64 lens[SCRATCH_MAX_PARTS + 1];
	u64 stored;
	u32 i;

	for (i = 0; i < SCRATCH_MAX_PARTS + 1; i++)
		lens[i] = 1 + i % 9000;
	stored = pack_parts(p, SCRATCH_MAX_PARTS, lens);
	ASSERT_EQ(2ULL << 20, le64toh(p[0].off));
	ASSERT_EQ(0, sc_parts_check(p, SCRATCH_MAX_PARTS, stored));
	stored = pack_parts(p, SCRATCH_MAX_PARTS + 1, lens);
	ASSERT_EQ(-EINVAL, sc_parts_check(p, SCRATCH_MAX_PARTS + 1, stored));
}

TEST(parts_bad_counts)
{
	struct scratch_disk_part p[SC_PARTS_PER_PAGE + 1];
	u64 lens[SC_PARTS_PER_PAGE + 1] = { 0 };
	u64 stored;

	stored = pack_parts(p, 1, lens);
	ASSERT_EQ(-EINVAL, sc_parts_check(p, 0, stored + SC_PAGE));
	ASSERT_EQ(-EINVAL, sc_parts_check(p, U32_MAX, UINT64_MAX));
	/* The table does not fit the stored bytes. */
	ASSERT_EQ(-EINVAL, sc_parts_check(p, 1, 0));
	ASSERT_EQ(-EINVAL, sc_parts_check(p, 1, SC_PAGE - 1));
	stored = pack_parts(p, SC_PARTS_PER_PAGE + 1, lens);
	ASSERT_EQ(2ULL * SC_PAGE, stored);
	ASSERT_EQ(0, sc_parts_check(p, SC_PARTS_PER_PAGE + 1, stored));
	ASSERT_EQ(-EINVAL, sc_parts_check(p, SC_PARTS_PER_PAGE + 1, stored - 1));
}

TEST(parts_bad_entries)
{
	struct scratch_disk_part p[4], q[4];
	u64 lens[4] = { 100, SC_PAGE, 3 * SC_PAGE + 1, 7 };
	u64 stored = pack_parts(p, 4, lens);
	u64 bit;
	int i;

	ASSERT_EQ(0, sc_parts_check(p, 4, stored));

	/* Inside the table. */
	memcpy(q, p, sizeof(p));
	set_part(&q[0], 0, 100);
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	/* Unaligned. */
	for (i = 0; i < 4; i++) {
		u64 d[] = { 1, 512, SC_PAGE - 1 };
		size_t k;

		for (k = 0; k < ARRAY_SIZE(d); k++) {
			memcpy(q, p, sizeof(p));
			q[i].off = htole64(le64toh(q[i].off) + d[k]);
			ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored + SC_PAGE))
				TH_LOG("part %d moved by %llu", i, (unsigned long long)d[k]);
		}
	}
	/* Overlapping its predecessor, or sharing its last page. */
	memcpy(q, p, sizeof(p));
	q[1].off = q[0].off;
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	memcpy(q, p, sizeof(p));
	q[0].len = htole64(SC_PAGE + 1);
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	memcpy(q, p, sizeof(p));
	q[2].len = htole64(le64toh(q[2].len) + SC_PAGE);
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	/* Out of order. */
	memcpy(q, p, sizeof(p));
	q[1] = p[2];
	q[2] = p[1];
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	/* Past stored_len, by a byte or by wrapping around. */
	ASSERT_EQ(-EINVAL, sc_parts_check(p, 4, stored - 1));
	memcpy(q, p, sizeof(p));
	q[3].len = htole64(le64toh(q[3].len) + 1);
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	memcpy(q, p, sizeof(p));
	q[3].off = htole64(stored + SC_PAGE - stored % SC_PAGE);
	q[3].len = 0;
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	memcpy(q, p, sizeof(p));
	q[3].len = htole64(UINT64_MAX);
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	memcpy(q, p, sizeof(p));
	q[3].len = htole64(UINT64_MAX - le64toh(q[3].off) + 1);
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	memcpy(q, p, sizeof(p));
	q[3].off = htole64(UINT64_MAX & ~(u64)(SC_PAGE - 1));
	ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
	/* Any reserved bit. */
	for (i = 0; i < 4; i++) {
		for (bit = 0; bit < 64; bit++) {
			memcpy(q, p, sizeof(p));
			q[i].reserved = htole64(1ULL << bit);
			ASSERT_EQ(-EINVAL, sc_parts_check(q, 4, stored));
		}
	}
}

TEST(parts_no_overlap_near_u64_max)
{
	/*
	 * The rule holds for any stored_len: a huge first part must not let the
	 * page round-up wrap and admit a second part over the first.
	 */
	struct scratch_disk_part p[2];

	set_part(&p[0], SC_PAGE, UINT64_MAX - 2 * SC_PAGE + 2);
	set_part(&p[1], SC_PAGE, 10);
	ASSERT_FALSE(ref_parts_ok(p, 2, UINT64_MAX));
	ASSERT_EQ(-EINVAL, sc_parts_check(p, 2, UINT64_MAX));
}

TEST(parts_match_reference)
{
	/* Random tables and single mutations: core.c agrees with the rule. */
	struct scratch_disk_part p[16];
	u64 x = 0x6a09e667f3bcc909ULL;
	int iter;

	for (iter = 0; iter < 200000; iter++) {
		u32 n = 1 + rnd(&x) % 16, i;
		u64 lens[16], stored, r = rnd(&x);
		bool ok;
		int rc;

		for (i = 0; i < n; i++)
			lens[i] = rnd(&x) % (3 * SC_PAGE);
		stored = pack_parts(p, n, lens);
		/* One mutation of a field, or of stored_len. */
		i = (r >> 8) % n;
		switch (r % 8) {
		case 0:
			p[i].off = htole64(le64toh(p[i].off) + (rnd(&x) % 3 - 1) * SC_PAGE);
			break;
		case 1:
			p[i].off = htole64(le64toh(p[i].off) ^ (1ULL << (rnd(&x) % 64)));
			break;
		case 2:
			p[i].len = htole64(le64toh(p[i].len) ^ (1ULL << (rnd(&x) % 64)));
			break;
		case 3:
			p[i].len = htole64(le64toh(p[i].len) + rnd(&x) % (2 * SC_PAGE));
			break;
		case 4:
			stored -= rnd(&x) % (SC_PAGE + 1) % (stored + 1);
			break;
		case 5:
			stored += rnd(&x) % (4 * SC_PAGE);
			break;
		case 6:
			p[i].reserved = htole64(rnd(&x) % 2);
			break;
		default:
			stored = rnd(&x);
			break;
		}
		ok = ref_parts_ok(p, n, stored);
		rc = sc_parts_check(p, n, stored);
		ASSERT_EQ(ok ? 0 : -EINVAL, rc)
			TH_LOG("iteration %d: n %u stored %llu mutation %llu", iter, n,
			       (unsigned long long)stored, (unsigned long long)(r % 8));
	}
}

/* The 16-byte index entry: parts 0 (plain) and 1..SCRATCH_MAX_PARTS, exactly. */
TEST(entry_parts_round_trip)
{
	static const u32 n[] = { 0, 1, 2, 255, 256, 65535, SCRATCH_MAX_PARTS };
	struct sc_atom a;
	unsigned int i;

	ASSERT_EQ((size_t)16, sizeof(struct sc_atom));
	ASSERT_EQ((size_t)16, sizeof(struct sc_atom_meta));
	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		memset(&a, 0xff, sizeof(a));
		a.state = 0x5a;
		sc_atom_set_parts(&a, n[i]);
		EXPECT_EQ(n[i], sc_atom_nr_parts(&a));
		/* The state byte next to it is not touched. */
		EXPECT_EQ(0x5a, a.state);
	}
}

/*
 * A record read back from a table speaks for an entry only if it names the
 * same page, stored length, tenant and parts; its meta then comes back whole,
 * and the record built from entry + meta is byte for byte the one read.
 */
TEST(record_of_entry)
{
	struct scratch_disk_atom rec, again;
	struct sc_rec_info in, out;
	struct sc_atom_meta m;
	struct sc_atom a;
	struct sc_geom g;

	ASSERT_EQ(0, sc_geom_init(&g, 24));
	memset(&in, 0, sizeof(in));
	in.gen = 7;
	in.seq = 1ULL << 33;
	in.page = g.first_page + 3;
	in.nr_parts = SCRATCH_MAX_PARTS;
	in.tenant = 42;
	in.stored_len = 3 << 20;
	in.length = 5 << 20;
	in.xxh64 = 0x0123456789abcdefULL;
	in.type = 0xbeef;
	in.atom_flags = SCRATCH_ATOM_ZSTD;
	sc_rec_encode(&rec, &in);
	ASSERT_EQ(0, sc_rec_decode(&rec, &g, 7, 1ULL << 33, &out));

	memset(&a, 0, sizeof(a));
	a.page = in.page;
	a.stored_len = (u32)in.stored_len;
	a.tenant = 42;
	sc_atom_set_parts(&a, SCRATCH_MAX_PARTS);
	memset(&m, 0xff, sizeof(m));
	ASSERT_TRUE(sc_rec_of_atom(&out, &a, &m));
	EXPECT_EQ(in.xxh64, m.xxh64);
	EXPECT_EQ(in.length, m.length);
	EXPECT_EQ(in.type, m.type);
	EXPECT_EQ(in.atom_flags, m.atom_flags);
	sc_rec_of_entry(&out, &a, &m, 7, 1ULL << 33);
	sc_rec_encode(&again, &out);
	EXPECT_EQ(0, memcmp(&rec, &again, sizeof(rec)));

	/* Any field of the entry that differs: not this atom's record. */
	a.tenant = 43;
	EXPECT_FALSE(sc_rec_of_atom(&out, &a, &m));
	a.tenant = 42;
	a.page++;
	EXPECT_FALSE(sc_rec_of_atom(&out, &a, &m));
	a.page--;
	a.stored_len++;
	EXPECT_FALSE(sc_rec_of_atom(&out, &a, &m));
	a.stored_len--;
	sc_atom_set_parts(&a, SCRATCH_MAX_PARTS - 1);
	EXPECT_FALSE(sc_rec_of_atom(&out, &a, &m));
	sc_atom_set_parts(&a, 0);
	EXPECT_FALSE(sc_rec_of_atom(&out, &a, &m));
	sc_atom_set_parts(&a, SCRATCH_MAX_PARTS);
	EXPECT_TRUE(sc_rec_of_atom(&out, &a, &m));
}

TEST_HARNESS_MAIN
