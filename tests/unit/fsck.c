// SPDX-License-Identifier: GPL-2.0
/*
 * scratchctl fsck on image files built with the module's own encoders
 * (kmod/core.c): clean images pass, and each kind of damage (superblocks,
 * segment headers, records, overlaps, payloads, part tables, short images)
 * gives exit status 1 and names the damaged thing; bad usage gives 2.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "core.h"
#include "sh.h"
#include "scratch_version.h"

static void __attribute__((constructor)) line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

#define SHIFT		20
#define NSEGS		8
#define REGION_LEN	(SCRATCH_DISK_DATA_OFF + ((u64)NSEGS << SHIFT))

static const u8 uuid[16] = { 0x5c, 0x7a, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };

/* What the image holds, for the tests to aim at. */
struct image {
	char path[64];
	u64 base;		/* region offset in the file */
	struct sc_geom g;
	u64 rec_off[4];		/* file offsets of the four records */
	u64 pay_off[4];		/* file offsets of the four atoms' first bytes */
	struct scratch_id id[4];
	u64 part_table_off;	/* the array's table */
};

static const char *scratchctl(void)
{
	const char *p = getenv("SCRATCHCTL");

	return p && *p ? p : "build/scratchctl";
}

static int put(int fd, const void *buf, size_t len, u64 off)
{
	return pwrite(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

/* Deterministic bytes. */
static void fill(u8 *p, size_t n, u32 seed)
{
	u64 x = 0x9e3779b97f4a7c15ULL * (seed + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (u8)x;
	}
}

/* The header page of segment @seg, the region's segments starting at @seg0. */
static int put_seg(int fd, u64 seg0, u64 seg, u32 gen, u32 state, u64 seq)
{
	struct sc_seg_info sg = { .seg = seg, .gen = gen, .state = state, .seq = seq };
	union {
		struct scratch_disk_seg d;
		u8 bytes[SC_PAGE];
	} page = { 0 };

	memcpy(sg.uuid, uuid, sizeof(uuid));
	sc_seg_encode(&page.d, &sg);
	return put(fd, page.bytes, SC_PAGE, seg0 + (seg << SHIFT));
}

/*
 * A one-region space of NSEGS 1 MiB segments at @base: segment 0 OPEN with
 * three atoms (plain, a two-part array, plain) and a stale record, segment 1
 * FREE, segment 3 OPEN with one atom, the rest never opened.
 */
static int build(struct image *im, u64 base)
{
	static u8 page[SC_PAGE], buf[200000];
	struct scratch_disk_atom recs[SC_RECS_PER_PAGE];
	struct scratch_disk_part parts[2];
	struct sc_super_info si = { 0 };
	struct sc_rec_info ri;
	struct sc_idparts ip;
	u64 seg0 = base + SCRATCH_DISK_DATA_OFF, seg3 = seg0 + (3ULL << SHIFT), at;
	u32 page_no;
	int fd, i;

	memset(im, 0, sizeof(*im));
	im->base = base;
	sc_geom_init(&im->g, SHIFT);
	snprintf(im->path, sizeof(im->path), "/tmp/scratch-fsck-XXXXXX");
	fd = mkstemp(im->path);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)(base + REGION_LEN)))
		goto fail;

	memcpy(si.uuid, uuid, sizeof(uuid));
	si.seg_shift = SHIFT;
	si.nr_regions = 1;
	si.table_pages = im->g.table_pages;
	si.region_len = REGION_LEN;
	si.nr_segs = NSEGS;
	si.space_segs = NSEGS;
	memset(page, 0, sizeof(page));
	sc_super_encode((struct scratch_disk_super *)page, &si);
	if (put(fd, page, SC_PAGE, base) || put(fd, page, SC_PAGE, base + SC_PAGE))
		goto fail;

	if (put_seg(fd, seg0, 0, 3, SCRATCH_SEG_OPEN, 10) ||
	    put_seg(fd, seg0, 1, 2, SCRATCH_SEG_FREE, 0) ||
	    put_seg(fd, seg0, 3, 7, SCRATCH_SEG_OPEN, 11))
		goto fail;

	/* Segment 0: atoms in slots 0, 1 (array), 3; slot 2 of an older incarnation. */
	memset(recs, 0, sizeof(recs));
	page_no = im->g.first_page;
	for (i = 0; i < 3; i++) {
		u32 slot = i == 2 ? 3 : i;
		u64 len = i == 1 ? 0 : 5000 + 70000 * i;

		memset(&ri, 0, sizeof(ri));
		ri.gen = 3;
		ri.seq = 10;
		ri.page = page_no;
		at = seg0 + ((u64)page_no << SC_PAGE_SHIFT);
		if (i == 1) {
			/* Array: table page, then parts of 10000 and 3 bytes. */
			memset(buf, 0, sizeof(buf));
			memset(parts, 0, sizeof(parts));
			parts[0].off = cpu_to_le64(SC_PAGE);
			parts[0].len = cpu_to_le64(10000);
			parts[1].off = cpu_to_le64(4 * SC_PAGE);
			parts[1].len = cpu_to_le64(3);
			fill(buf + SC_PAGE, 10000, 50);
			fill(buf + 4 * SC_PAGE, 3, 51);
			parts[0].xxh64 = cpu_to_le64(sc_xxh64(buf + SC_PAGE, 10000));
			parts[1].xxh64 = cpu_to_le64(sc_xxh64(buf + 4 * SC_PAGE, 3));
			memcpy(buf, parts, sizeof(parts));
			len = 4 * SC_PAGE + 3;
			ri.nr_parts = 2;
			ri.xxh64 = sc_xxh64(parts, sizeof(parts));
			im->part_table_off = at;
		} else {
			fill(buf, len, i);
			ri.xxh64 = sc_xxh64(buf, len);
		}
		ri.stored_len = len;
		ri.length = len;
		ri.tenant = i;
		ri.type = 9;
		if (put(fd, buf, len, at))
			goto fail;
		sc_rec_encode(&recs[slot], &ri);
		im->rec_off[i] = seg0 + SC_PAGE + slot * sizeof(recs[0]);
		im->pay_off[i] = at;
		ip = (struct sc_idparts){ .seg = 0, .gen = 3, .slot = slot };
		im->id[i] = sc_id_encode(&ip);
		page_no += sc_pages(len);
	}
	memset(&ri, 0, sizeof(ri));
	ri.gen = 2;		/* stale: the segment's previous incarnation */
	ri.seq = 4;
	ri.page = page_no + 10;
	ri.stored_len = 100;
	sc_rec_encode(&recs[2], &ri);
	if (put(fd, recs, sizeof(recs), seg0 + SC_PAGE))
		goto fail;

	/* Segment 3: one atom in slot 0. */
	memset(recs, 0, sizeof(recs));
	memset(&ri, 0, sizeof(ri));
	ri.gen = 7;
	ri.seq = 11;
	ri.page = im->g.first_page;
	ri.stored_len = 8192;
	ri.length = 8192;
	fill(buf, 8192, 99);
	ri.xxh64 = sc_xxh64(buf, 8192);
	at = seg3 + ((u64)ri.page << SC_PAGE_SHIFT);
	if (put(fd, buf, 8192, at))
		goto fail;
	sc_rec_encode(&recs[0], &ri);
	if (put(fd, recs, sizeof(recs), seg3 + SC_PAGE))
		goto fail;
	im->rec_off[3] = seg3 + SC_PAGE;
	im->pay_off[3] = at;
	ip = (struct sc_idparts){ .seg = 3, .gen = 7, .slot = 0 };
	im->id[3] = sc_id_encode(&ip);
	close(fd);
	return 0;
