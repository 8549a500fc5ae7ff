// SPDX-License-Identifier: GPL-2.0
/*
 * The 16-byte index: once a sealed segment's records are durable (after a
 * sync), the rest of each record (length, XXH64, type, flags) leaves RAM and
 * is read back from its table page.  atom_ram falls from 32 to 16 bytes per
 * atom; STAT answers exactly as before, VERIFY hashes against the record on
 * the disk, a record damaged under an attached space is EBADMSG (never a
 * wrong verdict), and a drop on a settled segment rewrites its table page
 * without the dropped record and with the others byte for byte.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

/* 1 MiB segments: one table page, 64 slots; 4 KiB atoms seal them by slots. */
#define SHIFT		20
#define REGION_LEN	(64 * ST_MIB)
#define N		600
#define SLOTS		64

FIXTURE(idx) {
	struct st_space sp;
	struct st_region r;
};

FIXTURE_SETUP(idx)
{
	self->r = (struct st_region){ st_dev(0), 0, REGION_LEN };
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_RELOAD |
		       SCRATCH_F_VERIFY, SHIFT, { st_dev(0), 0, REGION_LEN });
}

FIXTURE_TEARDOWN(idx)
{
	ST_TEARDOWN();
}

static __u64 atom_ram(int fd, __u64 *atoms)
{
	struct scratch_info in;

	if (st_info(fd, &in))
		return 0;
	*atoms = in.atoms;
	return in.atom_ram_bytes;
}

/* Every field of two STATs of one atom. */
static bool stat_eq(const struct scratch_stat *a, const struct scratch_stat *b)
{
	return a->offset == b->offset && a->stored_len == b->stored_len &&
	       a->length == b->length && a->xxh64 == b->xxh64 && a->type == b->type &&
	       a->atom_flags == b->atom_flags && a->nr_parts == b->nr_parts;
}

/* Device offset of the record of @id (one region at offset 0, 1 MiB segments). */
static __u64 rec_dev_off(const struct scratch_id *id)
{
	return SCRATCH_DISK_DATA_OFF + ((__u64)st_id_seg(id) << SHIFT) + ST_PAGE +
	       (__u64)st_id_slot(id) * sizeof(struct scratch_disk_atom);
}

static struct st_atom a[N];
static struct scratch_stat before[N], after[N];

ST_TEST_F(idx, sixteen_bytes_once_synced)
{
	static const __u64 lens[] = { 5000, 12288, 1, 70000 };
	struct scratch_stat ps[2][4];
	struct st_array *A;
	__u64 ram, atoms = 0;
	__u32 j;
	int i;

	A = st_array_build(4, lens, 900);
	ASSERT_NE(NULL, A);
	ASSERT_EQ(0, st_array_put(self->sp.fd, A, A->table_xxh, 7));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 1000 + (i % 7) * 500));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, st_stat(self->sp.fd, &a[i].id, &before[i]));
	for (j = 0; j < 4; j++) {
		struct scratch_id pid = st_part_id(&A->id, j);

		ASSERT_EQ(0, st_stat(self->sp.fd, &pid, &ps[0][j]));
	}

	/* Nothing synced: every atom keeps its whole record in RAM. */
	ram = atom_ram(self->sp.fd, &atoms);
	ASSERT_EQ((__u64)N + 1, atoms);
	ASSERT_LE(32 * atoms, ram) TH_LOG("%llu bytes for %llu atoms before the sync",
					  (unsigned long long)ram, (unsigned long long)atoms);

	ASSERT_EQ(0, st_sync(self->sp.fd));
	/* Sealed and durable: 16 bytes each; the open segment's 64 slots at most keep 32. */
	ram = atom_ram(self->sp.fd, &atoms);
	ASSERT_EQ((__u64)N + 1, atoms);
	ASSERT_GE(16 * atoms + 32 * SLOTS, ram)
		TH_LOG("%llu bytes for %llu atoms after the sync",
		       (unsigned long long)ram, (unsigned long long)atoms);
	ASSERT_LE(16 * atoms, ram);

	/* STAT answers from the table pages exactly as it did from RAM. */
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, st_stat(self->sp.fd, &a[i].id, &after[i]));
		ASSERT_TRUE(stat_eq(&before[i], &after[i])) TH_LOG("atom %d", i);
		ASSERT_EQ(a[i].xxh, after[i].xxh64);
	}
	for (j = 0; j < 4; j++) {
		struct scratch_id pid = st_part_id(&A->id, j);

		ASSERT_EQ(0, st_stat(self->sp.fd, &pid, &ps[1][j]));
		ASSERT_TRUE(stat_eq(&ps[0][j], &ps[1][j])) TH_LOG("part %u", j);
		ASSERT_EQ(A->xxh[j], ps[1][j].xxh64);
	}
	/* And a check from the drive hashes against the records read back. */
	st_drop_caches();
	for (i = 0; i < N; i += 7)
		ASSERT_EQ(0, st_verify_id(self->sp.fd, &a[i].id, SCRATCH_VERIFY_RECHECK))
			TH_LOG("atom %d", i);
	ASSERT_EQ(0, st_verify_id(self->sp.fd, &A->id, SCRATCH_VERIFY_RECHECK));
	for (i = 0; i < N; i += 5)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
	st_array_free(A);
}

