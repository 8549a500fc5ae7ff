// SPDX-License-Identifier: GPL-2.0
/*
 * Injected failures (the debug kernel's CONFIG_FAULT_INJECTION): the n-th
 * slab allocation, page allocation or block I/O submitted by the calling
 * thread fails, for n = 1, 2, ... until the call under test meets no n-th
 * fault site.  This is syzkaller's fail-nth walk: /proc/thread-self/fail-nth
 * with failslab and fail_page_alloc told not to skip sleeping allocations and
 * the drive's make-it-fail set; with their probability at 0 nothing else in
 * the guest fails.
 *
 * Every call fails with a clean errno (ENOMEM, EIO) or succeeds; a failed
 * call leaves nothing attached, reserved or marked bad, so the same call
 * then succeeds; an allocation failure is never reported as damage; no byte
 * read is wrong; what a sync reported durable survives reattach; and the
 * suite's kmemleak scan after rmmod finds nothing.  Skips on kernels
 * without fault injection.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

#define SHIFT		20		/* 1 MiB segments */
#define REGION_LEN	(48 * ST_MIB)
#define POOL		96		/* atoms of a reloaded space */
#define ALEN		(24 * ST_KIB + 321)
#define FI_DBG		"/sys/kernel/debug/"

/* ---- the knobs ---------------------------------------------------------------------- */

/* The drive's /sys/block/<name>/make-it-fail. */
static void fi_disk_knob(char *out, size_t n)
{
	const char *dev = st_dev(0), *base = strrchr(dev, '/');

	snprintf(out, n, "/sys/block/%s/make-it-fail", base ? base + 1 : dev);
}

/*
 * Arm or disarm the failure points for fail-nth only: probability 0 (no
 * random failures), no log lines, sleeping and order-0 allocations
 * included, user pages (highmem flag) excluded so that page faults of the
 * test itself do not fail, and the drive's requests eligible.
 */
static int fi_knobs(bool on)
{
	static const char *const knobs[][2] = {
		{ FI_DBG "failslab/probability", "0" },
		{ FI_DBG "failslab/verbose", "0" },
		{ FI_DBG "failslab/ignore-gfp-wait", "N" },
		{ FI_DBG "fail_page_alloc/probability", "0" },
		{ FI_DBG "fail_page_alloc/verbose", "0" },
		{ FI_DBG "fail_page_alloc/ignore-gfp-wait", "N" },
		{ FI_DBG "fail_page_alloc/ignore-gfp-highmem", "Y" },
		{ FI_DBG "fail_page_alloc/min-order", "0" },
		{ FI_DBG "fail_make_request/probability", "0" },
		{ FI_DBG "fail_make_request/verbose", "0" },
	};
	char disk[128];
	unsigned int i;
	int r;

	for (i = 0; on && i < ARRAY_SIZE(knobs); i++) {
		r = st_write_file(knobs[i][0], "%s", knobs[i][1]);
		if (r)
			return r;
	}
	if (!on) {
		st_write_file(FI_DBG "failslab/ignore-gfp-wait", "Y");
		st_write_file(FI_DBG "fail_page_alloc/ignore-gfp-wait", "Y");
	}
	fi_disk_knob(disk, sizeof(disk));
	return st_write_file(disk, "%d", on);
}

static int fi_nth_fd = -1;
static bool fi_armed;
static long fi_left;

/* Fail the @n-th fault site this thread reaches from now (0: none). */
static int fi_arm(unsigned int n)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%u", n);

	fi_armed = n != 0;
	return pwrite(fi_nth_fd, v, len, 0) == len ? 0 : -errno;
}

/*
 * Disarm; returns how many sites were still to come (0: the fault fired).
 * Called again before the next fi_arm() (an operation that disarmed itself
 * early), it returns what the first call found.
 */
static long fi_disarm(void)
{
	char v[16] = "";
	ssize_t n;

	if (!fi_armed)
		return fi_left;
	n = pread(fi_nth_fd, v, sizeof(v) - 1, 0);
	fi_arm(0);
	fi_left = n > 0 ? strtol(v, NULL, 10) : -1;
	return fi_left;
}

/*
 * The walk's next n: every site up to 48, then ever sparser, so that a
 * call with thousands of sites (a reload reads every segment table) costs
 * some 100 calls, not thousands.
 */
