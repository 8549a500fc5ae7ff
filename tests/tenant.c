// SPDX-License-Identifier: GPL-2.0
/*
 * Tenants: an fd sees only its tenant's atoms (another tenant's atom is
 * ENOENT for STAT, read, mmap and PRESENT, exactly like a missing one), the
 * tenant is set at most once and only before any I/O, and it defaults to 0.
 * On a broker space (sysfs broker_tenants) only CAP_SYS_ADMIN binds tenants:
 * a worker uses the bound fd it is handed and cannot pick another tenant.
 */
#include "kselftest_harness.h"
#include "scratch_test.h"

ST_SPACE_FIXTURE(tn, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_TENANT, 20,
		 { st_dev(0), 0, 64 * ST_MIB })

/*
 * Everything @fd could do to find @a: each must behave as for an atom that
 * never existed.  0 if so, else the step that leaked.
 */
static int invisible(int fd, const struct st_atom *a)
{
	unsigned char buf[64];
	struct scratch_stat st;
	__u8 res = 0xee;
	void *p;

	if (st_stat(fd, &a->id, &st) != -ENOENT)
		return 1;
	errno = 0;
	if (pread(fd, buf, sizeof(buf), a->off) != -1 || errno != ENOENT)
		return 2;
	if (st_has(SCRATCH_F_PRESENT) &&
	    (st_present(fd, &a->id, 1, &res) != 0 || res != 0))
		return 3;
	if (st_has(SCRATCH_F_MMAP)) {
		errno = 0;
		p = mmap(NULL, ST_PAGE, PROT_READ, MAP_SHARED, fd, a->off);
		if (p != MAP_FAILED) {
			munmap(p, ST_PAGE);
			return 4;
		}
		if (errno != ENOENT)
			return 5;
	}
	return 0;
}

ST_TEST_F(tn, isolation)
{
	int t1 = st_open(self->sp.id, 1), t1b = st_open(self->sp.id, 1);
	int t2 = st_open(self->sp.id, 2), t0 = st_open(self->sp.id, -1);
	struct scratch_id ids[2];
	struct st_atom a1, a2;
	__u8 res[2];

	ASSERT_LE(0, t1);
	ASSERT_LE(0, t1b);
	ASSERT_LE(0, t2);
	ASSERT_LE(0, t0);
	ASSERT_EQ(0, st_put_n(t1, &a1, 1, 10000));
	ASSERT_EQ(0, st_put_n(t2, &a2, 2, 10000));

	/* Same tenant, other fd: visible. */
	ASSERT_EQ(0, st_verify(t1b, &a1));
	ASSERT_EQ(0, st_verify(t2, &a2));
	/* Other tenants, including the default 0: as if missing. */
	ASSERT_EQ(0, invisible(t2, &a1));
	ASSERT_EQ(0, invisible(t0, &a1));
	ASSERT_EQ(0, invisible(t1, &a2));
	ASSERT_EQ(0, invisible(self->sp.fd, &a2));

	/* A mixed batch reports only the caller's own. */
	if (st_has(SCRATCH_F_PRESENT)) {
		ids[0] = a1.id;
		ids[1] = a2.id;
		ASSERT_EQ(1, st_present(t1, ids, 2, res));
		ASSERT_EQ(1, res[0]);
		ASSERT_EQ(0, res[1]);
		ASSERT_EQ(1, st_present(t2, ids, 2, res));
		ASSERT_EQ(0, res[0]);
		ASSERT_EQ(1, res[1]);
	}
	/* And the atoms are still whole for their owners. */
	ASSERT_EQ(0, st_verify(t1, &a1));
	ASSERT_EQ(0, st_verify(t2, &a2));
}

/* The no-leak rule: another tenant's atom and a missing one look the same. */
ST_TEST_F(tn, same_as_missing)
{
	int t1 = st_open(self->sp.id, 1), t2 = st_open(self->sp.id, 2);
	struct st_atom a, gone;

	ASSERT_LE(0, t1);
	ASSERT_LE(0, t2);
	ASSERT_EQ(0, st_put_n(t1, &a, 1, 3 * ST_PAGE));
	/* A tenant-2 atom that existed at the very same kind of place, then aborted. */
	memset(&gone, 0, sizeof(gone));
	ASSERT_EQ(0, st_reserve(t2, 3 * ST_PAGE, 0, &gone.id, &gone.off));
	ASSERT_EQ(0, st_abort(t2, &gone.id));
	ASSERT_EQ(0, invisible(t2, &a));
	ASSERT_EQ(0, invisible(t2, &gone));
}

