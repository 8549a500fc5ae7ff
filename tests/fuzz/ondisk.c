// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target for the on-disk decoders of kmod/core.c, and (-DSCRATCH_FUZZ_SEEDS) its seed writer. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "core.h"

/*
 * One input: a fixed header, the three on-disk structs, then part-table
 * entries for the rest of the bytes.  Short inputs are zero-padded.  Each
 * struct's checksum can be recomputed before decoding (mode bits): random
 * mutation almost never forges an XXH64, and without resealing the fuzzer
 * would only ever exercise the checksum test.
 */
#define MODE_RESEAL_SUPER	(1U << 0)
#define MODE_RESEAL_SEG		(1U << 1)
#define MODE_RESEAL_REC		(1U << 2)
#define MODE_REC_OWN_INCARN	(1U << 3)	/* expect the record's own gen/seq */
#define MODE_SEG_SUPER_UUID	(1U << 4)	/* expect the superblock's uuid */
/*
 * Boundary values a mutator would not guess: stored_len counted down from
 * U64_MAX, and part lengths counted back from the end of stored_len.
 */
#define MODE_LEN_FROM_TOP	(1U << 5)
#define MODE_PART_TO_END	(1U << 6)

struct fuzz_input {
	u8 mode;
	u8 shift;		/* geometry: SCRATCH_SEG_SHIFT_MIN + shift % 15 */
	u8 pad[2];
	u32 gen;		/* incarnation expected of the record */
	u64 seq;
	u64 seg_idx;		/* index expected of the segment header */
	u64 stored_len;		/* for the part table, unless the record gives one */
	u8 uuid[16];		/* uuid expected of the segment header */
	struct scratch_disk_super super;
	struct scratch_disk_seg seg;
	struct scratch_disk_atom rec;
};

/* Seed mode: every decoder must accept its struct. */
static bool expect_valid;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

#define RESEAL(d) do {						\
	(d)->csum = 0;						\
	(d)->csum = cpu_to_le64(sc_xxh64((d), sizeof(*(d))));	\
} while (0)

static void fuzz_super(const struct fuzz_input *in)
{
	struct scratch_disk_super d = in->super, again;
	struct sc_super_info s, s2;
	struct sc_geom g;
	enum sc_why why;
	int rc;

	if (in->mode & MODE_RESEAL_SUPER)
		RESEAL(&d);
	rc = sc_super_decode(&d, &s);
	CHECK(rc == 0 || rc == -EUCLEAN || rc == -EMEDIUMTYPE);
	CHECK(!expect_valid || rc == 0);
	/* fsck's reasons are the module's verdicts, one to one. */
	why = sc_super_why(&d, &s2);
	CHECK((why == SC_WHY_OK) == (rc == 0));
	CHECK((why == SC_WHY_MAGIC) == (rc == -EMEDIUMTYPE));
	CHECK(why == SC_WHY_OK || why == SC_WHY_MAGIC || why == SC_WHY_CSUM ||
	      why == SC_WHY_VERSION || why == SC_WHY_FIELDS);
	CHECK(sc_why_str(why)[0] != 0);
	if (rc)
		return;
	CHECK(le64_to_cpu(d.magic) == SCRATCH_SUPER_MAGIC);
	CHECK(sc_geom_init(&g, s.seg_shift) == 0);
	CHECK(g.table_pages == s.table_pages);
	CHECK(s.nr_regions >= 1 && s.nr_regions <= SCRATCH_MAX_REGIONS);
	CHECK(s.region_idx < s.nr_regions);
	/* A region holds at least two segments, all inside its length. */
	CHECK(s.nr_segs >= 2 && s.nr_segs <= U32_MAX);
	CHECK(SCRATCH_DISK_DATA_OFF + ((__uint128_t)s.nr_segs << s.seg_shift) <= s.region_len);
	CHECK((__uint128_t)s.first_seg + s.nr_segs <= s.space_segs);
	CHECK(s.space_segs <= U32_MAX);
	CHECK(!memcmp(s.uuid, d.uuid, sizeof(s.uuid)));
	/* What decodes re-encodes to something that decodes the same. */
	sc_super_encode(&again, &s);
	CHECK(sc_super_decode(&again, &s2) == 0);
	CHECK(!memcmp(&s, &s2, sizeof(s)));
}

