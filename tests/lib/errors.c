// SPDX-License-Identifier: GPL-2.0
/*
 * libscratch never hands back wrong bytes: a byte flipped on the drive is
 * -EBADMSG (get, map, batch), evicted and other tenants' ids are -ENOENT,
 * and malformed arguments are -EINVAL (or the precise errno) before any I/O.
 */
#include "libtest.h"

#define SHIFT	20

FIXTURE(er) {
	struct st_space sp;
	struct st_region r;
	struct scratch *s;
};

FIXTURE_SETUP(er)
{
	self->r = (struct st_region){ st_dev(0), 0, 16 * ST_MIB };
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_MMAP |
		       SCRATCH_F_TENANT | SCRATCH_F_RELOAD | SCRATCH_F_ARRAY, SHIFT,
		       { st_dev(0), 0, 16 * ST_MIB });
	ASSERT_EQ(0, lt_open(&self->sp, 0, 0, 0, &self->s));
}

FIXTURE_TEARDOWN(er)
{
	scratch_space_close(self->s);
	ST_TEARDOWN();
}

/* Detach, flip the byte at space offset @off + @delta on the drive, reattach, reopen. */
static int flip_between_boots(FIXTURE_DATA(er) *self, uint64_t off, uint64_t delta)
{
	int r;

	scratch_space_close(self->s);
	self->s = NULL;
	r = st_space_down(&self->sp);
	if (!r)
		r = lt_flip(self->r.path, self->r.offset + SCRATCH_DISK_DATA_OFF + off + delta);
	if (!r)
		r = st_space_reload(&self->sp, &self->r, 1);
	if (!r)
		r = lt_open(&self->sp, 0, 0, 0, &self->s);
	return r;
}

ST_TEST_F(er, flipped_byte_is_ebadmsg)
{
	unsigned char *a = lt_pattern(50000, 1), *b = lt_pattern(50000, 2), out[50000];
	struct scratch_id ia, ib, iz;
	struct scratch_stat st;
	struct scratch_map *m;
	struct scratch_get g[2];
	uint64_t len;

	ASSERT_EQ(0, scratch_atom_put(self->s, a, 50000, 0, 0, &ia));
	ASSERT_EQ(0, scratch_atom_put(self->s, b, 50000, 0, 0, &ib));
	memset(a + 20000, 0, 30000);
	ASSERT_EQ(0, scratch_atom_put(self->s, a, 50000, 0, SCRATCH_PUT_ZSTD, &iz));
	ASSERT_EQ(0, scratch_space_sync(self->s));
	ASSERT_EQ(0, st_stat(self->sp.fd, &ia, &st));
	ASSERT_EQ(0, flip_between_boots(self, st.offset, 12345));

	EXPECT_EQ(-EBADMSG, scratch_atom_get(self->s, ia, out, sizeof(out), 0, &len));
	EXPECT_EQ(-EBADMSG, scratch_atom_map(self->s, ia, 0, &m));
	g[0] = (struct scratch_get){ .id = ia, .buf = out, .cap = sizeof(out) };
	g[1] = (struct scratch_get){ .id = ib, .buf = out, .cap = sizeof(out) };
	EXPECT_EQ(1, scratch_atom_get_batch(self->s, g, 2, 0));
	EXPECT_EQ(-EBADMSG, g[0].res);
	EXPECT_EQ(0, g[1].res);
	EXPECT_EQ(-1, st_check(out, 50000, 2, 0));

	/* A compressed atom's damaged frame is caught too. */
	ASSERT_EQ(0, st_stat(self->sp.fd, &iz, &st));
	ASSERT_EQ(0, flip_between_boots(self, st.offset, st.stored_len / 2));
	EXPECT_EQ(-EBADMSG, scratch_atom_get(self->s, iz, out, sizeof(out), 0, &len));
	EXPECT_EQ(-EBADMSG, scratch_atom_map(self->s, iz, 0, &m));
	ASSERT_EQ(0, scratch_atom_get(self->s, ib, out, sizeof(out), 0, &len));
	EXPECT_EQ(-1, st_check(out, 50000, 2, 0));
	free(a);
	free(b);
}

ST_TEST_F(er, other_tenant_is_enoent)
{
	unsigned char b[5000] = { 7 }, out[5000];
	struct scratch_atom_info info;
	struct scratch_map *m;
	struct scratch *t;
	struct scratch_id id;
	uint64_t len;
	uint8_t here = 9;

	ASSERT_EQ(0, lt_open(&self->sp, 42, 0, 0, &t));
	ASSERT_EQ(0, scratch_atom_put(t, b, sizeof(b), 0, 0, &id));
	ASSERT_EQ(0, scratch_atom_get(t, id, out, sizeof(out), 0, &len));
	EXPECT_EQ(-ENOENT, scratch_atom_get(self->s, id, out, sizeof(out), 0, &len));
	EXPECT_EQ(-ENOENT, scratch_atom_stat(self->s, id, &info, sizeof(info)));
	EXPECT_EQ(-ENOENT, scratch_atom_map(self->s, id, 0, &m));
	EXPECT_EQ(0, scratch_atom_present(self->s, &id, 1, &here));
	EXPECT_EQ(0, here);
	scratch_space_close(t);
}

