// SPDX-License-Identifier: GPL-2.0
/*
 * I/O errors under a live space, with dm-flakey between the space and its
 * drive: SYNC reports a write error to every fd once; atoms not yet durable
 * are dropped and never served, cached or read back from a drive that does
 * not hold them; reservations in flight fail their commit; mappings of
 * dropped atoms fault; read errors are errors, not bytes; writes the drive
 * dropped while reporting success are caught the first time an atom is read
 * back from the drive (EBADMSG); what was synced before stays exact, also
 * after reattach.
 */
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "scratch_test.h"
#include "crash/dm.h"

#define FL_NAME		"scflaky"
#define FL_DEV		"/dev/mapper/" FL_NAME
#define FL_BYTES	(256 * ST_MIB)
#define NA		8
#define ALEN		(40 * ST_KIB + 123)

enum fl_mode { FL_UP, FL_ERROR_WRITES, FL_ERROR_ALL, FL_DROP_WRITES };

/* Switch the flakey device: every I/O passes, writes fail, or everything fails. */
static int flakey(enum fl_mode mode)
{
	static const char *const how[] = {
		[FL_UP] = "1 0",
		[FL_ERROR_WRITES] = "0 1 1 error_writes",
		[FL_ERROR_ALL] = "0 1",
		[FL_DROP_WRITES] = "0 1 1 drop_writes",
	};
	char line[256], *lines[1] = { line };

	snprintf(line, sizeof(line), "0 %llu flakey %s 0 %s",
		 (unsigned long long)(FL_BYTES / 512), st_dev(0), how[mode]);
	return dm_reload(FL_NAME, lines, 1);
}

FIXTURE(we) {
	struct st_space sp;
	struct st_region r;
	bool dm;
};

FIXTURE_SETUP(we)
{
	char line[256], *lines[1] = { line };
	int r;

	self->dm = false;
	self->sp.fd = -1;
	self->sp.up = false;
	ST_REQUIRE(SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_RELOAD);
	if (system(". /guest/lib.sh && sc_dm_load >/dev/null 2>&1"))
		SKIP(return, "device-mapper modules not available");
	dm_remove(FL_NAME);
	snprintf(line, sizeof(line), "0 %llu flakey %s 0 1 0",
		 (unsigned long long)(FL_BYTES / 512), st_dev(0));
	r = dm_create(FL_NAME, lines, 1);
	ASSERT_EQ(0, r) TH_LOG("dm-flakey: %s", strerror(-r));
	self->dm = true;
	self->r = (struct st_region){ FL_DEV, 0, 0 };
	r = st_space_create(&self->sp, &self->r, 1, 20);
	ASSERT_EQ(0, r) TH_LOG("format+attach on %s: %s", FL_DEV, strerror(-r));
}

FIXTURE_TEARDOWN(we)
{
	if (self->dm)
		flakey(FL_UP);
	ST_TEARDOWN();
	if (self->dm)
		dm_remove(FL_NAME);
}

static int put_all(int fd, struct st_atom *a, int n, __u64 first)
{
	int i, r;

	for (i = 0; i < n; i++) {
		r = st_put_n(fd, &a[i], first + i, ALEN + i * 4096);
		if (r)
			return r;
	}
	return 0;
}

/* The child touches @p after dropping its page-table entries: its exit status. */
static int touch_in_child(volatile unsigned char *p, size_t len)
{
	int status;
	pid_t pid = st_fork();

	if (pid == 0) {
		madvise((void *)p, len, MADV_DONTNEED);
		(void)p[0];
		_exit(0);
	}
	if (pid < 0 || st_waitpid(pid, &status) != pid)
		return -1;
	return status;
}

/* Member 0's read and write error counts (sysfs members); -1 each if unreadable. */
static void member_errors(__u32 space, long long *rd, long long *wr)
{
	char path[96];
	FILE *f;

	*rd = *wr = -1;
	snprintf(path, sizeof(path), "/sys/class/scratch/scratch%u/members", space);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%*u %*s %*u:%*u %*u %*u %lld %lld", rd, wr) != 2)
		*rd = *wr = -1;
	fclose(f);
}