/* A reservation belongs to its fd (and tenant): no cross-tenant commit or write. */
ST_TEST_F(tn, reservations_private)
{
	int t1 = st_open(self->sp.id, 1), t2 = st_open(self->sp.id, 2);
	unsigned char page[ST_PAGE];
	struct st_atom a = { .len = ST_PAGE, .seed = st_seed(9), .type = 3 };

	ASSERT_LE(0, t1);
	ASSERT_LE(0, t2);
	st_fill(page, sizeof(page), a.seed, 0);
	a.xxh = XXH64(page, sizeof(page), 0);
	ASSERT_EQ(0, st_reserve(t1, ST_PAGE, 0, &a.id, &a.off));
	errno = 0;
	ASSERT_EQ(-1, pwrite(t2, page, sizeof(page), a.off));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, st_write(t1, page, sizeof(page), a.off));
	ASSERT_EQ(-ENOENT, st_commit(t2, &a.id, a.len, a.xxh, a.type, 0));
	ASSERT_EQ(-ENOENT, st_abort(t2, &a.id));
	ASSERT_EQ(0, st_commit(t1, &a.id, a.len, a.xxh, a.type, 0));
	ASSERT_EQ(0, st_verify(t1, &a));
	ASSERT_EQ(0, invisible(t2, &a));
}

ST_TEST_F(tn, set_once)
{
	int fd = st_open(self->sp.id, -1);
	struct st_atom a;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, st_set_tenant(fd, 7));
	ASSERT_EQ(-EPERM, st_set_tenant(fd, 8));
	ASSERT_EQ(-EPERM, st_set_tenant(fd, 7));
	ASSERT_EQ(-EPERM, st_set_tenant(fd, 0));
	/* Still tenant 7: what it writes, tenant 0 cannot see. */
	ASSERT_EQ(0, st_put_n(fd, &a, 1, 5000));
	ASSERT_EQ(0, invisible(self->sp.fd, &a));
	ASSERT_EQ(0, st_verify(fd, &a));
}

/* Any atom I/O first, and the fd is bound to tenant 0 for good. */
ST_TEST_F(tn, set_after_io)
{
	struct st_atom a;
	unsigned char buf[64];
	struct scratch_stat st;
	struct scratch_id id;
	__u8 res;
	void *p;
	__u64 off;
	int fd;

	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 8192));
	ASSERT_EQ(-EPERM, st_set_tenant(self->sp.fd, 1)) TH_LOG("after put");

	fd = st_open(self->sp.id, -1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, st_stat(fd, &a.id, &st));
	ASSERT_EQ(-EPERM, st_set_tenant(fd, 1)) TH_LOG("after STAT");

	fd = st_open(self->sp.id, -1);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(buf), pread(fd, buf, sizeof(buf), a.off));
	ASSERT_EQ(-EPERM, st_set_tenant(fd, 1)) TH_LOG("after pread");

	fd = st_open(self->sp.id, -1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, st_reserve(fd, 100, 0, &id, &off));
	ASSERT_EQ(0, st_abort(fd, &id));
	ASSERT_EQ(-EPERM, st_set_tenant(fd, 1)) TH_LOG("after RESERVE");

	if (st_has(SCRATCH_F_PRESENT)) {
		fd = st_open(self->sp.id, -1);
		ASSERT_LE(0, fd);
		ASSERT_EQ(1, st_present(fd, &a.id, 1, &res));
		ASSERT_EQ(-EPERM, st_set_tenant(fd, 1)) TH_LOG("after PRESENT");
	}
	if (st_has(SCRATCH_F_MMAP)) {
		fd = st_open(self->sp.id, -1);
		ASSERT_LE(0, fd);
		p = st_mmap(fd, a.len, PROT_READ, MAP_SHARED, a.off);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, st_munmap(p, a.len));
		ASSERT_EQ(-EPERM, st_set_tenant(fd, 1)) TH_LOG("after mmap");
	}
	/* Non-atom ioctls do not bind: INFO, then SET_TENANT is still allowed. */
	fd = st_open(self->sp.id, -1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, st_info(fd, &(struct scratch_info){ 0 }));
	ASSERT_EQ(0, st_set_tenant(fd, 1));
	ASSERT_EQ(0, invisible(fd, &a));
}

