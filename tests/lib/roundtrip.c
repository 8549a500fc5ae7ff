// SPDX-License-Identifier: GPL-2.0
/*
 * libscratch round trips: put/putv/get of every size class (empty included),
 * zstd (compressible shrinks, incompressible stays raw), arrays and their
 * parts, stat, presence, maps (raw zero copy, compressed as a copy) and maps
 * that outlive scratch_space_close().
 */
#include "libtest.h"

#define SHIFT	22

FIXTURE(rt) {
	struct st_space sp;
	struct scratch *s;
};

FIXTURE_SETUP(rt)
{
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_MMAP |
		       SCRATCH_F_ARRAY | SCRATCH_F_PRESENT, SHIFT, { st_dev(0), 0, 256 * ST_MIB });
	ASSERT_EQ(0, lt_open(&self->sp, 0, 0, 0, &self->s));
}

FIXTURE_TEARDOWN(rt)
{
	scratch_space_close(self->s);
	ST_TEARDOWN();
}

/* A bit-packed boolean vector with long runs: what the users compress. */
static void *runs(size_t len)
{
	unsigned char *p = malloc(len);
	size_t i;

	for (i = 0; p && i < len; i++)
		p[i] = ((i / 4096) % 3) ? 0xff : ((i / 512) & 1 ? 0x0f : 0x00);
	return p;
}

ST_TEST_F(rt, sizes)
{
	static const size_t sz[] = { 0, 1, 4095, 4096, 4097, 65539, ST_MIB + 5, 3 * ST_MIB };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sz); i++) {
		unsigned char *in = lt_pattern(sz[i], i + 1), *out = malloc(sz[i] + 1);
		struct scratch_atom_info st;
		struct scratch_id id;
		uint64_t len = 99;

		ASSERT_NE(NULL, in);
		ASSERT_NE(NULL, out);
		ASSERT_EQ(0, scratch_atom_put(self->s, in, sz[i], (uint16_t)(100 + i), 0, &id));
		ASSERT_EQ(0, scratch_atom_stat(self->s, id, &st, sizeof(st)));
		EXPECT_EQ(sz[i], st.length);
		EXPECT_EQ(100 + i, st.type);
		EXPECT_EQ(0, st.atom_flags);
		EXPECT_EQ(0, st.nr_parts);
		ASSERT_EQ(0, scratch_atom_get(self->s, id, out, sz[i] + 1, 0, &len));
		ASSERT_EQ(sz[i], len);
		ASSERT_EQ(0, memcmp(in, out, sz[i])) TH_LOG("size %zu", sz[i]);
		if (sz[i]) {
			/* Too small: -ENOBUFS and the length it needs, no bytes. */
			EXPECT_EQ(-ENOBUFS, scratch_atom_get(self->s, id, out, sz[i] - 1, 0, &len));
			EXPECT_EQ(sz[i], len);
		}
		free(in);
		free(out);
	}
}

ST_TEST_F(rt, putv)
{
	unsigned char *in = lt_pattern(30000, 7), out[30000];
	struct iovec iov[4] = {
		{ in, 1 }, { in + 1, 0 }, { in + 1, 12345 }, { in + 12346, 30000 - 12346 },
	};
	struct scratch_id id;
	uint64_t len;

	ASSERT_EQ(0, scratch_atom_putv(self->s, iov, 4, 3, 0, &id));
	ASSERT_EQ(0, scratch_atom_get(self->s, id, out, sizeof(out), 0, &len));
	ASSERT_EQ(30000, len);
	ASSERT_EQ(0, memcmp(in, out, len));
	free(in);
}

ST_TEST_F(rt, zstd)
{
	size_t n = 2 * ST_MIB;
	unsigned char *c = runs(n), *r = lt_pattern(n, 9), *out = malloc(n);
	struct scratch_atom_info st;
	struct scratch_id cid, rid;
	uint64_t len;

	ASSERT_EQ(0, scratch_atom_put(self->s, c, n, 1, SCRATCH_PUT_ZSTD, &cid));
	ASSERT_EQ(0, scratch_atom_stat(self->s, cid, &st, sizeof(st)));
	EXPECT_EQ(SCRATCH_ATOM_ZSTD, st.atom_flags);
	EXPECT_EQ(n, st.length);
	EXPECT_LT(st.stored_len * 20, n) TH_LOG("runs compressed to %llu", (unsigned long long)st.stored_len);
	ASSERT_EQ(0, scratch_atom_get(self->s, cid, out, n, 0, &len));
	ASSERT_EQ(n, len);
	ASSERT_EQ(0, memcmp(c, out, n));
	EXPECT_EQ(-ENOBUFS, scratch_atom_get(self->s, cid, out, n - 1, 0, &len));

	/* Incompressible bytes are stored raw, flag clear. */
	ASSERT_EQ(0, scratch_atom_put(self->s, r, n, 2, SCRATCH_PUT_ZSTD | SCRATCH_PUT_LEVEL(19),
				      &rid));
	ASSERT_EQ(0, scratch_atom_stat(self->s, rid, &st, sizeof(st)));
	EXPECT_EQ(0, st.atom_flags);
	EXPECT_EQ(n, st.stored_len);
	ASSERT_EQ(0, scratch_atom_get(self->s, rid, out, n, SCRATCH_GET_VERIFY, &len));
	ASSERT_EQ(0, memcmp(r, out, n));
	free(c);
	free(r);
	free(out);
}

