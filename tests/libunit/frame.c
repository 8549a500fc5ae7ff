// SPDX-License-Identifier: GPL-2.0
/*
 * libscratch without a kernel: framing (plans, checksums, zstd round trips,
 * incompressible data refused so it is stored raw), id helpers, and argument
 * checks that must fail before any system call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "kselftest_harness.h"
#include "lib.h"

static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = (unsigned char)(seed >> 56);
	}
}

static struct scratch_stat stat_of(const void *stored, uint64_t stored_len, uint64_t length,
				   uint16_t flags)
{
	struct scratch_stat st = {
		.size = sizeof(st), .offset = 1 << 20, .stored_len = stored_len,
		.length = length, .xxh64 = XXH64(stored, stored_len, 0), .atom_flags = flags,
	};
	return st;
}

TEST(raw_plan_and_finish)
{
	unsigned char in[10000], out[10000];
	struct scratch_id id = { 5 | 1ULL << 32, 3 };
	struct scratch_stat st;
	struct sc_plan p;
	uint64_t len = 0;

	fill_random(in, sizeof(in), 1);
	st = stat_of(in, sizeof(in), sizeof(in), 0);
	ASSERT_EQ(0, __scratch_plan(&st, id, true, &p));
	EXPECT_TRUE(__scratch_in_place(&p, sizeof(in)));
	EXPECT_FALSE(__scratch_in_place(&p, sizeof(in) - 1));
	ASSERT_EQ(0, __scratch_finish(&p, in, out, sizeof(out), &len));
	EXPECT_EQ(sizeof(in), len);
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	/* One flipped bit anywhere: -EBADMSG; unverified, the bytes pass as they are. */
	in[777] ^= 0x10;
	EXPECT_EQ(-EBADMSG, __scratch_finish(&p, in, out, sizeof(out), &len));
	p.verify = false;
	EXPECT_EQ(0, __scratch_finish(&p, in, out, sizeof(out), &len));
	/* Too small a buffer reports the length needed. */
	EXPECT_EQ(-ENOBUFS, __scratch_finish(&p, in, out, 10, &len));
	EXPECT_EQ(sizeof(in), len);
	/* An array id has no bytes; a raw atom longer than stored is damaged. */
	st.nr_parts = 3;
	EXPECT_EQ(-EISDIR, __scratch_plan(&st, id, true, &p));
	st.nr_parts = 0;
	st.length = st.stored_len + 1;
	EXPECT_EQ(-EBADMSG, __scratch_plan(&st, id, true, &p));
	st.stored_len = 0;
	EXPECT_EQ(-EBADMSG, __scratch_plan(&st, id, true, &p));
}

TEST(empty_atom)
{
	unsigned char zero = 0, out[1];
	struct scratch_id id = { 1 | 1ULL << 32, 0 };
	struct scratch_stat st = stat_of(&zero, 1, 0, 0);
	struct sc_plan p;
	uint64_t len = 9;

	ASSERT_EQ(0, __scratch_plan(&st, id, true, &p));
	EXPECT_FALSE(__scratch_in_place(&p, 1));
	ASSERT_EQ(0, __scratch_finish(&p, &zero, out, 0, &len));
	EXPECT_EQ(0, len);
}

