// SPDX-License-Identifier: GPL-2.0
/*
 * SIGKILL during every blocking call: reserve + write + commit, reserve
 * that must evict, sync, verify, mmap of an unverified atom (hashed before
 * it is mapped), scrub and attach (reload).  A child makes the call; the
 * parent times one undisturbed run, then kills children at spread fractions
 * of that time.  Each killed child must die promptly (no hung task), and
 * afterwards every atom a sync reported durable reads back exact (or, where
 * the space evicts, is gone — never other bytes), the space detaches (the
 * dead child left no pin or reservation) and a reattach finds the same.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

#define SHIFT		22		/* 4 MiB segments */
#define ROUNDS		6
#define MAX_ATOMS	1024
#define DEATH_SECS	60		/* a killed child must be gone by then */

enum kc_op { KC_PUT, KC_EVICT, KC_SYNC, KC_VERIFY, KC_MAP, KC_SCRUB, KC_ATTACH };

/* What children report: atoms a sync made durable.  Shared memory. */
struct kc_log {
	int n;
	struct st_atom a[MAX_ATOMS];
};

FIXTURE(kc) {
	struct st_space sp;
	struct st_region r;
	struct kc_log *log;	/* durable atoms, the pool first */
	int pool;		/* log->a[0..pool): the atoms verify/map/scrub read */
	__u64 seed;
};

FIXTURE_VARIANT(kc) {
	enum kc_op op;
	__u64 region_len;
	int pool;		/* atoms written before the rounds */
	__u64 pool_len;		/* bytes each */
	bool evicts;		/* the rounds may evict durable atoms */
};

FIXTURE_VARIANT_ADD(kc, put) {
	.op = KC_PUT, .region_len = 256 * ST_MIB, .pool = 4, .pool_len = 2 * ST_MIB,
};

FIXTURE_VARIANT_ADD(kc, evict) {
	.op = KC_EVICT, .region_len = 32 * ST_MIB, .pool = 6, .pool_len = 2 * ST_MIB,
	.evicts = true,
};

FIXTURE_VARIANT_ADD(kc, sync) {
	.op = KC_SYNC, .region_len = 256 * ST_MIB, .pool = 4, .pool_len = 2 * ST_MIB,
};

FIXTURE_VARIANT_ADD(kc, verify) {
	.op = KC_VERIFY, .region_len = 64 * ST_MIB, .pool = 8, .pool_len = 3 * ST_MIB + 77,
};

FIXTURE_VARIANT_ADD(kc, map) {
	.op = KC_MAP, .region_len = 64 * ST_MIB, .pool = 8, .pool_len = 3 * ST_MIB + 77,
};

FIXTURE_VARIANT_ADD(kc, scrub) {
	.op = KC_SCRUB, .region_len = 64 * ST_MIB, .pool = 8, .pool_len = 3 * ST_MIB + 77,
};

FIXTURE_VARIANT_ADD(kc, attach) {
	.op = KC_ATTACH, .region_len = 256 * ST_MIB, .pool = 64, .pool_len = 1 * ST_MIB,
};

FIXTURE_SETUP(kc)
{
	int i, r;

	self->log = MAP_FAILED;
	self->r = (struct st_region){ st_dev(0), 0, variant->region_len };
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_RELOAD |
		       SCRATCH_F_VERIFY, SHIFT, { st_dev(0), 0, variant->region_len });
	self->log = mmap(NULL, sizeof(*self->log), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->log);
	self->log->n = 0;
	self->seed = 1;
	for (i = 0; i < variant->pool; i++) {
		r = st_put_n(self->sp.fd, &self->log->a[i], self->seed++, variant->pool_len);
		ASSERT_EQ(0, r) TH_LOG("pool atom %d: %s", i, strerror(-r));
	}
	ASSERT_EQ(0, st_sync(self->sp.fd));
	self->log->n = self->pool = variant->pool;
}