ST_TEST_F(er, evicted_is_enoent)
{
	unsigned char *b = lt_pattern(256 * 1024, 3), out[100];
	struct scratch_atom_info info;
	struct scratch_id first, id;
	struct scratch_map *m;
	struct scratch_get g;
	uint64_t len;
	uint8_t here = 1;
	int i;

	ASSERT_EQ(0, scratch_atom_put(self->s, b, 100, 0, 0, &first));
	/* 16 MiB of 1 MiB segments: 200 atoms of 256 KiB wrap it several times. */
	for (i = 0; i < 200 && here; i++) {
		ASSERT_EQ(0, scratch_atom_put(self->s, b, 256 * 1024, 0, 0, &id));
		ASSERT_EQ(0, scratch_atom_present(self->s, &first, 1, &here) < 0);
	}
	ASSERT_EQ(0, here) TH_LOG("the first atom was never evicted");
	EXPECT_EQ(-ENOENT, scratch_atom_get(self->s, first, out, sizeof(out), 0, &len));
	EXPECT_EQ(-ENOENT, scratch_atom_stat(self->s, first, &info, sizeof(info)));
	EXPECT_EQ(-ENOENT, scratch_atom_map(self->s, first, 0, &m));
	g = (struct scratch_get){ .id = first, .buf = out, .cap = sizeof(out) };
	EXPECT_EQ(0, scratch_atom_get_batch(self->s, &g, 1, 0));
	EXPECT_EQ(-ENOENT, g.res);
	free(b);
}

ST_TEST_F(er, bad_arguments)
{
	struct scratch_completion c;
	struct scratch_queue *q;
	struct scratch_id id, zero = { 0, 0 };
	struct scratch *t;
	struct iovec big[2] = { { &id, SCRATCH_ATOM_MAX }, { &id, 1 } };
	unsigned char b[16] = { 0 };
	struct scratch_get g;
	uint64_t len;

	EXPECT_EQ(-EINVAL, scratch_space_open(NULL, 0, 0, 0, &t));
	EXPECT_EQ(-EINVAL, scratch_space_open("/dev/scratch0", 0, 1U << 31, 0, &t));
	EXPECT_EQ(-EINVAL, scratch_space_open("/dev/scratch0", 0, 0, SCRATCH_MAX_QD + 1, &t));
	EXPECT_EQ(-ENOENT, scratch_space_open("/dev/no-such-space", 0, 0, 0, &t));
	EXPECT_EQ(-ENODEV, scratch_space_open("/dev/null", 0, 0, 0, &t));
	EXPECT_EQ(-EINVAL, scratch_atom_put(self->s, b, sizeof(b), 0, 1U << 20, &id));
	EXPECT_EQ(-EINVAL, scratch_atom_put(self->s, NULL, 5, 0, 0, &id));
	EXPECT_EQ(-EFBIG, scratch_atom_putv(self->s, big, 2, 0, 0, &id));
	big[0].iov_len = 1;
	big[1].iov_len = SIZE_MAX;	/* must not wrap the sum */
	EXPECT_EQ(-EFBIG, scratch_atom_putv(self->s, big, 2, 0, 0, &id));
	EXPECT_EQ(-EFBIG, scratch_array_put(self->s, big, 2, 0, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_atom_putv(self->s, big, -1, 0, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_array_put(self->s, big, 0, 0, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_array_put(self->s, big, SCRATCH_MAX_PARTS + 1, 0, 0, &id));
	ASSERT_EQ(0, scratch_atom_put(self->s, b, sizeof(b), 0, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_atom_get(self->s, id, NULL, 16, 0, &len));
	EXPECT_EQ(-EINVAL, scratch_atom_get(self->s, id, b, 16, 1U << 9, &len));
	EXPECT_EQ(-ENOENT, scratch_atom_get(self->s, zero, b, 16, 0, &len));
	EXPECT_EQ(-ENOENT, scratch_atom_get(self->s, scratch_array_part_id(id, 0), b, 16, 0, &len));
	EXPECT_EQ(-EINVAL, scratch_atom_get_batch(self->s, NULL, 3, 0));
	g = (struct scratch_get){ .id = id, .buf = b, .cap = 16, .reserved = 1 };
	EXPECT_EQ(0, scratch_atom_get_batch(self->s, &g, 1, 0));
	EXPECT_EQ(-EINVAL, g.res);
	ASSERT_EQ(0, scratch_queue_init(self->s, 4, 0, &q));
	EXPECT_EQ(-EINVAL, scratch_queue_reap(q, &c, 1, 2));
	EXPECT_EQ(-EINVAL, scratch_queue_get(q, id, NULL, 10, 0, 0));
	/* Nothing in flight: reaping returns at once, even when asked to wait. */
	EXPECT_EQ(0, scratch_queue_reap(q, &c, 1, 1));
	scratch_queue_exit(q);
	EXPECT_EQ(-EINVAL, scratch_queue_init(self->s, 4, 1, &q));
}

TEST_HARNESS_MAIN