static unsigned int fi_next(unsigned int n)
{
	return n < 48 ? n + 1 : n + n / 12;
}

#define FI_LIMIT	20000	/* no call here has this many sites: the walk ends */

/* An errno an injected failure may surface as. */
static bool fi_clean(int r)
{
	return r == 0 || r == -ENOMEM || r == -EIO;
}

/* ---- the walk ----------------------------------------------------------------------- */

/*
 * One fail-nth walk over a call:
 *
 *	struct fi_walk w = { .what = "sync" };
 *
 *	while (fi_walk_next(&w)) {
 *		...what the call needs...
 *		r = FI_UNDER(&w, st_sync(fd));
 *		...assert what the call left, given r...
 *	}
 *	FI_WALK_END(&w);
 */
struct fi_walk {
	const char *what;
	unsigned int n;		/* the fault site of this step: 1, 2, ... (fi_next()) */
	unsigned int fired;	/* steps whose fault fired */
	long left;		/* sites still to come after this step's call (0: it fired) */
};

/* Account the step just done; the next n, or false once a call met no n-th site. */
static bool fi_walk_next(struct fi_walk *w)
{
	if (w->n) {
		w->fired += w->left == 0;
		if (w->left > 0)
			return false;
	}
	w->n = w->n ? fi_next(w->n) : 1;
	return w->n < FI_LIMIT;
}

/* @call with fault w->n armed; its result, asserted to be a clean errno. */
#define FI_UNDER(w, call) ({							\
	int __r;								\
	ASSERT_EQ(0, fi_arm((w)->n));						\
	__r = (call);								\
	(w)->left = fi_disarm();						\
	ASSERT_TRUE(fi_clean(__r))						\
		TH_LOG("n=%u: %s: %s", (w)->n, (w)->what, strerror(-__r));	\
	__r;									\
})

/* After the walk: it reached the end of the call, and some fault fired. */
#define FI_WALK_END(w) do {							\
	TH_LOG("%s: %u fault sites failed, walk ended at n=%u", (w)->what,	\
	       (w)->fired, (w)->n);						\
	ASSERT_LT(0, (w)->left) TH_LOG("walk did not reach the end of the call");	\
	ASSERT_LT(0U, (w)->fired);						\
} while (0)

/* ---- fixture ------------------------------------------------------------------------ */

enum fi_state { FI_PENDING, FI_MUST, FI_MAYBE };

FIXTURE(fi) {
	struct st_space sp;
	struct st_region r;
	struct st_atom a[512];
	enum fi_state st[512];
	int n;
	__u64 next_seed;
};

FIXTURE_SETUP(fi)
{
	int r;

	self->sp.fd = -1;
	self->sp.up = false;
	self->n = 0;
	self->next_seed = 1;
	ST_REQUIRE(SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_RELOAD | SCRATCH_F_VERIFY);
	if (access("/proc/thread-self/fail-nth", W_OK) || access(FI_DBG "failslab", F_OK) ||
	    access(FI_DBG "fail_page_alloc", F_OK) || access(FI_DBG "fail_make_request", F_OK))
		SKIP(return, "kernel without fault injection (fail-nth, failslab, fail_page_alloc, fail_make_request)");
	r = fi_knobs(true);
	ASSERT_EQ(0, r) TH_LOG("arming the fault knobs: %s", strerror(-r));
	fi_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fi_nth_fd);
	self->r = (struct st_region){ st_dev(0), 0, REGION_LEN };
	r = st_space_create(&self->sp, &self->r, 1, SHIFT);
	ASSERT_EQ(0, r) TH_LOG("format+attach: %s", strerror(-r));
}

FIXTURE_TEARDOWN(fi)
{
	if (fi_nth_fd >= 0) {
		fi_arm(0);
		close(fi_nth_fd);
		fi_nth_fd = -1;
	}
	fi_knobs(false);
	ST_TEARDOWN();
}

/* Put one more atom, no fault; it is PENDING until a sync. */
static int put_clean(FIXTURE_DATA(fi) *self, __u64 len)
{
	int i = self->n, r;

	if (i >= (int)ARRAY_SIZE(self->a))
		return -E2BIG;
	r = st_put_n(self->sp.fd, &self->a[i], self->next_seed++, len);
	if (!r) {
		self->st[i] = FI_PENDING;
		self->n++;
	}
	return r;
}