/* No SET_TENANT is tenant 0; tenant 0 set explicitly is the same tenant. */
ST_TEST_F(tn, default_zero)
{
	int z = st_open(self->sp.id, 0), one = st_open(self->sp.id, 1);
	int max = st_open(self->sp.id, 0xffffffffL);
	struct st_atom a, b;

	ASSERT_LE(0, z);
	ASSERT_LE(0, one);
	ASSERT_LE(0, max);
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 4097));
	ASSERT_EQ(0, st_verify(z, &a));
	ASSERT_EQ(0, invisible(one, &a));
	ASSERT_EQ(0, invisible(max, &a));
	ASSERT_EQ(0, st_put_n(max, &b, 2, 100));
	ASSERT_EQ(0, st_verify(max, &b));
	ASSERT_EQ(0, invisible(z, &b));
	ASSERT_EQ(0, invisible(self->sp.fd, &b));
}

/* The tenant is part of the stored atom: it survives detach and reattach. */
ST_TEST_F(tn, survives_reload)
{
	struct st_region r = { st_dev(0), 0, 64 * ST_MIB };
	struct st_atom a;
	int t1 = st_open(self->sp.id, 1), t2;

	ST_REQUIRE(SCRATCH_F_RELOAD);
	ASSERT_LE(0, t1);
	ASSERT_EQ(0, st_put_n(t1, &a, 1, 30000));
	ASSERT_EQ(0, st_close(t1));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_reload(&self->sp, &r, 1));
	t1 = st_open(self->sp.id, 1);
	t2 = st_open(self->sp.id, 2);
	ASSERT_LE(0, t1);
	ASSERT_LE(0, t2);
	ASSERT_EQ(0, st_verify(t1, &a));
	ASSERT_EQ(0, invisible(t2, &a));
	ASSERT_EQ(0, invisible(self->sp.fd, &a));
}

static int set_broker(__u32 id, int on)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/class/scratch/scratch%u/broker_tenants", id);
	return st_write_file(path, "%d", !!on);
}

/* What a worker without CAP_SYS_ADMIN can do on a broker space: exit code 0 if all as expected. */
static int worker(__u32 space_id, int fd5, const struct st_atom *a)
{
	struct scratch_stat stt;
	struct scratch_id id;
	unsigned char b[16];
	char path[64];
	__u64 off;
	int fd;

	if (st_drop_sys_admin())
		return 10;
	/* Its own open: no tenant, nothing works, and it cannot pick one. */
	snprintf(path, sizeof(path), "/dev/scratch%u", space_id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 11;
	if (st_set_tenant(fd, 5) != -EPERM)
		return 12;
	errno = 0;
	if (pread(fd, b, sizeof(b), a->off) != -1 || errno != EPERM)
		return 13;
	if (st_stat(fd, &a->id, &stt) != -EPERM)
		return 14;
	if (st_reserve(fd, 100, 0, &id, &off) != -EPERM)
		return 15;
	if (mmap(NULL, ST_PAGE, PROT_READ, MAP_SHARED, fd, a->off) != MAP_FAILED || errno != EPERM)
		return 16;
	/* The broker's fd: tenant 5, for good. */
	if (st_verify(fd5, a))
		return 17;
	if (st_set_tenant(fd5, 6) != -EPERM)
		return 18;
	close(fd);
	return 0;
}

ST_TEST_F(tn, broker_binds_tenants)
{
	struct st_atom a;
	int fd5, st;
	pid_t pid;

	ASSERT_EQ(0, set_broker(self->sp.id, 1));
	/* The broker (root here) binds an fd to tenant 5 and hands it over (here: fork). */
	fd5 = st_open(self->sp.id, 5);
	ASSERT_LE(0, fd5);
	ASSERT_EQ(0, st_put_n(fd5, &a, 1, 5000));
	pid = st_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(worker(self->sp.id, fd5, &a));
	ASSERT_EQ(pid, st_waitpid(pid, &st));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("worker status %#x", st);
	ASSERT_EQ(0, set_broker(self->sp.id, 0));
	/* Self-service again: an unprivileged opener picks its tenant. */
	pid = st_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (st_drop_sys_admin())
			_exit(10);
		fd = st_open(self->sp.id, 5);
		_exit(fd >= 0 && !st_verify(fd, &a) ? 0 : 11);
	}
	ASSERT_EQ(pid, st_waitpid(pid, &st));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
}

TEST_HARNESS_MAIN