TEST(zstd_round_trip)
{
	size_t n = 1 << 20, i;
	unsigned char *in = malloc(n), *out = malloc(n);
	struct iovec iov[3];
	struct scratch_id id = { 1 | 1ULL << 32, 0 };
	struct scratch_stat st;
	struct sc_plan p;
	uint64_t zlen = n - 1, len;
	void *z = NULL;

	ASSERT_TRUE(in && out);
	/* Booleans at one bit each, with long runs. */
	for (i = 0; i < n; i++)
		in[i] = (i / 3000) & 1 ? 0xff : 0;
	iov[0] = (struct iovec){ in, 1 };
	iov[1] = (struct iovec){ in + 1, 0 };
	iov[2] = (struct iovec){ in + 1, n - 1 };
	ASSERT_EQ(0, __scratch_compress(iov, 3, n, 3, &z, &zlen));
	EXPECT_LT(zlen * 100, n);
	st = stat_of(z, zlen, n, SCRATCH_ATOM_ZSTD);
	ASSERT_EQ(0, __scratch_plan(&st, id, true, &p));
	EXPECT_FALSE(__scratch_in_place(&p, n));
	ASSERT_EQ(0, __scratch_finish(&p, z, out, n, &len));
	EXPECT_EQ(n, len);
	EXPECT_EQ(0, memcmp(in, out, n));
	EXPECT_EQ(-ENOBUFS, __scratch_finish(&p, z, out, n - 1, &len));
	EXPECT_EQ(n, len);
	/* A record whose length disagrees with the frame is damaged. */
	st.length = n - 1;
	ASSERT_EQ(0, __scratch_plan(&st, id, true, &p));
	EXPECT_EQ(-EBADMSG, __scratch_finish(&p, z, out, n, &len));
	/* A damaged frame with a matching checksum (written so) is still refused. */
	((unsigned char *)z)[zlen / 2] ^= 0xff;
	st = stat_of(z, zlen, n, SCRATCH_ATOM_ZSTD);
	ASSERT_EQ(0, __scratch_plan(&st, id, true, &p));
	len = 0;
	{
		int r = __scratch_finish(&p, z, out, n, &len);

		EXPECT_TRUE(r == -EBADMSG || (r == 0 && memcmp(in, out, n)));
	}
	free(z);
	free(in);
	free(out);
}

TEST(zstd_part_length_from_frame)
{
	unsigned char in[5000], out[5000];
	struct iovec iov = { in, sizeof(in) };
	struct scratch_id part = { 1 | 1ULL << 32, 7 | 3ULL << 32 };
	struct scratch_stat st;
	struct sc_plan p;
	uint64_t zlen = ZSTD_compressBound(sizeof(in)), len;
	void *z;

	memset(in, 'a', sizeof(in));
	ASSERT_EQ(0, __scratch_compress(&iov, 1, sizeof(in), 1, &z, &zlen));
	/* The module reports a part's length as its stored length. */
	st = stat_of(z, zlen, zlen, SCRATCH_ATOM_ZSTD);
	ASSERT_EQ(0, __scratch_plan(&st, part, true, &p));
	EXPECT_EQ(0, p.length);
	ASSERT_EQ(0, __scratch_finish(&p, z, out, sizeof(out), &len));
	EXPECT_EQ(sizeof(in), len);
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	free(z);
}

TEST(incompressible_is_refused)
{
	size_t n = 256 * 1024;
	unsigned char *in = malloc(n);
	struct iovec iov = { in, n };
	uint64_t zlen = n - 1;
	void *z = NULL;

	ASSERT_NE(NULL, in);
	fill_random(in, n, 99);
	EXPECT_EQ(-ENOSPC, __scratch_compress(&iov, 1, n, 19, &z, &zlen));
	EXPECT_EQ(NULL, z);
	zlen = 0;
	EXPECT_EQ(-ENOSPC, __scratch_compress(&iov, 1, n, 3, &z, &zlen));
	free(in);
}

TEST(xxh64_over_iovecs)
{
	unsigned char b[9000];
	struct iovec iov[3] = { { b, 100 }, { b + 100, 0 }, { b + 100, 8900 } };

	fill_random(b, sizeof(b), 5);
	EXPECT_EQ(XXH64(b, sizeof(b), 0), __scratch_xxh64v(iov, 3));
	EXPECT_EQ(XXH64(b, 0, 0), __scratch_xxh64v(iov, 0));
	EXPECT_EQ(4096, __scratch_part_table_bytes(1));
	EXPECT_EQ(4096, __scratch_part_table_bytes(128));
	EXPECT_EQ(8192, __scratch_part_table_bytes(129));
	EXPECT_EQ(SCRATCH_MAX_PARTS * 32ULL, __scratch_part_table_bytes(SCRATCH_MAX_PARTS));
}