/* A sync's outcome: pending atoms become durable (0) or may be gone (error). */
static void synced(FIXTURE_DATA(fi) *self, int r)
{
	int i;

	for (i = 0; i < self->n; i++)
		if (self->st[i] == FI_PENDING)
			self->st[i] = r ? FI_MAYBE : FI_MUST;
}

/* Sync until a sync succeeds (the first one reports an earlier write error). */
static int sync_clean(FIXTURE_DATA(fi) *self)
{
	int r = st_sync(self->sp.fd), tries = 0;

	while (r == -EIO && tries++ < 3) {
		synced(self, r);
		r = st_sync(self->sp.fd);
	}
	synced(self, r);
	return r;
}

/*
 * Every durable atom exact; every other one exact or gone; none damaged.
 * With @reload: sync, detach and reattach first, so that the bytes come
 * from the drive and the index from its segment tables.
 */
static int check_all(FIXTURE_DATA(fi) *self, bool reload, int *gone)
{
	int i, r;

	*gone = 0;
	if (reload) {
		r = sync_clean(self);
		if (!r)
			r = st_space_down(&self->sp);
		if (!r)
			r = st_space_reload(&self->sp, &self->r, 1);
		if (r)
			return r;
	}
	for (i = 0; i < self->n; i++) {
		r = st_verify(self->sp.fd, &self->a[i]);
		if (r == -ENOENT && self->st[i] != FI_MUST) {
			(*gone)++;
			continue;
		}
		if (r) {
			char ids[33];

			fprintf(stderr, "# atom %d (%s, %s): %s\n", i,
				st_id_str(&self->a[i].id, ids),
				self->st[i] == FI_MUST ? "synced" : "not synced", strerror(-r));
			return r;
		}
	}
	return 0;
}

/* ---- attach ------------------------------------------------------------------------- */

static __u32 nr_spaces(void)
{
	__u32 ids[64], n = 0;

	return st_list(ids, 64, &n) ? ~0U : n;
}

/* FORMAT + ATTACH of the second drive: a space, or an error and no space. */
ST_TEST_F_TIMEOUT(fi, attach_format, 900)
{
	struct st_region r2 = { st_dev(1), 0, 16 * ST_MIB };
	struct fi_walk w = { .what = "attach" };
	__u32 before = nr_spaces(), id = 0;
	int r, fd;

	while (fi_walk_next(&w)) {
		r = FI_UNDER(&w, st_attach(&r2, 1, SHIFT, true, &id));
		if (r) {
			ASSERT_EQ(before, nr_spaces()) TH_LOG("n=%u: a failed attach left a space", w.n);
		} else {
			struct st_atom a;

			fd = st_open(id, -1);
			ASSERT_LE(0, fd) TH_LOG("n=%u: open: %s", w.n, strerror(-fd));
			ASSERT_EQ(0, st_put_n(fd, &a, w.n, ALEN));
			ASSERT_EQ(0, st_sync(fd));
			ASSERT_EQ(0, st_verify(fd, &a));
			st_close(fd);
			ASSERT_EQ(0, st_detach(id));
			st_untrack_space(id);
		}
	}
	FI_WALK_END(&w);
}

/* ATTACH of a formatted space (reload): all of it, or an error; never less. */
ST_TEST_F_TIMEOUT(fi, attach_reload, 900)
{
	struct fi_walk w = { .what = "reload" };
	__u32 before;
	int i, r, gone;

	for (i = 0; i < 24; i++)
		ASSERT_EQ(0, put_clean(self, ALEN + i * 4099));
	ASSERT_EQ(0, sync_clean(self));
	ASSERT_EQ(0, st_space_down(&self->sp));
	before = nr_spaces();
	while (fi_walk_next(&w)) {
		ASSERT_EQ(0, st_drop_caches());
		r = FI_UNDER(&w, st_attach(&self->r, 1, 0, false, &self->sp.id));
		if (r) {
			ASSERT_EQ(before, nr_spaces()) TH_LOG("n=%u: a failed reload left a space", w.n);
		} else {
			self->sp.up = true;
			self->sp.fd = st_open(self->sp.id, -1);
			ASSERT_LE(0, self->sp.fd);
			ASSERT_EQ(0, check_all(self, false, &gone)) TH_LOG("n=%u", w.n);
			ASSERT_EQ(0, gone);
			ASSERT_EQ(0, st_space_down(&self->sp));
		}
	}
	FI_WALK_END(&w);
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ(0, check_all(self, false, &gone));
	ASSERT_EQ(0, gone);
}