FIXTURE_TEARDOWN(kc)
{
	if (self->log != MAP_FAILED)
		munmap(self->log, sizeof(*self->log));
	ST_TEARDOWN();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the children: each makes its call (or calls) and exits 0 ----------------------- */

/* Put @n atoms of @len, syncing each, and log the durable ones. */
static int child_put(FIXTURE_DATA(kc) *self, int fd, __u64 seed, int n, __u64 len)
{
	struct st_atom a;
	int i, r;

	for (i = 0; i < n; i++) {
		r = st_put_n(fd, &a, seed + i, len + i * ST_PAGE);
		if (!r)
			r = st_sync(fd);
		if (r)
			return r;
		if (self->log->n < MAX_ATOMS) {
			self->log->a[self->log->n] = a;
			__atomic_store_n(&self->log->n, self->log->n + 1, __ATOMIC_RELEASE);
		}
	}
	return 0;
}

/* Put @n atoms, one SYNC for all of them. */
static int child_sync(FIXTURE_DATA(kc) *self, int fd, __u64 seed, int n)
{
	struct st_atom a[16];
	int i, r = 0;

	for (i = 0; i < n && !r; i++)
		r = st_put_n(fd, &a[i], seed + i, 512 * ST_KIB + i);
	if (!r)
		r = st_sync(fd);
	for (i = 0; i < n && !r && self->log->n < MAX_ATOMS; i++) {
		self->log->a[self->log->n] = a[i];
		__atomic_store_n(&self->log->n, self->log->n + 1, __ATOMIC_RELEASE);
	}
	return r;
}

static int child_map(FIXTURE_DATA(kc) *self, int fd)
{
	int i;

	for (i = 0; i < self->pool; i++) {
		const struct st_atom *a = &self->log->a[i];
		size_t len = ST_ROUND_UP(a->len, ST_PAGE);
		void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, a->off);

		if (p == MAP_FAILED)
			return -errno;
		if (st_check(p, a->len, a->seed, 0) >= 0)
			return -EBADMSG;
		munmap(p, len);
	}
	return 0;
}

static int child_attach(FIXTURE_DATA(kc) *self)
{
	__u32 id;

	return st_attach(&self->r, 1, 0, false, &id);
}

static int child(FIXTURE_DATA(kc) *self, const FIXTURE_VARIANT(kc) *variant, __u64 seed)
{
	struct st_scrub_sum sum;
	int fd, i, r = 0;

	if (variant->op == KC_ATTACH)
		return child_attach(self);
	fd = st_open(self->sp.id, -1);
	if (fd < 0)
		return fd;
	switch (variant->op) {
	case KC_PUT:
		return child_put(self, fd, seed, 6, 2 * ST_MIB);
	case KC_EVICT:
		return child_put(self, fd, seed, 6, 3 * ST_MIB);
	case KC_SYNC:
		return child_sync(self, fd, seed, 12);
	case KC_VERIFY:
		for (i = 0; i < self->pool && !r; i++)
			r = st_verify_id(fd, &self->log->a[i].id, SCRATCH_VERIFY_RECHECK);
		return r;
	case KC_MAP:
		return child_map(self, fd);
	case KC_SCRUB:
		r = st_scrub_all(fd, SCRATCH_SCRUB_RECHECK, 0, 8, &sum);
		return r ? r : sum.nr_bad || sum.errors ? -EBADMSG : 0;
	default:
		return -EINVAL;
	}
}

/* ---- the parent --------------------------------------------------------------------- */

/* Wait for @pid at most DEATH_SECS; its status, or -ETIMEDOUT. */
static int reap(pid_t pid, int *status)
{
	double end = now() + DEATH_SECS;

	while (now() < end) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid) {
			st_waitpid(pid, NULL);	/* forget it (it is reaped: ECHILD) */
			return 0;
		}
		if (r < 0)
			return -errno;
		usleep(2000);
	}
	return -ETIMEDOUT;
}