static void fuzz_seg(const struct fuzz_input *in)
{
	struct scratch_disk_seg d = in->seg, again;
	struct sc_seg_info s, s2;
	const u8 *uuid = in->mode & MODE_SEG_SUPER_UUID ? in->super.uuid : in->uuid;
	enum sc_why why;
	int rc;

	if (in->mode & MODE_RESEAL_SEG)
		RESEAL(&d);
	rc = sc_seg_decode(&d, uuid, in->seg_idx, &s);
	CHECK(rc == 0 || rc == -EUCLEAN);
	CHECK(!expect_valid || rc == 0);
	why = sc_seg_why(&d, uuid, in->seg_idx, &s2);
	CHECK((why == SC_WHY_OK) == (rc == 0));
	CHECK(why != SC_WHY_STALE && why != SC_WHY_VERSION);
	/* A foreign or misplaced header is well-sealed: only uuid or index differ. */
	CHECK(why != SC_WHY_FOREIGN || memcmp(d.uuid, uuid, sizeof(d.uuid)));
	CHECK(why != SC_WHY_INDEX || le64_to_cpu(d.seg) != in->seg_idx);
	if (rc)
		return;
	CHECK(!memcmp(s.uuid, uuid, sizeof(s.uuid)));
	CHECK(s.seg == in->seg_idx);
	CHECK(s.gen != 0);
	CHECK((s.state == SCRATCH_SEG_FREE && s.seq == 0 && s.nr_used == 0) ||
	      (s.state == SCRATCH_SEG_OPEN && s.seq != 0 && s.nr_used == 0) ||
	      (s.state == SCRATCH_SEG_SEALED && s.seq != 0));
	/* What reload reads of the table: never past it. */
	if (s.state != SCRATCH_SEG_FREE) {
		struct sc_geom g;

		CHECK(sc_geom_init(&g, SCRATCH_SEG_SHIFT_MIN + in->seg_idx % 15) == 0);
		CHECK(sc_table_pages_used(&g, &s) <= g.table_pages);
		CHECK(s.state == SCRATCH_SEG_SEALED ||
		      sc_table_pages_used(&g, &s) == g.table_pages);
	}
	sc_seg_encode(&again, &s);
	CHECK(sc_seg_decode(&again, uuid, in->seg_idx, &s2) == 0);
	/* Field by field: the struct has padding. */
	CHECK(!memcmp(s.uuid, s2.uuid, sizeof(s.uuid)) && s.seg == s2.seg &&
	      s.gen == s2.gen && s.state == s2.state && s.seq == s2.seq &&
	      s.nr_used == s2.nr_used);
}

/* Returns 0 and fills @r when the record decoded. */
static int fuzz_rec(const struct fuzz_input *in, const struct sc_geom *g,
		    struct sc_rec_info *r)
{
	struct scratch_disk_atom d = in->rec, again;
	struct sc_rec_info r2;
	u32 gen = in->gen;
	u64 seq = in->seq;
	enum sc_why why;
	int rc;

	if (in->mode & MODE_RESEAL_REC)
		RESEAL(&d);
	if (in->mode & MODE_REC_OWN_INCARN) {
		gen = le32_to_cpu(d.gen);
		seq = le64_to_cpu(d.seq);
	}
	rc = sc_rec_decode(&d, g, gen, seq, r);
	CHECK(rc == 0 || rc == -EUCLEAN || rc == -ENOENT);
	CHECK(!expect_valid || rc == 0);
	why = sc_rec_why(&d, g, gen, seq, &r2);
	CHECK((why == SC_WHY_OK) == (rc == 0));
	CHECK((why == SC_WHY_MAGIC || why == SC_WHY_STALE) == (rc == -ENOENT));
	CHECK(why != SC_WHY_FOREIGN && why != SC_WHY_INDEX && why != SC_WHY_VERSION);
	if (rc)
		return rc;
	CHECK(r->gen == gen && r->seq == seq);
	/* The payload lies in the payload area of the segment. */
	CHECK(r->stored_len >= 1);
	CHECK(r->page >= g->first_page);
	CHECK((__uint128_t)r->page + ((__uint128_t)r->stored_len + SC_PAGE - 1) / SC_PAGE <= g->seg_pages);
	CHECK(r->stored_len <= (u64)g->payload_pages * SC_PAGE);
	CHECK(!(r->atom_flags & ~SCRATCH_ATOM_USER_ALL));
	CHECK(r->nr_parts <= SCRATCH_MAX_PARTS);
	CHECK(!r->nr_parts || sc_part_table_bytes(r->nr_parts) <= r->stored_len);
	/* A record has no reserved bytes: it re-encodes to itself. */
	sc_rec_encode(&again, r);
	CHECK(!memcmp(&again, &d, sizeof(d)));
	return 0;
}