/* ---- the write path ----------------------------------------------------------------- */

/* RESERVE, pwrite, COMMIT under faults; then a clean SYNC. */
ST_TEST_F_TIMEOUT(fi, put, 900)
{
	struct fi_walk w = { .what = "put" };
	unsigned int failed = 0;
	int r, gone;

	while (fi_walk_next(&w)) {
		int i = self->n;

		ASSERT_LT(i, (int)ARRAY_SIZE(self->a));
		memset(&self->a[i], 0, sizeof(self->a[i]));
		self->a[i].len = ALEN + w.n;
		self->a[i].seed = st_seed(self->next_seed++);
		self->a[i].type = 3;
		r = FI_UNDER(&w, st_put_atom(self->sp.fd, &self->a[i]));
		if (r) {
			failed++;
			/* Nothing of it may be found. */
			if (self->a[i].id.lo || self->a[i].id.hi)
				ASSERT_EQ(-ENOENT, st_stat_status(self->sp.fd, &self->a[i].id));
		} else {
			self->st[self->n++] = FI_PENDING;
		}
		/* A failed write under the page cache surfaces here, once. */
		r = sync_clean(self);
		ASSERT_EQ(0, r) TH_LOG("n=%u: clean sync: %s", w.n, strerror(-r));
	}
	FI_WALK_END(&w);
	TH_LOG("%u puts failed", failed);
	ASSERT_EQ(0, check_all(self, false, &gone));
	ASSERT_EQ(0, check_all(self, true, &gone));
	TH_LOG("%d of %d atoms gone after write errors", gone, self->n);
}

/* SYNC under faults: an error keeps everything for the next sync. */
ST_TEST_F_TIMEOUT(fi, sync, 900)
{
	struct fi_walk w = { .what = "sync" };
	unsigned int errs = 0;
	int r, gone;

	while (fi_walk_next(&w)) {
		ASSERT_EQ(0, put_clean(self, ALEN));
		ASSERT_EQ(0, put_clean(self, 3 * ALEN));
		r = FI_UNDER(&w, st_sync(self->sp.fd));
		errs += r != 0;
		synced(self, r);
		r = sync_clean(self);
		ASSERT_EQ(0, r) TH_LOG("n=%u: clean sync: %s", w.n, strerror(-r));
	}
	FI_WALK_END(&w);
	TH_LOG("%u syncs failed", errs);
	ASSERT_EQ(0, check_all(self, true, &gone));
	TH_LOG("%d of %d atoms gone after write errors", gone, self->n);
}

/* ---- the read path: reloaded atoms, hashed on first use ----------------------------- */

/* A pool of synced atoms, reattached: unverified, not cached. */
static int pool_reload(FIXTURE_DATA(fi) *self)
{
	int i, r = 0, gone;

	for (i = self->n; i < POOL && !r; i++)
		r = put_clean(self, ALEN + i * 997);
	if (!r)
		r = check_all(self, true, &gone);
	if (!r && gone)
		r = -ENOENT;
	if (!r)
		r = st_space_down(&self->sp);
	if (!r)
		r = st_space_reload(&self->sp, &self->r, 1);
	return r ? r : st_drop_caches();
}

/*
 * Walk @op over the pool: @op(self, atom) under fault n; a success uses up
 * the atom (it is verified now), a failure leaves it for the next n.  The
 * pool may run out before the walk ends; some fault must have fired.
 */