/*
 * Root writes over a record of an attached space's settled segment: the
 * atom's meta can no longer be trusted, so STAT and VERIFY say EBADMSG, and
 * scrub drops it with a damaged payload's atom of the same table page.  The
 * sync that follows rewrites that page from the disk's copy: after a
 * reattach both are missing and every other atom reads back exact.
 */
ST_TEST_F(idx, damaged_record_of_settled_segment)
{
	struct st_scrub_sum sum;
	struct scratch_stat st;
	int i, k = 3, p = 9;

	for (i = 0; i < 2 * SLOTS + 10; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 3000));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	/* a[k] and a[p] share the first (sealed, settled) segment's table page. */
	ASSERT_EQ(st_id_seg(&a[k].id), st_id_seg(&a[p].id));
	ASSERT_EQ(st_id_seg(&a[k].id), st_id_seg(&a[0].id));
	ASSERT_NE(st_id_seg(&a[0].id), st_id_seg(&a[2 * SLOTS + 9].id));

	ASSERT_EQ(0, st_flip(self->r.path, rec_dev_off(&a[k].id) +
			     offsetof(struct scratch_disk_atom, xxh64)));
	ASSERT_EQ(0, st_flip(self->r.path, st_dev_pos(&self->r, a[p].off) + 77));

	ASSERT_EQ(-EBADMSG, st_stat(self->sp.fd, &a[k].id, &st));
	ASSERT_EQ(-EBADMSG, st_verify_id(self->sp.fd, &a[k].id, SCRATCH_VERIFY_RECHECK));
	ASSERT_EQ(-EBADMSG, st_verify_id(self->sp.fd, &a[p].id, SCRATCH_VERIFY_RECHECK));
	/* Its neighbours in the same table page are untouched. */
	ASSERT_EQ(0, st_verify_id(self->sp.fd, &a[k + 1].id, SCRATCH_VERIFY_RECHECK));
	ASSERT_EQ(0, st_stat(self->sp.fd, &a[k - 1].id, &st));
	ASSERT_EQ(a[k - 1].xxh, st.xxh64);

	ASSERT_EQ(0, st_scrub_all(self->sp.fd, 0, 0, 64, &sum));
	ASSERT_EQ(2ULL, sum.nr_bad);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &a[k].id, &st));
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &a[p].id, &st));
	ASSERT_EQ(0, st_sync(self->sp.fd));

	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	for (i = 0; i < 2 * SLOTS + 10; i++) {
		int want = i == k || i == p ? -ENOENT : 0;

		ASSERT_EQ(want, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
	}
}

/*
 * A reservation left open in a segment that seals keeps the segment's
 * records in RAM (one of them is not written yet); once it is committed
 * and synced, or aborted, the segment settles too.
 */
ST_TEST_F(idx, open_reservation_then_settles)
{
	struct scratch_id rid;
	__u64 roff, ram, atoms = 0, after_abort = 0;
	int i;

	ASSERT_EQ(0, st_reserve(self->sp.fd, 4096, 0, &rid, &roff));
	for (i = 0; i < 3 * SLOTS; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 2000));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ram = atom_ram(self->sp.fd, &atoms);
	ASSERT_EQ((__u64)3 * SLOTS, atoms);
	/* The reservation's segment (64 slots) keeps 32 bytes a slot. */
	ASSERT_LE(16 * atoms + 16 * (SLOTS - 1), ram);
	ASSERT_EQ(0, st_abort(self->sp.fd, &rid));
	/* The abort lets the refill work settle it: its meta, 16 bytes a slot, goes. */
	for (i = 0; i < 250; i++) {
		after_abort = atom_ram(self->sp.fd, &atoms);
		if (after_abort != ram)
			break;
		usleep(20000);
	}
	ASSERT_EQ(ram - 16 * SLOTS, after_abort);
	for (i = 0; i < 3 * SLOTS; i++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
}

TEST_HARNESS_MAIN
