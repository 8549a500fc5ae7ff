// SPDX-License-Identifier: GPL-2.0
/*
 * Damage on the drive between detach and reattach is never served as valid:
 * a damaged record or segment header makes its atoms missing, a damaged
 * payload fails verification (EBADMSG), a damaged primary superblock is
 * replaced by its backup, two damaged superblocks refuse the attach
 * (EUCLEAN); the undamaged atoms around them read back exact every time.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

#define SHIFT	20

FIXTURE(cor) {
	struct st_space sp;
	struct st_region r;
};

FIXTURE_SETUP(cor)
{
	self->r = (struct st_region){ st_dev(0), 0, 64 * ST_MIB };
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_RELOAD, SHIFT,
		       { st_dev(0), 0, 64 * ST_MIB });
}

FIXTURE_TEARDOWN(cor)
{
	ST_TEARDOWN();
}

/* Device offset of segment @seg of the (single-region) space, per the on-disk format. */
static __u64 seg_dev_off(FIXTURE_DATA(cor) *self, __u32 seg)
{
	return self->r.offset + SCRATCH_DISK_DATA_OFF + ((__u64)seg << SHIFT);
}

/*
 * Find @a's record in its segment's table on the drive (by stored_len and
 * xxh64).  Returns its device offset and copies it to @rec, or 0.
 */
static __u64 find_record(FIXTURE_DATA(cor) *self, const struct st_atom *a,
			 struct scratch_disk_atom *rec)
{
	static struct scratch_disk_atom tab[ST_PAGE / sizeof(struct scratch_disk_atom)];
	__u64 base = seg_dev_off(self, st_id_seg(&a->id)) + ST_PAGE;
	unsigned int i;

	/* 1 MiB segments: 64 slots, one table page after the header page. */
	if (st_dev_rw(self->r.path, false, tab, sizeof(tab), base))
		return 0;
	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		if (le32toh(tab[i].magic) == SCRATCH_ATOM_MAGIC &&
		    le64toh(tab[i].stored_len) == a->len && le64toh(tab[i].xxh64) == a->xxh) {
			*rec = tab[i];
			return base + i * sizeof(tab[0]);
		}
	}
	return 0;
}

/* Every atom of @a but those in @skip (a bit mask) reads back exact. */
static int all_exact(FIXTURE_DATA(cor) *self, const struct st_atom *a, int n, __u64 skip)
{
	int i, r;

	for (i = 0; i < n; i++) {
		if (skip & (1ULL << i))
			continue;
		r = st_verify(self->sp.fd, &a[i]);
		if (r) {
			fprintf(stderr, "# atom %d: %s\n", i, strerror(-r));
			return r;
		}
	}
	return 0;
}

ST_TEST_F(cor, damaged_record_and_payload)
{
	struct st_atom a[4];
	struct scratch_disk_atom rec;
	struct scratch_stat st;
	static unsigned char big[64 * 1024];
	unsigned char buf[256];
	__u64 rec_off;
	int i, r;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 5000 + 3000 * i));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_space_down(&self->sp));

	/* a[0]: its record's stored_len (magic kept, checksum now wrong). */
	rec_off = find_record(self, &a[0], &rec);
	ASSERT_NE(0ULL, rec_off) TH_LOG("record of atom 0 not found on the drive");
	ASSERT_EQ(0, st_flip(self->r.path, rec_off + offsetof(struct scratch_disk_atom, stored_len)));
	/* a[2]: one payload byte. */
	ASSERT_EQ(0, st_flip(self->r.path, st_dev_pos(&self->r, a[2].off) + 100));

	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &a[0].id, &st)) TH_LOG("damaged record");
	errno = 0;
	ASSERT_EQ(-1, pread(self->sp.fd, buf, sizeof(buf), a[0].off));
	ASSERT_EQ(ENOENT, errno);

	if (st_has(SCRATCH_F_VERIFY)) {
		/* The module hashes a reloaded atom before serving a byte of it. */
		errno = 0;
		ASSERT_EQ(-1, pread(self->sp.fd, big, sizeof(big), a[2].off));
		ASSERT_EQ(EBADMSG, errno);
		ASSERT_EQ(-EBADMSG, st_stat(self->sp.fd, &a[2].id, &st));
	} else {
		/* Without it, the reader's own check is what catches it. */
		r = st_get(self->sp.fd, &a[2].id, big, sizeof(big), NULL);
		ASSERT_TRUE(r == -EBADMSG || r == -ENOENT) TH_LOG("damaged payload: get %d", r);
	}
	ASSERT_EQ(0, all_exact(self, a, 4, 1 << 0 | 1 << 2));
}

