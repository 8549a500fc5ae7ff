// SPDX-License-Identifier: GPL-2.0
/*
 * Durability: SYNC, fsync and fdatasync succeed and leave no dirty pages
 * behind, and committed atoms come back byte-exact after detach + reattach
 * whether or not they were synced first (detach syncs).
 */
#include "kselftest_harness.h"
#include "scratch_test.h"

#define N	40
#define ALEN	(200 * ST_KIB)
/* Dirty + Writeback allowed after a sync: the guest writes little else. */
#define DIRTY_SLACK	(4 * ST_MIB)

FIXTURE(sy) {
	struct st_space sp;
	struct st_region r;
};

FIXTURE_SETUP(sy)
{
	self->r = (struct st_region){ st_dev(0), 0, 64 * ST_MIB };
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ, 20,
		       { st_dev(0), 0, 64 * ST_MIB });
}

FIXTURE_TEARDOWN(sy)
{
	ST_TEARDOWN();
}

static __u64 dirty(void)
{
	return st_meminfo("Dirty") + st_meminfo("Writeback");
}

static int put_all(int fd, struct st_atom *a, int n, __u64 first)
{
	int i, r;

	for (i = 0; i < n; i++) {
		r = st_put_n(fd, &a[i], first + i, ALEN - i * 1000);
		if (r)
			return r;
	}
	return 0;
}

ST_TEST_F(sy, calls_succeed)
{
	struct st_atom a;

	/* Nothing to sync yet. */
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, fsync(self->sp.fd));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 12345));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, fsync(self->sp.fd));
	ASSERT_EQ(0, fdatasync(self->sp.fd));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a));
}

/* After SYNC (then after fsync) no dirty page of ours is left. */
ST_TEST_F(sy, nothing_left_dirty)
{
	struct st_atom a[N];

	ASSERT_EQ(0, put_all(self->sp.fd, a, N, 0));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_GT(DIRTY_SLACK, dirty()) TH_LOG("after SYNC: %llu bytes dirty",
					       (unsigned long long)dirty());
	ASSERT_EQ(0, put_all(self->sp.fd, a, N, 100));
	ASSERT_EQ(0, fsync(self->sp.fd));
	ASSERT_GT(DIRTY_SLACK, dirty()) TH_LOG("after fsync: %llu bytes dirty",
					       (unsigned long long)dirty());
	ASSERT_EQ(0, st_verify(self->sp.fd, &a[N - 1]));
}

ST_TEST_F(sy, synced_survive_reattach)
{
	struct st_atom a[N];
	int i;

	ST_REQUIRE(SCRATCH_F_RELOAD);
	ASSERT_EQ(0, put_all(self->sp.fd, a, N, 0));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_space_down(&self->sp));
	/* Read back from the drive, not from pages cached before detach. */
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ((__u64)N, st_counter(self->sp.id, "atoms"));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
}

/* Committed, never synced, then detached: detach made them durable. */
ST_TEST_F(sy, detach_syncs)
{
	struct st_atom a[N];
	int i;

	ST_REQUIRE(SCRATCH_F_RELOAD);
	ASSERT_EQ(0, put_all(self->sp.fd, a, N, 0));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_GT(DIRTY_SLACK, dirty()) TH_LOG("after detach: %llu bytes dirty",
					       (unsigned long long)dirty());
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ((__u64)N, st_counter(self->sp.id, "atoms"));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
	/* And once more, with new atoms on top of the reloaded ones. */
	ASSERT_EQ(0, put_all(self->sp.fd, a, N / 2, 500));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ((__u64)(N + N / 2), st_counter(self->sp.id, "atoms"));
	for (i = 0; i < N / 2; i++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("new atom %d", i);
}

TEST_HARNESS_MAIN