static void check_array(struct __test_metadata *_metadata, struct scratch *s, unsigned int flags)
{
	static const size_t sz[] = { 5000, 0, 1, 4096, 70001, 123 };
	struct iovec parts[ARRAY_SIZE(sz)];
	unsigned char *out = malloc(80000);
	struct scratch_atom_info st;
	struct scratch_id id, pid;
	unsigned int i;
	uint64_t len;

	for (i = 0; i < ARRAY_SIZE(sz); i++)
		parts[i] = (struct iovec){ lt_pattern(sz[i], 50 + i), sz[i] };
	ASSERT_EQ(0, scratch_array_put(s, parts, ARRAY_SIZE(sz), 77, flags, &id));
	ASSERT_EQ(0, scratch_atom_stat(s, id, &st, sizeof(st)));
	EXPECT_EQ(ARRAY_SIZE(sz), st.nr_parts);
	EXPECT_EQ(77, st.type);
	EXPECT_EQ(-EISDIR, scratch_atom_get(s, id, out, 80000, 0, &len));
	for (i = 0; i < ARRAY_SIZE(sz); i++) {
		pid = scratch_array_part_id(id, i);
		ASSERT_EQ(0, scratch_atom_stat(s, pid, &st, sizeof(st))) TH_LOG("part %u", i);
		EXPECT_EQ(sz[i], st.length);
		ASSERT_EQ(0, scratch_atom_get(s, pid, out, 80000, 0, &len)) TH_LOG("part %u", i);
		ASSERT_EQ(sz[i], len);
		ASSERT_EQ(0, memcmp(parts[i].iov_base, out, sz[i])) TH_LOG("part %u", i);
		free(parts[i].iov_base);
	}
	/* Past the last part, and a part of a part, are missing. */
	EXPECT_EQ(-ENOENT, scratch_atom_get(s, scratch_array_part_id(id, ARRAY_SIZE(sz)), out,
					    80000, 0, &len));
	pid = scratch_array_part_id(scratch_array_part_id(id, 0), 0);
	EXPECT_EQ(0, pid.lo | pid.hi);
	free(out);
}

ST_TEST_F(rt, array)
{
	check_array(_metadata, self->s, 0);
}

ST_TEST_F(rt, array_zstd)
{
	check_array(_metadata, self->s, SCRATCH_PUT_ZSTD);
}

ST_TEST_F(rt, present_sync_info)
{
	struct scratch_id ids[65];
	uint8_t here[65];
	struct scratch_info info;
	unsigned char b[100] = { 1 };
	uint64_t feat;
	int i;

	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, scratch_atom_put(self->s, b, sizeof(b), 0, 0, &ids[i]));
	ids[64] = (struct scratch_id){ 0, 0 };
	EXPECT_EQ(64, scratch_atom_present(self->s, ids, 65, here));
	EXPECT_EQ(1, here[0]);
	EXPECT_EQ(0, here[64]);
	ASSERT_EQ(0, scratch_space_sync(self->s));
	ASSERT_EQ(0, scratch_space_info(self->s, &info, sizeof(info)));
	EXPECT_EQ(64, info.atoms);
	EXPECT_EQ(self->sp.id, info.space_id);
	ASSERT_EQ(0, scratch_space_features(self->s, &feat));
	EXPECT_TRUE(feat & SCRATCH_F_WRITE);
	ASSERT_EQ(0, scratch_atom_put(self->s, b, 1, 0, SCRATCH_PUT_SYNC, &ids[0]));
}

ST_TEST_F(rt, map)
{
	size_t n = ST_MIB + 77;
	unsigned char *in = lt_pattern(n, 5), *c = runs(n);
	struct scratch_map *m, *mz;
	struct scratch_id id, zid;

	ASSERT_EQ(0, scratch_atom_put(self->s, in, n, 0, 0, &id));
	ASSERT_EQ(0, scratch_atom_put(self->s, c, n, 0, SCRATCH_PUT_ZSTD, &zid));
	ASSERT_EQ(0, scratch_atom_map(self->s, id, 0, &m));
	EXPECT_EQ(n, scratch_map_len(m));
	EXPECT_EQ(0, (uintptr_t)scratch_map_data(m) % 64);
	EXPECT_EQ(0, scratch_map_is_copy(m));
	EXPECT_EQ(0, memcmp(in, scratch_map_data(m), n));
	ASSERT_EQ(0, scratch_atom_map(self->s, zid, 0, &mz));
	EXPECT_EQ(1, scratch_map_is_copy(mz));
	EXPECT_EQ(n, scratch_map_len(mz));
	EXPECT_EQ(0, memcmp(c, scratch_map_data(mz), n));

	/* The maps outlive the handle, and pin the space: detach waits for them. */
	scratch_space_close(self->s);
	self->s = NULL;
	ASSERT_EQ(0, st_close(self->sp.fd));
	self->sp.fd = -1;
	EXPECT_EQ(-EBUSY, st_detach(self->sp.id));
	EXPECT_EQ(0, memcmp(in, scratch_map_data(m), n));
	EXPECT_EQ(0, memcmp(c, scratch_map_data(mz), n));
	scratch_map_release(m);
	scratch_map_release(mz);
	free(in);
	free(c);
}

TEST_HARNESS_MAIN
