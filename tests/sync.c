// SPDX-License-Identifier: GPL-2.0
/*
 * Durability: SYNC, fsync and fdatasync succeed and leave no dirty pages
 * behind, and committed atoms come back byte-exact after detach + reattach
 * whether or not they were synced first (detach syncs).  A sync cut short
 * (its caller killed) leaves everything for the next one.  Concurrent syncs
 * share their flushes (group commit).
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

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

#define GROUP_PROCS	4
#define GROUP_ROUNDS	12

/*
 * Group commit: writers that sync at the same time share flushes (a SYNC
 * that finds a sync begun after it already done returns at once), and each
 * SYNC still returns only once its own atoms are durable: after every
 * writer is done nothing is dirty, and after a reattach every atom is back.
 * The counters add up: each SYNC either ran (syncs) or was covered
 * (syncs_shared).
 */
ST_TEST_F_TIMEOUT(sy, concurrent_syncs_share_flushes, 600)
{
	__u64 runs0, shared0, runs, shared;
	struct st_atom *a;
	int p, i, status;
	pid_t pid[GROUP_PROCS];

	ST_REQUIRE(SCRATCH_F_RELOAD);
	ASSERT_EQ(0, st_sysfs(self->sp.id, "syncs", &runs0));
	ASSERT_EQ(0, st_sysfs(self->sp.id, "syncs_shared", &shared0));
	a = mmap(NULL, GROUP_PROCS * GROUP_ROUNDS * sizeof(*a), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	for (p = 0; p < GROUP_PROCS; p++) {
		pid[p] = st_fork();
		ASSERT_LE(0, pid[p]);
		if (pid[p] == 0) {
			int fd = st_open(self->sp.id, -1);

			if (fd < 0)
				_exit(1);
			for (i = 0; i < GROUP_ROUNDS; i++) {
				struct st_atom *x = &a[p * GROUP_ROUNDS + i];

				if (st_put_n(fd, x, 3000 + p * GROUP_ROUNDS + i, 64 * ST_KIB) ||
				    st_sync(fd))
					_exit(2);
			}
			_exit(0);
		}
	}
	for (p = 0; p < GROUP_PROCS; p++) {
		ASSERT_EQ(pid[p], st_waitpid(pid[p], &status));
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("writer %d: status %#x", p, status);
	}
	ASSERT_GT(DIRTY_SLACK, dirty()) TH_LOG("%llu bytes dirty", (unsigned long long)dirty());
	ASSERT_EQ(0, st_sysfs(self->sp.id, "syncs", &runs));
	ASSERT_EQ(0, st_sysfs(self->sp.id, "syncs_shared", &shared));
	ASSERT_EQ((__u64)GROUP_PROCS * GROUP_ROUNDS, (runs - runs0) + (shared - shared0));
	TH_LOG("%d SYNCs: %llu ran, %llu covered by another", GROUP_PROCS * GROUP_ROUNDS,
	       (unsigned long long)(runs - runs0), (unsigned long long)(shared - shared0));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	for (i = 0; i < GROUP_PROCS * GROUP_ROUNDS; i++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
	munmap(a, GROUP_PROCS * GROUP_ROUNDS * sizeof(*a));
}

#define KILL_ROUNDS	6
#define KILL_ATOMS	32

/*
 * A process killed while in SYNC (SIGKILL, the OOM killer) aborts that sync.
 * The atoms it was making durable must stay for the next sync: after a
 * later SYNC that returns 0 and a reattach, every one of them is there.
 * Each round kills a little later, so that some kills land in the payload
 * flush and some in the table writes.
 */
ST_TEST_F_TIMEOUT(sy, killed_in_sync, 600)
{
	static const unsigned int delay_us[KILL_ROUNDS] = { 0, 500, 2000, 8000, 30000, 100000 };
	struct st_atom *a;
	int round, i;

	ST_REQUIRE(SCRATCH_F_RELOAD);
	a = mmap(NULL, KILL_ROUNDS * KILL_ATOMS * sizeof(*a), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	for (round = 0; round < KILL_ROUNDS; round++) {
		struct st_atom *ra = a + round * KILL_ATOMS;
		int go[2], status;
		char c = 0;
		pid_t pid;

		ASSERT_EQ(0, pipe(go));
		pid = st_fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd = st_open(self->sp.id, -1);

			if (fd < 0 || put_all(fd, ra, KILL_ATOMS, 1000 + round * KILL_ATOMS))
				_exit(1);
			if (write(go[1], &c, 1) != 1)
				_exit(1);
			st_sync(fd);
			_exit(0);
		}
		close(go[1]);
		ASSERT_EQ(1, read(go[0], &c, 1)) TH_LOG("round %d: child failed", round);
		close(go[0]);
		usleep(delay_us[round]);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, st_waitpid(pid, &status));
		ASSERT_EQ(0, st_sync(self->sp.fd)) TH_LOG("round %d", round);
	}
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ((__u64)(KILL_ROUNDS * KILL_ATOMS), st_counter(self->sp.id, "atoms"));
	for (i = 0; i < KILL_ROUNDS * KILL_ATOMS; i++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
	munmap(a, KILL_ROUNDS * KILL_ATOMS * sizeof(*a));
}

TEST_HARNESS_MAIN