ST_TEST_F_TIMEOUT(we, write_error_drops_unsynced, 300)
{
	long long rd, wr;
	struct st_atom a[NA], b[NA], c[NA];
	unsigned char page[ST_PAGE];
	struct scratch_id rid;
	unsigned char *p;
	__u64 roff;
	int fd2, i, st;

	ASSERT_EQ(0, put_all(self->sp.fd, a, NA, 0));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	fd2 = st_open(self->sp.id, -1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, put_all(self->sp.fd, b, NA, 100));
	ASSERT_EQ(0, st_reserve(self->sp.fd, 2 * ST_PAGE, 0, &rid, &roff));
	st_fill(page, sizeof(page), st_seed(7), 0);
	ASSERT_EQ(0, st_write(self->sp.fd, page, ST_PAGE, roff));
	ASSERT_EQ(0, st_write(self->sp.fd, page, ST_PAGE, roff + ST_PAGE));
	p = st_mmap(self->sp.fd, b[0].len, PROT_READ, MAP_SHARED, b[0].off);
	ASSERT_NE(MAP_FAILED, p);

	ASSERT_EQ(0, flakey(FL_ERROR_WRITES));
	ASSERT_EQ(-EIO, st_sync(self->sp.fd));
	for (i = 0; i < NA; i++) {
		EXPECT_EQ(-ENOENT, st_verify(self->sp.fd, &b[i])) TH_LOG("unsynced atom %d", i);
		EXPECT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("synced atom %d", i);
	}
	/* Its pages were written before the error: the commit cannot vouch for them. */
	EXPECT_EQ(-EIO, st_commit(self->sp.fd, &rid, 2 * ST_PAGE, 0, 1, 0));
	/* A mapping of a dropped atom faults rather than read the drive. */
	st = touch_in_child(p, b[0].len);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS) TH_LOG("child status %#x", st);
	ASSERT_EQ(0, st_munmap(p, b[0].len));
	EXPECT_LT(0ULL, st_counter(self->sp.id, "write_errors"));
	/* The member that failed counts it. */
	member_errors(self->sp.id, &rd, &wr);
	EXPECT_EQ(0, rd);
	EXPECT_LT(0, wr);

	ASSERT_EQ(0, flakey(FL_UP));
	/* Every fd hears of the error once, as fsync(2) reports writeback errors. */
	EXPECT_EQ(-EIO, st_sync(fd2));
	EXPECT_EQ(0, st_sync(fd2));
	EXPECT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_close(fd2));
	ASSERT_EQ(0, put_all(self->sp.fd, c, NA, 200));
	ASSERT_EQ(0, st_sync(self->sp.fd));

	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	EXPECT_EQ((__u64)(2 * NA), st_counter(self->sp.id, "atoms"));
	for (i = 0; i < NA; i++) {
		EXPECT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom a%d after reattach", i);
		EXPECT_EQ(-ENOENT, st_verify(self->sp.fd, &b[i])) TH_LOG("atom b%d", i);
		EXPECT_EQ(0, st_verify(self->sp.fd, &c[i])) TH_LOG("atom c%d", i);
	}
}

/*
 * No SYNC at all: the kernel's own writeback fails, the clean pages are
 * dropped, and the drive holds other bytes where the atoms were written.  A
 * read must not return them: the atoms are missing.
 */
ST_TEST_F_TIMEOUT(we, failed_writeback_never_read_back, 300)
{
	struct st_atom b[NA];
	int i;

	ASSERT_EQ(0, put_all(self->sp.fd, b, NA, 300));
	ASSERT_EQ(0, flakey(FL_ERROR_WRITES));
	/* sync(2) writes the device's page cache back (and fails), then drops it. */
	ASSERT_EQ(0, st_drop_caches());
	for (i = 0; i < NA; i++)
		EXPECT_EQ(-ENOENT, st_verify(self->sp.fd, &b[i])) TH_LOG("atom %d", i);
	ASSERT_EQ(0, flakey(FL_UP));
	EXPECT_EQ(-EIO, st_sync(self->sp.fd));
	EXPECT_EQ(0, st_sync(self->sp.fd));
}

/* Read errors are errors: never zeros or stale bytes, and the atom is intact after. */
ST_TEST_F_TIMEOUT(we, read_error_is_eio, 300)
{
	long long rd, wr;
	unsigned char *buf = malloc(ALEN);
	struct st_atom a[NA];
	int i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, put_all(self->sp.fd, a, NA, 400));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, flakey(FL_ERROR_ALL));
	for (i = 0; i < NA; i++) {
		ssize_t n = pread(self->sp.fd, buf, ALEN, a[i].off);

		EXPECT_EQ(-1, n) TH_LOG("atom %d: read %zd bytes from a failing drive", i, n);
		EXPECT_EQ(EIO, errno);
	}
	/* The member counts its read errors: one at least for each failed read. */
	member_errors(self->sp.id, &rd, &wr);
	EXPECT_LE(NA, rd);
	EXPECT_EQ(0, wr);
	ASSERT_EQ(0, flakey(FL_UP));
	for (i = 0; i < NA; i++)
		EXPECT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
	free(buf);
}

/*
 * @a read whole from @fd with pread (O_DIRECT when @direct): 0 exact, 1 wrong
 * bytes, or the read's -errno.
 */
