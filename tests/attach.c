// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching spaces: format/attach/detach cycles, two drives as one space,
 * sysfs/INFO numbers, LIST, and reattaching a formatted space (atoms reload;
 * wrong or missing regions are refused with EUCLEAN).
 */
#include "kselftest_harness.h"
#include "scratch_test.h"

FIXTURE(attach) {
	struct st_space sp;
};

FIXTURE_SETUP(attach)
{
	self->sp.fd = -1;
	ST_REQUIRE(SCRATCH_F_WRITE | SCRATCH_F_READ);
	st_sweep(-1);
}

FIXTURE_TEARDOWN(attach)
{
	ST_TEARDOWN();
}

static bool sysfs_dir_exists(__u32 id)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/class/scratch/scratch%u", id);
	return access(path, F_OK) == 0;
}

/* The numbers of a fresh space, in sysfs and INFO, against the geometry. */
#define ASSERT_FRESH_GEOMETRY(id, fd, shift, segs, nregions) do {		\
	struct scratch_info __i;						\
	__u64 __free = st_counter(id, "free_segments");				\
	ASSERT_EQ((__u64)(segs), st_counter(id, "nr_segments"));		\
	ASSERT_EQ((__u64)(segs) * st_payload_bytes(shift),			\
		  st_counter(id, "capacity"));					\
	ASSERT_EQ(1ULL << (shift), st_counter(id, "seg_size"));			\
	ASSERT_EQ((__u64)(nregions), st_counter(id, "regions"));		\
	ASSERT_EQ(0ULL, st_counter(id, "atoms"));				\
	ASSERT_EQ(0ULL, st_counter(id, "used"));				\
	ASSERT_EQ(0ULL, st_counter(id, "evictions"));				\
	ASSERT_EQ(0ULL, st_counter(id, "pinned_segments"));			\
	ASSERT_GE((__u64)(segs), __free);					\
	ASSERT_LE((__u64)(segs) / 2, __free);					\
	ASSERT_EQ(0, st_info(fd, &__i));					\
	ASSERT_EQ(id, __i.space_id);						\
	ASSERT_EQ((__u32)(nregions), __i.nr_regions);				\
	ASSERT_EQ((__u32)(shift), __i.seg_shift);				\
	ASSERT_EQ((__u64)(segs), __i.nr_segments);				\
	ASSERT_EQ(st_counter(id, "capacity"), __i.capacity);			\
	ASSERT_EQ(__free, __i.free_segments);					\
	ASSERT_EQ(0ULL, __i.atoms);						\
	ASSERT_EQ(0ULL, __i.used_bytes);					\
} while (0)

/* Five format/attach/detach cycles with different geometries. */
ST_TEST_F(attach, cycles)
{
	int i;

	for (i = 0; i < 5; i++) {
		unsigned int shift = 20 + i % 3;
		__u64 len = (64 + 3 * i) * ST_MIB;
		__u64 segs = st_region_segs(shift, len);
		struct st_region r = { st_dev(0), i * ST_MIB, len };
		struct st_atom a;
		__u32 id;
		int fd;

		ASSERT_EQ(0, st_attach(&r, 1, shift, true, &id)) TH_LOG("cycle %d", i);
		ASSERT_TRUE(sysfs_dir_exists(id));
		ASSERT_TRUE(st_listed(id));
		/* The module holds the drive exclusively while attached. */
		ASSERT_EQ(-EBUSY, st_excl_open(st_dev(0)));
		fd = st_open(id, -1);
		ASSERT_LE(0, fd) TH_LOG("open /dev/scratch%u: %s", id, strerror(-fd));
		ASSERT_FRESH_GEOMETRY(id, fd, shift, segs, 1);

		ASSERT_EQ(0, st_put_n(fd, &a, i, 10000 + i));
		ASSERT_EQ(0, st_verify(fd, &a));
		ASSERT_EQ(1ULL, st_counter(id, "atoms"));
		ASSERT_EQ(ST_ROUND_UP(a.len, ST_PAGE), st_counter(id, "used"));
		ASSERT_LE(a.len, st_counter(id, "bytes_written"));
		ASSERT_LE(a.len, st_counter(id, "bytes_read"));

		ASSERT_EQ(0, st_close(fd));
		ASSERT_EQ(0, st_detach(id));
		ASSERT_FALSE(sysfs_dir_exists(id));
		ASSERT_FALSE(st_listed(id));
		ASSERT_EQ(-ENODEV, st_detach(id));
		ASSERT_EQ(0, st_excl_open(st_dev(0)));
	}
}