fail:
	close(fd);
	unlink(im->path);
	return -1;
}

static int flip(const struct image *im, u64 off)
{
	int fd = open(im->path, O_RDWR);
	u8 b;
	int r = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &b, 1, (off_t)off) == 1) {
		b ^= 0x10;
		r = pwrite(fd, &b, 1, (off_t)off) == 1 ? 0 : -1;
	}
	close(fd);
	return r;
}

static int write_at(const struct image *im, const void *buf, size_t len, u64 off)
{
	int fd = open(im->path, O_RDWR);
	int r;

	if (fd < 0)
		return -1;
	r = put(fd, buf, len, off);
	close(fd);
	return r;
}

static char out[65536];

/* Run scratchctl with @fmt's arguments (a literal); its exit status; stdout in out[]. */
#define fsck(fmt, ...) \
	st_sh(out, sizeof(out), "%s " fmt " 2>/dev/null", scratchctl(), ##__VA_ARGS__)

static const char *idstr(const struct scratch_id *id)
{
	static char s[33];

	snprintf(s, sizeof(s), "%016llx%016llx", (unsigned long long)id->lo,
		 (unsigned long long)id->hi);
	return s;
}

FIXTURE(img) {
	struct image im;
};

FIXTURE_SETUP(img)
{
	if (access(scratchctl(), X_OK))
		SKIP(return, "%s not built (make tools)", scratchctl());
	ASSERT_EQ(0, build(&self->im, 0));
}

FIXTURE_TEARDOWN(img)
{
	if (self->im.path[0])
		unlink(self->im.path);
}

#define HAS(s) ASSERT_NE(NULL, strstr(out, s)) TH_LOG("no '%s' in: %s", s, out)

TEST_F(img, clean)
{
	ASSERT_EQ(0, fsck("fsck %s --json", self->im.path));
	HAS("\"atoms\": 4");
	HAS("\"arrays\": 1");
	HAS("\"open_segments\": 2");
	HAS("\"free_segments\": 1");
	HAS("\"unused_segments\": 5");
	HAS("\"problems\": 0");
	HAS("\"superblock\": \"valid\"");
	ASSERT_EQ(0, fsck("fsck %s --payload --json", self->im.path));
	HAS("\"payload_checked\": true");
	HAS("\"payload_bytes\": 168259");
	ASSERT_EQ(0, fsck("fsck %s --payload", self->im.path));
	HAS("clean");
	/* --length covering exactly the region is the same region. */
	ASSERT_EQ(0, fsck("fsck %s --length %llu", self->im.path,
			  (unsigned long long)REGION_LEN));
}

TEST_F(img, at_offset)
{
	struct image im2;

	ASSERT_EQ(0, build(&im2, 3 * SCRATCH_DISK_DATA_OFF));
	ASSERT_EQ(0, fsck("fsck %s --offset 3M --payload --json", im2.path));
	HAS("\"atoms\": 4");
	/* Not where the region is: no scratch format there. */
	ASSERT_EQ(1, fsck("fsck %s --json", im2.path));
	HAS("not a scratch region");
	unlink(im2.path);
}

TEST_F(img, payload)
{
	ASSERT_EQ(0, flip(&self->im, self->im.pay_off[2] + 70000));
	ASSERT_EQ(0, fsck("fsck %s", self->im.path)) TH_LOG("metadata alone is clean");
	ASSERT_EQ(1, fsck("fsck %s --payload --json", self->im.path));
	HAS(idstr(&self->im.id[2]));
	HAS("payload: checksum mismatch");
	HAS("\"problems\": 1");
	ASSERT_EQ(1, fsck("fsck %s --payload", self->im.path));
	HAS(idstr(&self->im.id[2]));
	/* On a terminal (script(1) gives it one), progress; in a pipe, none. */
	if (!access("/usr/bin/script", X_OK)) {
		ASSERT_EQ(0, st_sh(out, sizeof(out), "TERM=xterm script -qec '%s fsck %s --payload' "
				   "/dev/null | grep -c 'fsck: segment'; true", scratchctl(),
				   self->im.path));
		ASSERT_LT(0, atoi(out)) TH_LOG("no progress on a terminal");
	}
	ASSERT_EQ(1, st_sh(out, sizeof(out), "%s fsck %s --payload 2>&1 | grep -c 'fsck: segment'",
			   scratchctl(), self->im.path));
}

TEST_F(img, array)
{
	/* A part's bytes, then its table. */
	ASSERT_EQ(0, flip(&self->im, self->im.part_table_off + SC_PAGE + 9999));
	ASSERT_EQ(1, fsck("fsck %s --payload --json", self->im.path));
	HAS("array: part 0: checksum mismatch");
	HAS(idstr(&self->im.id[1]));
	ASSERT_EQ(0, flip(&self->im, self->im.part_table_off + SC_PAGE + 9999));
	ASSERT_EQ(0, flip(&self->im, self->im.part_table_off + 40));
	ASSERT_EQ(1, fsck("fsck %s --payload --json", self->im.path));
	HAS("array: part table checksum mismatch");
}

TEST_F(img, records)
{
	struct scratch_disk_atom rec;
	struct sc_rec_info ri;
	int fd;

	ASSERT_EQ(0, flip(&self->im, self->im.rec_off[3] + 20));
	ASSERT_EQ(1, fsck("fsck %s --json", self->im.path));
	HAS("record: checksum mismatch");
	HAS(idstr(&self->im.id[3]));
	HAS("\"atoms\": 3");

	/* A well-sealed record whose pages overlap the atom before it. */
	fd = open(self->im.path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(rec), pread(fd, &rec, sizeof(rec), (off_t)self->im.rec_off[2]));
	close(fd);
	ASSERT_EQ(0, sc_rec_decode(&rec, &self->im.g, 3, 10, &ri));
	ri.page = self->im.g.first_page + 1;
	sc_rec_encode(&rec, &ri);
	ASSERT_EQ(0, write_at(&self->im, &rec, sizeof(rec), self->im.rec_off[2]));
	ASSERT_EQ(1, fsck("fsck %s --json", self->im.path));
	HAS("overlap");
	HAS(idstr(&self->im.id[2]));

	/* Well-sealed but impossible: past the segment's end. */
	ri.page = self->im.g.seg_pages - 1;
	sc_rec_encode(&rec, &ri);
	ASSERT_EQ(0, write_at(&self->im, &rec, sizeof(rec), self->im.rec_off[2]));
	ASSERT_EQ(1, fsck("fsck %s --json", self->im.path));
	HAS("record: impossible fields");
}

TEST_F(img, segment_headers)
{
	u64 seg3 = SCRATCH_DISK_DATA_OFF + (3ULL << SHIFT);
	static u8 zero[8];

	ASSERT_EQ(0, flip(&self->im, seg3 + offsetof(struct scratch_disk_seg, seq)));
	ASSERT_EQ(1, fsck("fsck %s --json", self->im.path));
	HAS("\"segment\": 3");
	HAS("segment header: checksum mismatch");
	HAS("\"damaged_segments\": 1");
	HAS("\"atoms\": 3");
	ASSERT_EQ(0, flip(&self->im, seg3 + offsetof(struct scratch_disk_seg, seq)));
	/* The magic alone gone: the uuid still says it was ours. */
	ASSERT_EQ(0, write_at(&self->im, zero, sizeof(zero), seg3));
	ASSERT_EQ(1, fsck("fsck %s", self->im.path));
	HAS("no magic, but this space's uuid");
}

TEST_F(img, superblocks)
{
	static u8 zero[SC_PAGE];

	ASSERT_EQ(0, flip(&self->im, 40));
	ASSERT_EQ(1, fsck("fsck %s --json", self->im.path));
	HAS("\"superblock\": \"checksum mismatch\"");
	HAS("primary superblock: checksum mismatch (the backup is used)");
	HAS("\"atoms\": 4");
	ASSERT_EQ(0, flip(&self->im, SC_PAGE + 40));
	ASSERT_EQ(1, fsck("fsck %s --json", self->im.path));
	HAS("both superblocks unusable");
	HAS("\"atoms\": 0");
	ASSERT_EQ(0, flip(&self->im, 40));
	ASSERT_EQ(1, fsck("fsck %s --json", self->im.path));
	HAS("backup superblock: checksum mismatch");
	ASSERT_EQ(0, write_at(&self->im, zero, SC_PAGE, SC_PAGE));
	ASSERT_EQ(0, write_at(&self->im, zero, SC_PAGE, 0));
	ASSERT_EQ(1, fsck("fsck %s --json", self->im.path));
	HAS("not a scratch region");
}

TEST_F(img, short_image)
{
	/* Four segments short: the rest is checked, the shortfall reported. */
	ASSERT_EQ(0, truncate(self->im.path, (off_t)(REGION_LEN - (4 << SHIFT))));
	ASSERT_EQ(1, fsck("fsck %s --json", self->im.path));
	HAS("\"checked_segments\": 4");
	HAS("\"atoms\": 4");
	HAS("only 5242880 in the image");
	/* --length shorter than the region: the same, by the user's choice. */
	ASSERT_EQ(0, truncate(self->im.path, (off_t)REGION_LEN));
	ASSERT_EQ(1, fsck("fsck %s --length 2M --json", self->im.path));
	HAS("\"checked_segments\": 1");
	/* Not even the superblocks: a finding that says so, not an I/O error. */
	ASSERT_EQ(0, truncate(self->im.path, 100));
	ASSERT_EQ(1, fsck("fsck %s", self->im.path));
	HAS("image too short: 100 bytes");
}

TEST_F(img, usage)
{
	ASSERT_EQ(2, fsck("fsck"));
	ASSERT_EQ(2, fsck("fsck %s %s", self->im.path, self->im.path));
	ASSERT_EQ(2, fsck("fsck %s --offset 4096", self->im.path));
	ASSERT_EQ(2, fsck("fsck %s --offset 1G", self->im.path));
	ASSERT_EQ(2, fsck("fsck %s --length 0", self->im.path));
	ASSERT_EQ(2, fsck("fsck %s --bogus", self->im.path));
	ASSERT_EQ(2, fsck("fsck /nonexistent/image"));
	ASSERT_EQ(2, fsck("fsck /tmp"));
	ASSERT_EQ(2, fsck("scrub"));
	ASSERT_EQ(2, fsck("scrub 0 --rate fast"));
	/* Option errors: one line of ours that names the option (then the hint), not getopt's. */
	ASSERT_EQ(2, st_sh(out, sizeof(out), "%s ls --foo 2>&1", scratchctl()));
	ASSERT_STREQ("scratchctl: ls: unknown option '--foo'\n"
		     "Try 'scratchctl --help' for more information.\n", out);
	ASSERT_EQ(2, st_sh(out, sizeof(out), "%s fsck %s --offset 2>&1", scratchctl(),
			   self->im.path));
	HAS("fsck: option '--offset' needs a value");
	ASSERT_EQ(0, st_sh(out, sizeof(out), "%s --version", scratchctl()));
	HAS("scratchctl " LIBSCRATCH_VERSION " (libscratch " LIBSCRATCH_VERSION);
	ASSERT_EQ(0, st_sh(out, sizeof(out), "%s ls --help | head -1", scratchctl()));
	HAS("usage: scratchctl");
}

TEST_HARNESS_MAIN