static int read_whole(int fd, const struct st_atom *a, bool direct)
{
	size_t cap = ST_ROUND_UP(a->len, ST_PAGE);
	unsigned char *buf;
	ssize_t n;
	int dfd = fd, r;

	if (posix_memalign((void **)&buf, ST_PAGE, cap))
		return -ENOMEM;
	if (direct) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		dfd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (dfd < 0) {
			free(buf);
			return -errno;
		}
	}
	n = pread(dfd, buf, cap, a->off);
	if (n < 0)
		r = -errno;
	else
		r = (__u64)n != a->len || st_check(buf, a->len, a->seed, 0) >= 0;
	if (direct)
		close(dfd);
	free(buf);
	return r;
}

static int put_big(int fd, struct st_atom *a, int n, __u64 first)
{
	int i, r;

	for (i = 0; i < n; i++) {
		r = st_put_n(fd, &a[i], first + i, 600 * ST_KIB + i * 4096 + 7);
		if (r)
			return r;
	}
	return 0;
}

/*
 * A drive that drops writes and reports success: SYNC cannot know.  Atoms
 * written since attach are served from the page cache as written; the first
 * read that needs their bytes from the drive (a cold read, a mapping of
 * uncached pages, O_DIRECT) hashes the drive's copy first, once: what the
 * drive lost is EBADMSG, never the bytes it holds instead.  The atoms are
 * 600 KiB, more than a neighbour's readahead brings in (docs/design.md:
 * pages read ahead from the drive look like the writer's).
 */
ST_TEST_F_TIMEOUT(we, dropped_writes_caught_on_first_cold_read, 300)
{
	struct st_atom a[NA], b[NA], c;
	__u64 v0;
	void *p;
	int i;

	ASSERT_EQ(0, put_big(self->sp.fd, a, NA, 500));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	/* Warm reads of fresh atoms cost no hash; the first cold one does, once. */
	v0 = st_counter(self->sp.id, "verified");
	for (i = 0; i < NA; i++)
		ASSERT_EQ(0, read_whole(self->sp.fd, &a[i], false));
	ASSERT_EQ(v0, st_counter(self->sp.id, "verified"));
	ASSERT_EQ(0, st_drop_caches());
	for (i = 0; i < NA; i++)
		ASSERT_EQ(0, read_whole(self->sp.fd, &a[i], false)) TH_LOG("atom a%d", i);
	/*
	 * Each hashed at least once (a page a neighbour's readahead had just
	 * brought in may survive the drop before the hash and keep the atom
	 * fresh, for another check later); warm reads again cost nothing.
	 */
	v0 = st_counter(self->sp.id, "verified") - v0;
	ASSERT_LE((__u64)NA, v0);
	v0 = st_counter(self->sp.id, "verified");
	for (i = 0; i < NA; i++)
		ASSERT_EQ(0, read_whole(self->sp.fd, &a[i], false)) TH_LOG("atom a%d", i);
	ASSERT_EQ(v0, st_counter(self->sp.id, "verified"));

	/* The drive now loses every write, and says it did them. */
	ASSERT_EQ(0, flakey(FL_DROP_WRITES));
	ASSERT_EQ(0, put_big(self->sp.fd, b, NA, 600));
	ASSERT_EQ(0, put_big(self->sp.fd, &c, 1, 700));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	/* Cached: the writer's bytes, except for O_DIRECT, which reads the drive. */
	EXPECT_EQ(0, read_whole(self->sp.fd, &b[0], false));
	EXPECT_EQ(-EBADMSG, read_whole(self->sp.fd, &c, true));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, flakey(FL_UP));
	p = mmap(NULL, b[0].len, PROT_READ, MAP_SHARED, self->sp.fd, b[0].off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EBADMSG, errno);
	if (p != MAP_FAILED)
		munmap(p, b[0].len);
	for (i = 1; i < NA; i++)
		EXPECT_EQ(-EBADMSG, read_whole(self->sp.fd, &b[i], false)) TH_LOG("atom b%d", i);
	for (i = 0; i < NA; i++)
		EXPECT_EQ(0, read_whole(self->sp.fd, &a[i], false)) TH_LOG("atom a%d", i);

	/* Their records were lost too: after reattach they are missing or bad. */
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	for (i = 0; i < NA; i++) {
		int r = read_whole(self->sp.fd, &b[i], false);

		EXPECT_TRUE(r == -ENOENT || r == -EBADMSG) TH_LOG("atom b%d: %d", i, r);
		EXPECT_EQ(0, read_whole(self->sp.fd, &a[i], false)) TH_LOG("atom a%d", i);
	}
}

TEST_HARNESS_MAIN