/* Each superblock alone is enough; losing both refuses the attach as damaged, not blank. */
ST_TEST_F(cor, damaged_superblocks)
{
	const __u64 where = offsetof(struct scratch_disk_super, reserved);
	static unsigned char zero[ST_PAGE], saved[ST_PAGE];
	struct st_atom a[3];
	__u32 id;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 10000 + 70000 * i));
	ASSERT_EQ(0, st_space_down(&self->sp));

	/* Primary damaged: the backup is used. */
	ASSERT_EQ(0, st_flip(self->r.path, self->r.offset + where));
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1)) TH_LOG("backup superblock");
	ASSERT_EQ(0, all_exact(self, a, 3, 0));
	ASSERT_EQ(0, st_space_down(&self->sp));

	/* Both damaged: EUCLEAN. */
	ASSERT_EQ(0, st_flip(self->r.path, self->r.offset + ST_PAGE + where));
	ASSERT_EQ(-EUCLEAN, st_attach(&self->r, 1, 0, false, &id));

	/* Primary wiped (no magic) and backup damaged: still damage, not a blank drive. */
	ASSERT_EQ(0, st_dev_rw(self->r.path, false, saved, ST_PAGE, self->r.offset));
	ASSERT_EQ(0, st_dev_rw(self->r.path, true, zero, ST_PAGE, self->r.offset));
	ASSERT_EQ(-EUCLEAN, st_attach(&self->r, 1, 0, false, &id));

	/* Primary wiped, backup repaired: the backup alone attaches. */
	ASSERT_EQ(0, st_flip(self->r.path, self->r.offset + ST_PAGE + where));
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1)) TH_LOG("wiped primary");
	ASSERT_EQ(0, all_exact(self, a, 3, 0));
	ASSERT_EQ(0, st_space_down(&self->sp));

	/* Both wiped: no scratch format at all. */
	ASSERT_EQ(0, st_dev_rw(self->r.path, true, zero, ST_PAGE, self->r.offset + ST_PAGE));
	ASSERT_EQ(-EMEDIUMTYPE, st_attach(&self->r, 1, 0, false, &id));

	/* The primary back, with the first flip undone: it alone attaches. */
	saved[where] ^= 0x40;
	ASSERT_EQ(0, st_dev_rw(self->r.path, true, saved, ST_PAGE, self->r.offset));
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ(0, all_exact(self, a, 3, 0));
}

/*
 * A damaged segment header: its atoms are missing (their generation cannot
 * be trusted), every other segment's atoms are exact, and writing on reuses
 * the segment under a generation no old id carries.
 */
ST_TEST_F(cor, damaged_segment_header)
{
	enum { N = 9 };
	struct st_atom a[N], more;
	struct scratch_stat st;
	__u32 victim;
	__u64 skip = 0, n;
	int i;

	/* 300 KB atoms: three per 1 MiB segment, so three segments. */
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 300 * 1000));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_space_down(&self->sp));
	victim = st_id_seg(&a[N / 2].id);
	for (i = 0; i < N; i++)
		if (st_id_seg(&a[i].id) == victim)
			skip |= 1ULL << i;
	ASSERT_NE(0ULL, skip);
	ASSERT_NE((1ULL << N) - 1, skip) TH_LOG("all atoms in one segment");
	/* The generation field: a valid-looking header with a wrong checksum. */
	ASSERT_EQ(0, st_flip(self->r.path, seg_dev_off(self, victim) +
			     offsetof(struct scratch_disk_seg, gen)));

	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	for (i = 0; i < N; i++)
		if (skip & (1ULL << i))
			ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &a[i].id, &st)) TH_LOG("atom %d", i);
	ASSERT_EQ(0, all_exact(self, a, N, skip));

	/* Fill the space past full: the damaged segment is reused, old ids stay dead. */
	for (n = 0; n < 200; n++) {
		ASSERT_EQ(0, st_put_n(self->sp.fd, &more, 100 + n, 500 * 1000));
		if (st_id_seg(&more.id) == victim)
			break;
	}
	ASSERT_EQ(victim, st_id_seg(&more.id)) TH_LOG("damaged segment never reused");
	for (i = 0; i < N; i++) {
		if (!(skip & (1ULL << i)))
			continue;
		ASSERT_NE(st_id_gen(&a[i].id), st_id_gen(&more.id));
		ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &a[i].id, &st)) TH_LOG("atom %d", i);
	}
	ASSERT_EQ(0, st_verify(self->sp.fd, &more));
}

/*
 * Several damaged records in one table: exactly those atoms are missing;
 * their neighbours, before and after them in the table, are exact.
 */
ST_TEST_F(cor, damaged_records)
{
	enum { N = 12 };
	struct st_atom a[N];
	struct scratch_disk_atom rec;
	struct scratch_stat st;
	__u64 off, skip = 0;
	int i;

	for (i = 0; i < N; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 1000 + 4096 * i));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_space_down(&self->sp));
	/* Three kinds of damage: checksum field, page field, magic. */
	for (i = 1; i < N; i += 4) {
		off = find_record(self, &a[i], &rec);
		ASSERT_NE(0ULL, off) TH_LOG("record of atom %d", i);
		ASSERT_EQ(0, st_flip(self->r.path, off + (i == 1 ? offsetof(struct scratch_disk_atom, csum) :
							  i == 5 ? offsetof(struct scratch_disk_atom, page) :
							  offsetof(struct scratch_disk_atom, magic))));
		skip |= 1ULL << i;
	}
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	for (i = 0; i < N; i++)
		if (skip & (1ULL << i))
			ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &a[i].id, &st)) TH_LOG("atom %d", i);
	ASSERT_EQ((__u64)(N - 3), st_counter(self->sp.id, "atoms"));
	ASSERT_EQ(0, all_exact(self, a, N, skip));
}

TEST_HARNESS_MAIN
