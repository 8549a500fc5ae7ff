// SPDX-License-Identifier: GPL-2.0
/*
 * Per-tenant accounting (sysfs "tenants"): atoms and stored bytes follow
 * commits and evictions exactly, bytes written and read follow the I/O of
 * each tenant's fds, pinned segments and reserved bytes follow maps and open
 * reservations; the tenants' numbers add up to the space's; a reattach
 * brings back what is stored (and starts the I/O counts again).
 */
#include "kselftest_harness.h"
#include "scratch_test.h"

#define ATOM		(200 * ST_KIB)	/* 50 pages: five fill a 1 MiB segment */
#define MAXT		8

struct tline {
	long tenant;	/* -1: "other" */
	__u64 atoms, stored, written, read, pinned, reserved;
};

FIXTURE(acct) {
	struct st_space sp;
	struct st_region r;
};

FIXTURE_SETUP(acct)
{
	self->r = (struct st_region){ st_dev(0), 0, 64 * ST_MIB };
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_MMAP, 20,
		       { st_dev(0), 0, 64 * ST_MIB });
}

FIXTURE_TEARDOWN(acct)
{
	ST_TEARDOWN();
}

/* The lines of sysfs "tenants" into @t; how many, or -errno. */
static int tenants(__u32 id, struct tline *t, int cap)
{
	char path[96], buf[8192], who[16], *line, *next;
	int fd, n = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/class/scratch/scratch%u/tenants", id);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = 0;
	for (line = buf; *line && n < cap; line = next) {
		struct tline *x = &t[n];
		unsigned long long v[6];

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (sscanf(line, "%15s %llu %llu %llu %llu %llu %llu", who, &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5]) != 7)
			return -EIO;
		x->tenant = strcmp(who, "other") ? strtol(who, NULL, 10) : -1;
		x->atoms = v[0];
		x->stored = v[1];
		x->written = v[2];
		x->read = v[3];
		x->pinned = v[4];
		x->reserved = v[5];
		n++;
	}
	return n;
}

static const struct tline *find(const struct tline *t, int n, long tenant)
{
	int i;

	for (i = 0; i < n; i++)
		if (t[i].tenant == tenant)
			return &t[i];
	return NULL;
}

ST_TEST_F(acct, follows_io_pins_and_reservations)
{
	struct st_atom a[6], b[3];
	struct tline t[MAXT];
	const struct tline *ta, *tb;
	struct scratch_id rid;
	int fa = st_open(self->sp.id, 11), fb = st_open(self->sp.id, 12), n, i;
	char *buf = malloc(ATOM);
	__u64 roff, sa = 0, wa = 0;
	void *p;

	ASSERT_TRUE(fa >= 0 && fb >= 0 && buf);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, st_put_n(fa, &a[i], 100 + i, ATOM - i * 1000));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, st_put_n(fb, &b[i], 200 + i, 5000));
	/* Reads: tenant 12 reads one atom whole, twice. */
	ASSERT_EQ(0, st_pread_full(fb, buf, 5000, b[0].off));
	ASSERT_EQ(0, st_pread_full(fb, buf, 5000, b[0].off));
	/* A mapping pins a segment; an open reservation reserves its bytes. */
	p = st_mmap(fa, ATOM, PROT_READ, MAP_SHARED, a[0].off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, st_reserve(fb, 3 * ST_PAGE, 0, &rid, &roff));

	n = tenants(self->sp.id, t, MAXT);
	ASSERT_EQ(2, n);
	ta = find(t, n, 11);
	tb = find(t, n, 12);
	ASSERT_TRUE(ta && tb);
	ASSERT_EQ(6ULL, ta->atoms);
	ASSERT_EQ(3ULL, tb->atoms);
	ASSERT_EQ(0ULL, ta->read);
	ASSERT_EQ(10000ULL, tb->read);
	ASSERT_EQ(1ULL, ta->pinned);
	ASSERT_EQ(0ULL, ta->reserved);
	ASSERT_EQ(1ULL, tb->pinned);
	ASSERT_EQ(3 * ST_PAGE, tb->reserved);
	/* Stored bytes are page-rounded stored lengths; written is what the writes carried. */
	for (i = 0; i < 6; i++) {
		sa += ST_ROUND_UP(a[i].len, ST_PAGE);
		wa += a[i].len;
	}
	ASSERT_EQ(sa, ta->stored);
	ASSERT_EQ(wa, ta->written);
	ASSERT_EQ(3 * ST_PAGE * 2, tb->stored);
	ASSERT_EQ(3ULL * 5000, tb->written);
	/* The tenants add up to the space. */
	ASSERT_EQ(st_counter(self->sp.id, "atoms"), ta->atoms + tb->atoms);
	ASSERT_EQ(st_counter(self->sp.id, "used"), ta->stored + tb->stored);
	ASSERT_EQ(st_counter(self->sp.id, "bytes_written"), ta->written + tb->written);
	ASSERT_EQ(st_counter(self->sp.id, "bytes_read"), ta->read + tb->read);

	ASSERT_EQ(0, st_munmap(p, ATOM));
	ASSERT_EQ(0, st_abort(fb, &rid));
	n = tenants(self->sp.id, t, MAXT);
	ASSERT_EQ(0ULL, find(t, n, 11)->pinned);
	ASSERT_EQ(0ULL, find(t, n, 12)->pinned);
	ASSERT_EQ(0ULL, find(t, n, 12)->reserved);
	close(fa);
	close(fb);
	free(buf);
}

/*
 * Tenant 21's atoms are all evicted by tenant 22's writes: its atoms and
 * stored bytes go to 0 (its write count stays); a reattach reloads 22's.
 */
ST_TEST_F_TIMEOUT(acct, eviction_and_reload, 600)
{
	struct st_atom a;
	struct tline t[MAXT];
	const struct tline *x;
	int f1 = st_open(self->sp.id, 21), f2 = st_open(self->sp.id, 22), n, i;
	__u64 atoms22, stored22;

	ASSERT_TRUE(f1 >= 0 && f2 >= 0);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, st_put_n(f1, &a, 300 + i, ATOM));
	/* Twice the space: the first writer's segments are long gone. */
	for (i = 0; i < 63 * 5 * 2; i++)
		ASSERT_EQ(0, st_put_n(f2, &a, 1000 + i, ATOM));
	n = tenants(self->sp.id, t, MAXT);
	x = find(t, n, 21);
	ASSERT_TRUE(x != NULL);
	EXPECT_EQ(0ULL, x->atoms);
	EXPECT_EQ(0ULL, x->stored);
	EXPECT_EQ(10ULL * ATOM, x->written);
	x = find(t, n, 22);
	ASSERT_TRUE(x != NULL);
	ASSERT_EQ(st_counter(self->sp.id, "atoms"), x->atoms);
	ASSERT_EQ(st_counter(self->sp.id, "used"), x->stored);
	ASSERT_EQ(x->atoms * ATOM, x->stored);
	close(f1);
	close(f2);

	ASSERT_EQ(0, st_sync(self->sp.fd));
	atoms22 = x->atoms;
	stored22 = x->stored;
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	n = tenants(self->sp.id, t, MAXT);
	ASSERT_EQ(1, n);
	x = find(t, n, 22);
	ASSERT_TRUE(x != NULL);
	ASSERT_EQ(atoms22, x->atoms);
	ASSERT_EQ(stored22, x->stored);
	ASSERT_EQ(0ULL, x->written);
	ASSERT_EQ(0ULL, x->read);
}

TEST_HARNESS_MAIN