/* Find which drive holds each atom's first page (O_DIRECT scan of [0, len)). */
static int scan_drive(const char *dev, __u64 len, const struct st_atom *a, int n,
		      int *where, int tag)
{
	unsigned char *buf, head[64];
	__u64 off;
	int fd, k, r = 0;

	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (posix_memalign((void **)&buf, ST_PAGE, ST_CHUNK)) {
		close(fd);
		return -ENOMEM;
	}
	for (off = 0; off < len && !r; off += ST_CHUNK) {
		size_t p;

		if (pread(fd, buf, ST_CHUNK, off) != (ssize_t)ST_CHUNK) {
			r = -EIO;
			break;
		}
		for (p = 0; p < ST_CHUNK; p += ST_PAGE) {
			for (k = 0; k < n; k++) {
				st_fill(head, sizeof(head), a[k].seed, 0);
				if (!memcmp(buf + p, head, sizeof(head)) &&
				    st_check(buf + p, ST_MIN(a[k].len, ST_CHUNK - p),
					     a[k].seed, 0) < 0)
					where[k] = tag;
			}
		}
	}
	free(buf);
	close(fd);
	return r;
}

/* Two regions on two drives are one space; writes go to both drives. */
ST_TEST_F(attach, two_drives)
{
	enum { N = 12 };
	struct st_region regs[] = {
		{ st_dev(0), 0, 64 * ST_MIB }, { st_dev(1), 0, 32 * ST_MIB },
	};
	__u64 segs = st_region_segs(20, regs[0].length) + st_region_segs(20, regs[1].length);
	struct st_atom a[N];
	int where[N], k, on0 = 0, on1 = 0;

	ST_REQUIRE(SCRATCH_F_MULTI_REGION);
	ASSERT_EQ(0, st_space_create(&self->sp, regs, 2, 20));
	ASSERT_FRESH_GEOMETRY(self->sp.id, self->sp.fd, 20, segs, 2);
	ASSERT_EQ(-EBUSY, st_excl_open(st_dev(0)));
	ASSERT_EQ(-EBUSY, st_excl_open(st_dev(1)));

	/* 600 KiB atoms: no two fit one 1 MiB segment, so N segments fill. */
	for (k = 0; k < N; k++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[k], k, 600 * ST_KIB));
	for (k = 0; k < N; k++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[k]));
	ASSERT_EQ((__u64)N, st_counter(self->sp.id, "atoms"));
	ASSERT_EQ(0, st_sync(self->sp.fd));

	for (k = 0; k < N; k++)
		where[k] = -1;
	ASSERT_EQ(0, scan_drive(st_dev(0), regs[0].length, a, N, where, 0));
	ASSERT_EQ(0, scan_drive(st_dev(1), regs[1].length, a, N, where, 1));
	for (k = 0; k < N; k++) {
		ASSERT_NE(-1, where[k]) TH_LOG("atom %d not found on either drive", k);
		on0 += where[k] == 0;
		on1 += where[k] == 1;
	}
	/* Round-robin over regions: neither drive is left idle. */
	ASSERT_LT(0, on0);
	ASSERT_LT(0, on1);
}

ST_TEST_F(attach, list)
{
	struct st_region r0 = { st_dev(0), 0, 64 * ST_MIB }, r1 = { st_dev(1), 0, 64 * ST_MIB };
	__u32 a, b, ids[16], count = 0, i;
	bool seen_a = false, seen_b = false;

	ASSERT_EQ(0, st_attach(&r0, 1, 20, true, &a));
	ASSERT_EQ(0, st_attach(&r1, 1, 20, true, &b));
	ASSERT_NE(a, b);

	ASSERT_EQ(0, st_list(ids, 16, &count));
	ASSERT_EQ(2U, count);
	for (i = 0; i < count; i++) {
		seen_a |= ids[i] == a;
		seen_b |= ids[i] == b;
	}
	ASSERT_TRUE(seen_a && seen_b);

	/* A short array gets what fits; count still says how many there are. */
	ids[0] = ids[1] = 0xdeadbeef;
	ASSERT_EQ(0, st_list(ids, 1, &count));
	ASSERT_EQ(2U, count);
	ASSERT_TRUE(ids[0] == a || ids[0] == b);
	ASSERT_EQ(0xdeadbeefU, ids[1]);
	count = 0;
	ASSERT_EQ(0, st_list(NULL, 0, &count));
	ASSERT_EQ(2U, count);

	ASSERT_EQ(0, st_detach(a));
	ASSERT_EQ(0, st_list(ids, 16, &count));
	ASSERT_EQ(1U, count);
	ASSERT_EQ(b, ids[0]);
	ASSERT_EQ(0, st_detach(b));
	ASSERT_EQ(0, st_list(ids, 16, &count));
	ASSERT_EQ(0U, count);
}