/*
 * The part-table rule, restated in 128-bit arithmetic so that it cannot
 * overflow: after the table, page-aligned, in order, no shared pages, inside
 * stored_len, reserved zero.
 */
static bool ref_parts_ok(const struct scratch_disk_part *p, u32 n, u64 stored_len)
{
	__uint128_t next;
	u32 i;

	if (n < 1 || n > SCRATCH_MAX_PARTS)
		return false;
	next = ((__uint128_t)n * sizeof(*p) + SC_PAGE - 1) / SC_PAGE * SC_PAGE;
	if (next > stored_len)
		return false;
	for (i = 0; i < n; i++) {
		__uint128_t off = le64_to_cpu(p[i].off), len = le64_to_cpu(p[i].len);

		if (p[i].reserved || off % SC_PAGE || off < next || off + len > stored_len)
			return false;
		next = (off + len + SC_PAGE - 1) / SC_PAGE * SC_PAGE;
	}
	return true;
}

static void fuzz_parts(const struct scratch_disk_part *p, u32 n, u64 stored_len)
{
	int rc = sc_parts_check(p, n, stored_len);

	CHECK(rc == 0 || rc == -EINVAL);
	CHECK(!expect_valid || rc == 0);
	if (rc == 0) {
		__uint128_t end = sc_part_table_bytes(n);
		u32 i;

		/* Direct statement of what acceptance promises the reader. */
		for (i = 0; i < n; i++) {
			u64 off = le64_to_cpu(p[i].off), len = le64_to_cpu(p[i].len);

			CHECK(off % SC_PAGE == 0 && off >= end);
			CHECK(len <= stored_len && off <= stored_len - len);
			end = ((__uint128_t)off + len + SC_PAGE - 1) / SC_PAGE * SC_PAGE;
		}
	}
	CHECK((rc == 0) == ref_parts_ok(p, n, stored_len));
	/* Walked one entry at a time (the module's verification): the same verdict. */
	if (n >= 1 && n <= SCRATCH_MAX_PARTS && sc_part_table_bytes(n) <= stored_len) {
		u64 next = sc_part_table_bytes(n);
		u32 i;
		int walk = 0;

		for (i = 0; i < n && !walk; i++)
			walk = sc_part_next(&p[i], &next, stored_len);
		CHECK(walk == rc);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	struct scratch_disk_part *parts;
	struct sc_rec_info r;
	struct sc_geom g;
	size_t rest = size > sizeof(in) ? size - sizeof(in) : 0;
	u32 n = rest / sizeof(*parts);

	memset(&in, 0, sizeof(in));
	memcpy(&in, data, size < sizeof(in) ? size : sizeof(in));

	fuzz_super(&in);
	fuzz_seg(&in);

	CHECK(sc_geom_init(&g, SCRATCH_SEG_SHIFT_MIN + in.shift %
			   (SCRATCH_SEG_SHIFT_MAX - SCRATCH_SEG_SHIFT_MIN + 1)) == 0);
	CHECK(g.first_page + g.payload_pages == g.seg_pages);

	/* Exactly n entries on the heap, so ASan sees any read past them. */
	parts = malloc(n ? n * sizeof(*parts) : 1);
	if (!parts)
		return 0;
	if (n)
		memcpy(parts, data + sizeof(in), n * sizeof(*parts));
	if (fuzz_rec(&in, &g, &r) == 0 && r.nr_parts && r.nr_parts <= n)
		fuzz_parts(parts, r.nr_parts, r.stored_len);	/* as reload would */
	if (n) {
		u64 stored_len = in.stored_len;
		u32 i;

		if (n > SCRATCH_MAX_PARTS)
			n = SCRATCH_MAX_PARTS;
		if (in.mode & MODE_LEN_FROM_TOP)
			stored_len = UINT64_MAX - stored_len;
		for (i = 0; in.mode & MODE_PART_TO_END && i < n; i++) {
			u64 off = le64_to_cpu(parts[i].off), len = le64_to_cpu(parts[i].len);

			if (off <= stored_len && len <= stored_len - off)
				parts[i].len = cpu_to_le64(stored_len - off - len);
		}
		fuzz_parts(parts, n, stored_len);
	}
	free(parts);
	return 0;
}

#ifdef SCRATCH_FUZZ_SEEDS
/*
 * Seed corpus: one valid input per geometry and part count, with and without
 * resealing.  Each is run through the target with expect_valid set, so a
 * seed the decoders reject fails here instead of starving the fuzzer.
 */
#define SEED_MAX_PARTS	8
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int write_seed(const char *dir, int idx, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%03d", dir, idx);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const u32 shifts[] = { 20, 21, 26, 34 };
	static const u32 nparts[] = { 0, 1, 3, SEED_MAX_PARTS };
	struct {
		struct fuzz_input in;
		struct scratch_disk_part parts[SEED_MAX_PARTS];
	} seed;
	size_t i, j;
	int idx = 0;

	/* The entries must follow the header with no padding, as in an input. */
	_Static_assert(sizeof(seed) == sizeof(seed.in) + sizeof(seed.parts), "seed layout");
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	expect_valid = true;
	for (i = 0; i < ARRAY_SIZE(shifts); i++) {
		for (j = 0; j < ARRAY_SIZE(nparts); j++) {
			struct sc_super_info s = { .uuid = { 0x5c, 0x7a, 1, 2, 3, 4, 5, 6,
							      7, 8, 9, 10, 11, 12, 13, 14 } };
			struct sc_seg_info sg;
			struct sc_rec_info r;
			struct sc_geom g;
			u32 k, n = nparts[j];
			u64 off, len;
			size_t size;

			memset(&seed, 0, sizeof(seed));
			sc_geom_init(&g, shifts[i]);
			seed.in.shift = shifts[i] - SCRATCH_SEG_SHIFT_MIN;
			seed.in.mode = (i + j) % 2 ? MODE_SEG_SUPER_UUID :
				       MODE_RESEAL_SUPER | MODE_RESEAL_SEG |
				       MODE_RESEAL_REC | MODE_REC_OWN_INCARN;
			seed.in.gen = 3 + j;
			seed.in.seq = 100 + i;
			seed.in.seg_idx = 5 + j;
			memcpy(seed.in.uuid, s.uuid, sizeof(s.uuid));

			s.seg_shift = shifts[i];
			s.table_pages = g.table_pages;
			s.region_idx = j % 2;
			s.nr_regions = 2;
			s.nr_segs = 3 + j;
			s.region_len = SCRATCH_DISK_DATA_OFF + (s.nr_segs << shifts[i]);
			s.first_seg = s.region_idx * s.nr_segs;
			s.space_segs = 2 * s.nr_segs;
			sc_super_encode(&seed.in.super, &s);

			memcpy(sg.uuid, s.uuid, sizeof(sg.uuid));
			sg.seg = seed.in.seg_idx;
			sg.gen = seed.in.gen;
			/* Odd seeds: SEALED, with a slot bound. */
			sg.state = j % 2 ? SCRATCH_SEG_SEALED : SCRATCH_SEG_OPEN;
			sg.nr_used = j % 2 ? 65 * j : 0;
			sg.seq = seed.in.seq;
			sc_seg_encode(&seed.in.seg, &sg);

			/* An array (or atom) whose parts are packed after the table. */
			off = n ? sc_part_table_bytes(n) : 0;
			len = off + 1;
			for (k = 0; k < n; k++) {
				u64 plen = k * 1000 + (k % 2 ? SC_PAGE : 0);

				seed.parts[k].off = cpu_to_le64(off);
				seed.parts[k].len = cpu_to_le64(plen);
				seed.parts[k].xxh64 = cpu_to_le64(k);
				len = off + plen;
				off += sc_pages(plen) << SC_PAGE_SHIFT;
			}
			memset(&r, 0, sizeof(r));
			r.gen = seed.in.gen;
			r.seq = seed.in.seq;
			r.page = g.first_page + j;
			r.nr_parts = n;
			r.stored_len = len;
			r.length = len;
			r.xxh64 = 0x1234;
			r.tenant = j;
			r.type = 7;
			sc_rec_encode(&seed.in.rec, &r);
			seed.in.stored_len = len;

			/* The part entries only exist when there is a table. */
			size = sizeof(seed.in) + n * sizeof(seed.parts[0]);
			LLVMFuzzerTestOneInput((const uint8_t *)&seed, size);
			if (write_seed(argv[1], idx++, &seed, size))
				return 1;
		}
	}
	printf("%d seeds in %s\n", idx, argv[1]);
	return 0;
}
#endif