static void pool_walk(struct __test_metadata *_metadata, FIXTURE_DATA(fi) *self,
		      const char *what, int (*op)(FIXTURE_DATA(fi) *self, int i))
{
	struct fi_walk w = { .what = what };
	int i = 0, r;

	while (fi_walk_next(&w) && i < self->n) {
		ASSERT_EQ(0, st_drop_caches());
		r = FI_UNDER(&w, op(self, i));
		/* Whatever failed, the atom is intact: a clean call proves it. */
		if (r) {
			r = op(self, i);
			ASSERT_EQ(0, r) TH_LOG("n=%u: %s of atom %d after a failure: %s", w.n, what,
					       i, strerror(-r));
		}
		i++;
	}
	TH_LOG("%s: %u fault sites failed, walk ended at n=%u", what, w.fired, w.n);
	if (w.left <= 0 && i >= self->n)
		TH_LOG("%s: pool used up before the walk ended", what);
	ASSERT_LT(0U, w.fired);
}

static int op_verify(FIXTURE_DATA(fi) *self, int i)
{
	return st_verify_id(self->sp.fd, &self->a[i].id, SCRATCH_VERIFY_RECHECK);
}

static int op_read(FIXTURE_DATA(fi) *self, int i)
{
	return st_verify(self->sp.fd, &self->a[i]);
}

static int op_map(FIXTURE_DATA(fi) *self, int i)
{
	const struct st_atom *a = &self->a[i];
	size_t len = ST_ROUND_UP(a->len, ST_PAGE);
	unsigned char *p = mmap(NULL, len, PROT_READ, MAP_SHARED, self->sp.fd, a->off);
	long bad;

	if (p == MAP_FAILED)
		return -errno;
	/* Faults are not under fail-nth's control: the bytes are checked clean. */
	fi_disarm();
	bad = st_check(p, a->len, a->seed, 0);
	munmap(p, len);
	return bad >= 0 ? -EBADMSG : 0;
}

/*
 * The pool reattached, @op walked over it under faults, then every atom
 * intact and none gone (checked after another reattach with @reload).
 */
static void pool_test(struct __test_metadata *_metadata, FIXTURE_DATA(fi) *self,
		      const char *what, int (*op)(FIXTURE_DATA(fi) *self, int i), bool reload)
{
	int gone;

	ASSERT_EQ(0, pool_reload(self));
	pool_walk(_metadata, self, what, op);
	ASSERT_EQ(0, check_all(self, reload, &gone));
	ASSERT_EQ(0, gone);
}

ST_TEST_F_TIMEOUT(fi, verify, 900)
{
	pool_test(_metadata, self, "verify", op_verify, false);
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "bad"));
}

ST_TEST_F_TIMEOUT(fi, read, 900)
{
	pool_test(_metadata, self, "read", op_read, true);
}

ST_TEST_F_TIMEOUT(fi, map, 900)
{
	pool_test(_metadata, self, "mmap", op_map, true);
}

/* SCRUB under faults: an error is an error, never a bad atom. */
ST_TEST_F_TIMEOUT(fi, scrub, 900)
{
	struct scratch_id ids[8];
	struct scratch_scrub sc;
	struct st_scrub_sum sum;
	struct fi_walk w = { .what = "scrub" };
	unsigned int errs = 0;
	int r, gone;

	ASSERT_EQ(0, pool_reload(self));
	while (fi_walk_next(&w)) {
		ASSERT_EQ(0, st_drop_caches());
		memset(&sc, 0, sizeof(sc));
		sc.size = sizeof(sc);
		sc.flags = SCRATCH_SCRUB_RECHECK;
		sc.max_bytes = 4 * ST_MIB;
		sc.bad_ids_addr = (uintptr_t)ids;
		sc.bad_ids_cap = ARRAY_SIZE(ids);
		r = FI_UNDER(&w, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &sc));
		if (!r) {
			ASSERT_EQ(0U, sc.nr_bad) TH_LOG("n=%u: scrub called an atom bad", w.n);
			errs += sc.errors != 0;
		} else {
			errs++;
		}
	}
	FI_WALK_END(&w);
	TH_LOG("%u scrubs saw errors", errs);
	ASSERT_EQ(0, st_scrub_all(self->sp.fd, SCRATCH_SCRUB_RECHECK, 0, 8, &sum));
	ASSERT_EQ(0ULL, sum.nr_bad);
	ASSERT_EQ(0ULL, sum.errors);
	ASSERT_EQ(0, check_all(self, true, &gone));
	ASSERT_EQ(0, gone);
}

TEST_HARNESS_MAIN