/* Reattach without FORMAT: every committed atom is back, same id, same bytes. */
ST_TEST_F(attach, reload_same_bytes)
{
	enum { N = 20 };
	struct st_region r = { st_dev(0), 0, 64 * ST_MIB };
	unsigned char page[ST_PAGE];
	struct st_atom a[2 * N];
	struct scratch_stat st;
	struct scratch_id lost;
	__u64 rnd = 7, lost_off;
	int k;

	ST_REQUIRE(SCRATCH_F_RELOAD);
	ASSERT_EQ(0, st_space_create(&self->sp, &r, 1, 20));
	for (k = 0; k < N; k++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[k], k, 1 + st_rand(&rnd) % (300 * ST_KIB)));
	/* Written in full but never committed: must not come back. */
	st_fill(page, sizeof(page), st_seed(999), 0);
	ASSERT_EQ(0, st_reserve(self->sp.fd, sizeof(page), 0, &lost, &lost_off));
	ASSERT_EQ(0, st_write(self->sp.fd, page, sizeof(page), lost_off));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_FALSE(sysfs_dir_exists(self->sp.id));

	ASSERT_EQ(0, st_space_reload(&self->sp, &r, 1));
	ASSERT_EQ(63ULL, st_counter(self->sp.id, "nr_segments"));
	ASSERT_EQ(63 * st_payload_bytes(20), st_counter(self->sp.id, "capacity"));
	ASSERT_EQ((__u64)N, st_counter(self->sp.id, "atoms"));
	ASSERT_NE(UINT64_MAX, st_counter(self->sp.id, "reload_us"));
	for (k = 0; k < N; k++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[k])) TH_LOG("atom %d", k);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &lost, &st));

	/* New atoms go to free space, not over the reloaded ones. */
	for (k = N; k < 2 * N; k++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[k], k, 1 + st_rand(&rnd) % (300 * ST_KIB)));
	for (k = 0; k < 2 * N; k++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[k])) TH_LOG("atom %d", k);

	/* And a second reload brings back all of them. */
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_reload(&self->sp, &r, 1));
	ASSERT_EQ((__u64)(2 * N), st_counter(self->sp.id, "atoms"));
	for (k = 0; k < 2 * N; k++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[k])) TH_LOG("atom %d", k);
}

/* A two-region space reattached in the wrong order, or in part: EUCLEAN. */
ST_TEST_F(attach, reload_wrong_regions)
{
	struct st_region good[] = {
		{ st_dev(0), 0, 64 * ST_MIB }, { st_dev(1), 0, 64 * ST_MIB },
	};
	struct st_region swapped[] = { good[1], good[0] };
	struct st_region shorter[] = { good[0], { st_dev(1), 0, 32 * ST_MIB } };
	struct st_atom a;
	__u32 id;

	ST_REQUIRE(SCRATCH_F_RELOAD | SCRATCH_F_MULTI_REGION);
	ASSERT_EQ(0, st_space_create(&self->sp, good, 2, 20));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 50000));
	ASSERT_EQ(0, st_space_down(&self->sp));

	ASSERT_EQ(-EUCLEAN, st_attach(swapped, 2, 0, false, &id));
	ASSERT_EQ(-EUCLEAN, st_attach(&good[0], 1, 0, false, &id));
	ASSERT_EQ(-EUCLEAN, st_attach(&good[1], 1, 0, false, &id));
	ASSERT_EQ(-EUCLEAN, st_attach(shorter, 2, 0, false, &id));

	/* Refusals claim nothing and change nothing. */
	ASSERT_EQ(0, st_excl_open(st_dev(0)));
	ASSERT_EQ(0, st_excl_open(st_dev(1)));
	ASSERT_EQ(0, st_space_reload(&self->sp, good, 2));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a));
	ASSERT_EQ(1ULL, st_counter(self->sp.id, "atoms"));
}