TEST(ids)
{
	struct scratch_id a = { 0x0000000700000003ULL, 0x11 }, p, q;
	char buf[SCRATCH_ID_STRLEN];

	p = scratch_array_part_id(a, 0);
	EXPECT_EQ(a.lo, p.lo);
	EXPECT_EQ(0x0000000100000011ULL, p.hi);
	p = scratch_array_part_id(a, SCRATCH_MAX_PARTS - 1);
	EXPECT_EQ((uint64_t)SCRATCH_MAX_PARTS << 32 | 0x11, p.hi);
	/* Out of range, or a part of a part: the never-valid zero id. */
	p = scratch_array_part_id(a, SCRATCH_MAX_PARTS);
	EXPECT_EQ(0, p.lo | p.hi);
	p = scratch_array_part_id(scratch_array_part_id(a, 1), 1);
	EXPECT_EQ(0, p.lo | p.hi);
	EXPECT_TRUE(scratch_id_equal(a, a));
	p = a;
	p.hi ^= 1ULL << 63;
	EXPECT_FALSE(scratch_id_equal(a, p));
	scratch_id_format(p, buf);
	EXPECT_STREQ("00000007000000038000000000000011", buf);
	ASSERT_EQ(0, scratch_id_parse(buf, &q));
	EXPECT_TRUE(scratch_id_equal(p, q));
	ASSERT_EQ(0, scratch_id_parse("00000007000000038000000000000011", &q));
	ASSERT_EQ(0, scratch_id_parse("00000007000000038000000000000A1F", &q));
	EXPECT_EQ(0x8000000000000A1FULL, q.hi);
	EXPECT_EQ(-EINVAL, scratch_id_parse("0000000700000003800000000000001", &q));
	EXPECT_EQ(-EINVAL, scratch_id_parse("000000070000000380000000000000111", &q));
	EXPECT_EQ(-EINVAL, scratch_id_parse("0000000700000003800000000000001g", &q));
	EXPECT_EQ(-EINVAL, scratch_id_parse("-0000007000000038000000000000011", &q));
	EXPECT_EQ(-EINVAL, scratch_id_parse(NULL, &q));
}

TEST(arguments_without_a_kernel)
{
	struct scratch *s = NULL;
	struct scratch_id id = { 0, 0 };
	struct scratch_map *m;
	uint64_t len, f;

	EXPECT_EQ(-EINVAL, scratch_space_open(NULL, 0, 0, 0, &s));
	EXPECT_EQ(-EINVAL, scratch_space_open("/dev/null", 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, scratch_space_open("/dev/null", 0, 2, 0, &s));
	EXPECT_EQ(-ENOENT, scratch_space_open("/nonexistent/scratch9", 0, 0, 0, &s));
	/* Not a space: the device does not answer GET_FEATURES. */
	EXPECT_EQ(-ENODEV, scratch_space_open("/dev/null", 0, 0, 0, &s));
	EXPECT_EQ(NULL, s);
	EXPECT_EQ(-EINVAL, scratch_atom_put(NULL, "x", 1, 0, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_atom_get(NULL, id, NULL, 0, 0, &len));
	EXPECT_EQ(-EINVAL, scratch_atom_map(NULL, id, 0, &m));
	EXPECT_EQ(-EINVAL, scratch_space_features(NULL, &f));
	EXPECT_EQ(-EINVAL, scratch_space_sync(NULL));
	EXPECT_EQ(-EINVAL, scratch_space_fd(NULL));
	EXPECT_EQ(-EINVAL, scratch_queue_fd(NULL));
	EXPECT_EQ(0, scratch_queue_inflight(NULL));
	EXPECT_EQ(NULL, scratch_map_data(NULL));
	scratch_space_close(NULL);
	scratch_map_release(NULL);
	scratch_queue_exit(NULL);
}

TEST_HARNESS_MAIN