/* Before a round: the state the call needs (unverified atoms, nothing cached, no space). */
static int prepare(FIXTURE_DATA(kc) *self, const FIXTURE_VARIANT(kc) *variant)
{
	int r = 0;

	switch (variant->op) {
	case KC_MAP:
		/* Reattached atoms are unverified: mmap hashes them first. */
		r = st_space_down(&self->sp);
		if (!r)
			r = st_space_reload(&self->sp, &self->r, 1);
		break;
	case KC_ATTACH:
		r = st_space_down(&self->sp);
		break;
	default:
		break;
	}
	return r ? r : st_drop_caches();
}

/* After a round: bring the space back for the parent (an attach child may have done it). */
static int settle(FIXTURE_DATA(kc) *self, const FIXTURE_VARIANT(kc) *variant)
{
	__u32 ids[8], n = 0;

	if (variant->op != KC_ATTACH)
		return 0;
	if (st_list(ids, 8, &n))
		return -EIO;
	if (n > 1)
		return -EEXIST;
	if (n == 1) {
		/* The child's attach finished before the kill: the space is up. */
		st_track_space(ids[0]);
		self->sp.id = ids[0];
		self->sp.up = true;
		self->sp.fd = st_open(ids[0], -1);
		return self->sp.fd < 0 ? self->sp.fd : 0;
	}
	return st_space_reload(&self->sp, &self->r, 1);
}

/* Every logged atom exact; gone only where the space evicts. */
static int check(struct __test_metadata *_metadata, FIXTURE_DATA(kc) *self,
		 const FIXTURE_VARIANT(kc) *variant, const char *when)
{
	int i, r, gone = 0;

	for (i = 0; i < self->log->n; i++) {
		r = st_verify(self->sp.fd, &self->log->a[i]);
		if (r == -ENOENT && variant->evicts) {
			gone++;
			continue;
		}
		if (r) {
			TH_LOG("%s: durable atom %d of %d: %s", when, i, self->log->n,
			       strerror(-r));
			return r;
		}
	}
	if (variant->evicts && gone == self->log->n)
		return -ENOENT;
	return 0;
}

/* One child run, killed after @delay seconds (< 0: not killed); its run time. */
static double round_run(struct __test_metadata *_metadata, FIXTURE_DATA(kc) *self,
			const FIXTURE_VARIANT(kc) *variant, int round, double delay)
{
	double t0, t1;
	int status = 0, r;
	pid_t pid;

	r = prepare(self, variant);
	ASSERT_EQ(0, r) TH_LOG("round %d: prepare: %s", round, strerror(-r));
	t0 = now();
	pid = st_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(child(self, variant, 1000 + round * 64) ? 1 : 0);
	if (delay >= 0) {
		usleep((useconds_t)(delay * 1e6));
		kill(pid, SIGKILL);
	}
	r = reap(pid, &status);
	t1 = now();
	ASSERT_EQ(0, r) TH_LOG("round %d: child not gone %d s after SIGKILL", round, DEATH_SECS);
	if (WIFEXITED(status)) {
		ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("round %d: the call failed", round);
	} else {
		ASSERT_EQ(SIGKILL, WTERMSIG(status));
	}
	r = settle(self, variant);
	ASSERT_EQ(0, r) TH_LOG("round %d: space back: %s", round, strerror(-r));
	r = check(_metadata, self, variant, "after the kill");
	ASSERT_EQ(0, r) TH_LOG("round %d (kill after %.3f s)", round, delay);
	return t1 - t0;
}

ST_TEST_F_TIMEOUT(kc, killed_mid_call, 1200)
{
	double t;
	int round, r;

	/* Round 0, undisturbed: how long the call takes here. */
	t = round_run(_metadata, self, variant, 0, -1);
	TH_LOG("undisturbed call: %.3f s", t);
	for (round = 1; round <= ROUNDS; round++)
		round_run(_metadata, self, variant, round, t * round / (ROUNDS + 1));
	/* What the dead left: nothing that keeps the space from detaching. */
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	r = check(_metadata, self, variant, "after reattach");
	ASSERT_EQ(0, r);
	TH_LOG("%d durable atoms checked", self->log->n);
}

TEST_HARNESS_MAIN