/* FORMAT over a formatted space starts empty: the old ids are gone. */
ST_TEST_F(attach, format_erases)
{
	struct st_region r = { st_dev(0), 0, 64 * ST_MIB };
	struct scratch_stat st;
	struct st_atom a;

	ASSERT_EQ(0, st_space_create(&self->sp, &r, 1, 20));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 5000));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_create(&self->sp, &r, 1, 21));
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &a.id, &st));
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "atoms"));
	ASSERT_EQ(1ULL << 21, st_counter(self->sp.id, "seg_size"));
	ASSERT_EQ(st_region_segs(21, r.length), st_counter(self->sp.id, "nr_segments"));
}

/*
 * FORMAT over an older space with larger tables: the older space's synced
 * records that the new space's tables never overwrite must not come back
 * as the new space's atoms (formats write superblocks only, generations
 * restart at 1, records do not name their space).  Old: 4 MiB segments,
 * 200 atoms in segment 0, records in its table pages 0-3.  New: 16 MiB
 * segments at the same offsets, one atom (table page 0 rewritten); the old
 * records of slots 64-199 stay in the new segment 0's table pages 1-3.
 * Checked with the SEALED header detach writes, and with the OPEN header
 * put back (a crash before the SEALED one was durable), where reload reads
 * the whole table.
 */
ST_TEST_F(attach, format_over_older_space)
{
	enum { N = 200 };
	struct st_region r = { st_dev(0), 0, 64 * ST_MIB };
	struct st_atom old[N], a;
	struct scratch_stat st;
	unsigned char *hdr;
	int k, pass;

	ST_REQUIRE(SCRATCH_F_RELOAD);
	ASSERT_EQ(0, st_space_create(&self->sp, &r, 1, 22));
	for (k = 0; k < N; k++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &old[k], 1000 + k, 4096));
	/* All in one segment, slots 0..N-1, durable. */
	for (k = 0; k < N; k++) {
		ASSERT_EQ(st_id_seg(&old[0].id), st_id_seg(&old[k].id));
		ASSERT_EQ((__u32)k, st_id_slot(&old[k].id));
	}
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_reload(&self->sp, &r, 1));
	ASSERT_EQ((__u64)N, st_counter(self->sp.id, "atoms"));
	ASSERT_EQ(0, st_space_down(&self->sp));

	ASSERT_EQ(0, st_space_create(&self->sp, &r, 1, 24));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 7, 5000));
	ASSERT_EQ(st_id_seg(&old[0].id), st_id_seg(&a.id));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	/* The OPEN header of the new segment, durable since it opened. */
	ASSERT_EQ(0, posix_memalign((void **)&hdr, ST_PAGE, ST_PAGE));
	ASSERT_EQ(0, st_dev_rw(st_dev(0), false, hdr, ST_PAGE,
			       SCRATCH_DISK_DATA_OFF + ((__u64)st_id_seg(&a.id) << 24)));
	ASSERT_EQ(0, st_space_down(&self->sp));

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			ASSERT_EQ(0, st_dev_rw(st_dev(0), true, hdr, ST_PAGE,
					       SCRATCH_DISK_DATA_OFF +
					       ((__u64)st_id_seg(&a.id) << 24)));
		ASSERT_EQ(0, st_drop_caches());
		ASSERT_EQ(0, st_space_reload(&self->sp, &r, 1)) TH_LOG("pass %d", pass);
		ASSERT_EQ(1ULL, st_counter(self->sp.id, "atoms")) TH_LOG("pass %d", pass);
		ASSERT_EQ(0, st_verify(self->sp.fd, &a));
		/* Slot 0 is the new atom's id now; every other old id is gone. */
		for (k = 1; k < N; k++)
			ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &old[k].id, &st))
				TH_LOG("pass %d: old atom %d is back", pass, k);
		ASSERT_EQ(0, st_space_down(&self->sp));
	}
	free(hdr);
}

TEST_HARNESS_MAIN
