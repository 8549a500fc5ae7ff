// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy verification of reloaded atoms: a damaged payload is EBADMSG for
 * read, mmap, io_uring, STAT and VERIFY (never wrong bytes), good atoms are
 * exact and become verified on first use, non-blocking reads of unverified
 * atoms are EAGAIN, racing readers hash an atom once, scrub walks the space
 * and drops bad atoms for good, arrays are verified whole, a reader going
 * through atoms in order has the next one checked ahead, and scratchctl's
 * scrub and fsck report the same damage.
 */
#include <stdarg.h>
#include <stddef.h>
#include <sys/uio.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

/* 4 MiB segments: room for atoms of a few MiB; 15 segments in 64 MiB. */
#define SHIFT		22
#define REGION_LEN	(64 * ST_MIB)
#define SCRATCHCTL	"/bin/scratchctl"

FIXTURE(ver) {
	struct st_space sp;
	struct st_region r;
};

FIXTURE_SETUP(ver)
{
	self->r = (struct st_region){ st_dev(0), 0, REGION_LEN };
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_RELOAD |
		       SCRATCH_F_VERIFY, SHIFT, { st_dev(0), 0, REGION_LEN });
}

FIXTURE_TEARDOWN(ver)
{
	ST_TEARDOWN();
}

static __u64 counter(FIXTURE_DATA(ver) *self, const char *name)
{
	return st_counter(self->sp.id, name);
}

/* Sync, detach, flip one byte at @pos of each atom in @bad, reattach. */
static int damage_and_reload(FIXTURE_DATA(ver) *self, const struct st_atom *const *bad,
			     int nbad, __u64 pos)
{
	int i, r = st_sync(self->sp.fd);

	if (!r)
		r = st_space_down(&self->sp);
	for (i = 0; i < nbad && !r; i++)
		r = st_flip(self->r.path, st_dev_pos(&self->r, bad[i]->off) +
			    ST_MIN(pos, bad[i]->len - 1));
	if (!r)
		r = st_space_reload(&self->sp, &self->r, 1);
	return r;
}

/* One pread of @len at @off into a scratch buffer: its result, or -errno. */
static long read_at(int fd, __u64 off, size_t len, int flags)
{
	static unsigned char buf[256 * 1024];
	struct iovec iov = { buf, ST_MIN(len, sizeof(buf)) };
	ssize_t n = preadv2(fd, &iov, 1, (off_t)off, flags);

	return n < 0 ? -errno : n;
}

ST_TEST_F(ver, lazy_read_and_mmap)
{
	static const __u64 lens[] = { 1, 5000, 65539, 3000000, 200000, 123457 };
	enum { N = ARRAY_SIZE(lens), BAD = 3 };
	const struct st_atom *bad[1];
	struct st_atom a[N];
	struct scratch_stat st;
	struct scratch_id ids[N];
	__u8 res[N];
	unsigned char *p;
	int i;

	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, lens[i]));
		ids[i] = a[i].id;
		/* Committed this boot: trusted, verified at once. */
		ASSERT_EQ((int)SCRATCH_STAT_VERIFIED, st_stat_status(self->sp.fd, &a[i].id));
	}
	bad[0] = &a[BAD];
	ASSERT_EQ(0, damage_and_reload(self, bad, 1, 2500000));
	ASSERT_EQ((__u64)N, counter(self, "unverified"));
	ASSERT_EQ(0ULL, counter(self, "verified"));
	ASSERT_EQ(0ULL, counter(self, "bad"));

	/* STAT and PRESENT do no I/O: everything is there, nothing verified. */
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, st_stat_status(self->sp.fd, &a[i].id)) TH_LOG("atom %d", i);
	ASSERT_EQ(N, st_present(self->sp.fd, ids, N, res));

	/* A non-blocking read would have to hash the atom first: EAGAIN. */
	ASSERT_EQ(-EAGAIN, read_at(self->sp.fd, a[1].off, a[1].len, RWF_NOWAIT));
	ASSERT_EQ(0, st_check_range(self->sp.fd, &a[1], 0, a[1].len));
	ASSERT_EQ((int)SCRATCH_STAT_VERIFIED, st_stat_status(self->sp.fd, &a[1].id));
	ASSERT_EQ((long)a[1].len, read_at(self->sp.fd, a[1].off, a[1].len, RWF_NOWAIT));
	ASSERT_EQ(1ULL, counter(self, "verified"));
	ASSERT_EQ((__u64)N - 1, counter(self, "unverified"));

	/* The damaged atom: EBADMSG from its first byte and from the middle. */
	ASSERT_EQ(-EBADMSG, read_at(self->sp.fd, a[BAD].off, 4096, 0));
	ASSERT_EQ(-EBADMSG, read_at(self->sp.fd, a[BAD].off + 8192, 100, 0));
	ASSERT_EQ(-EBADMSG, read_at(self->sp.fd, a[BAD].off, 4096, RWF_NOWAIT));
	ASSERT_EQ(-EBADMSG, st_stat(self->sp.fd, &a[BAD].id, &st));
	ASSERT_EQ(-EBADMSG, st_verify_id(self->sp.fd, &a[BAD].id, 0));
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, a[BAD].len, PROT_READ, MAP_SHARED, self->sp.fd,
				   (off_t)a[BAD].off));
	ASSERT_EQ(EBADMSG, errno);
	/* Damaged is not missing: present until scrub drops it. */
	ASSERT_EQ(N, st_present(self->sp.fd, ids, N, res));
	ASSERT_EQ(1ULL, counter(self, "bad"));

	/* An unverified atom is hashed before it is mapped. */
	p = st_mmap(self->sp.fd, a[4].len, PROT_READ, MAP_SHARED, a[4].off);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(-1, st_check(p, a[4].len, a[4].seed, 0));
	ASSERT_EQ(0, st_munmap(p, a[4].len));
	ASSERT_EQ((int)SCRATCH_STAT_VERIFIED, st_stat_status(self->sp.fd, &a[4].id));

	/* The others, exact; then nothing is left unverified. */
	for (i = 0; i < N; i++)
		if (i != BAD)
			ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
	ASSERT_EQ(0ULL, counter(self, "unverified"));
	ASSERT_EQ((__u64)N - 1, counter(self, "verified"));
	ASSERT_EQ(1ULL, counter(self, "bad"));
	/* Until scrub drops it, it still counts as stored. */
	ASSERT_EQ((__u64)N, counter(self, "atoms"));
}

ST_TEST_F(ver, verify_ioctl)
{
	enum { N = 4 };
	struct st_atom a[N];
	const struct st_atom *bad[1] = { &a[2] };
	struct scratch_verify v;
	struct scratch_id id;
	__u8 res;
	int fd2, i;

	for (i = 0; i < N; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 40000 + 1000 * i));
	/* This boot's atoms: nothing to do, and a recheck hashes them fine. */
	ASSERT_EQ(0, st_verify_id(self->sp.fd, &a[0].id, 0));
	ASSERT_EQ(0, st_verify_id(self->sp.fd, &a[0].id, SCRATCH_VERIFY_RECHECK));

	ASSERT_EQ(0, damage_and_reload(self, bad, 1, 777));
	ASSERT_EQ(0, st_verify_id(self->sp.fd, &a[1].id, 0));
	ASSERT_EQ((int)SCRATCH_STAT_VERIFIED, st_stat_status(self->sp.fd, &a[1].id));
	ASSERT_EQ(0, st_stat_status(self->sp.fd, &a[3].id));
	ASSERT_EQ(-EBADMSG, st_verify_id(self->sp.fd, &a[2].id, 0));
	ASSERT_EQ(-EBADMSG, st_verify_id(self->sp.fd, &a[2].id, SCRATCH_VERIFY_RECHECK));
	ASSERT_EQ(0, st_verify_id(self->sp.fd, &a[1].id, SCRATCH_VERIFY_RECHECK));
	ASSERT_EQ(1ULL, counter(self, "bad"));

	/* Missing ids, and another tenant's atoms good or bad: ENOENT alike. */
	id = st_id_make(st_id_seg(&a[1].id), st_id_gen(&a[1].id) + 1, st_id_slot(&a[1].id), 0);
	ASSERT_EQ(-ENOENT, st_verify_id(self->sp.fd, &id, 0));
	id = st_id_make(st_id_seg(&a[1].id), st_id_gen(&a[1].id), 1000, 0);
	ASSERT_EQ(-ENOENT, st_verify_id(self->sp.fd, &id, 0));
	id = st_id_make(0xfffffff, 1, 0, 0);
	ASSERT_EQ(-ENOENT, st_verify_id(self->sp.fd, &id, 0));
	id = st_part_id(&a[1].id, 0);
	ASSERT_EQ(-ENOENT, st_verify_id(self->sp.fd, &id, 0)) TH_LOG("part of a plain atom");
	fd2 = st_open(self->sp.id, 9);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(-ENOENT, st_verify_id(fd2, &a[1].id, 0));
	ASSERT_EQ(-ENOENT, st_verify_id(fd2, &a[2].id, 0));
	ASSERT_EQ(-ENOENT, st_verify_id(fd2, &a[3].id, 0));
	ASSERT_EQ(0, st_present(fd2, &a[1].id, 1, &res));
	ASSERT_EQ(0, st_close(fd2));
	ASSERT_EQ(0, st_stat_status(self->sp.fd, &a[3].id)) TH_LOG("touched by another tenant");

	/* Malformed requests. */
	v = (struct scratch_verify){ .size = sizeof(v), .flags = 2, .id = a[3].id };
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_VERIFY, &v));
	v = (struct scratch_verify){ .size = sizeof(v), .id = a[3].id, .reserved = { 0, 1 } };
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_VERIFY, &v));
	v = (struct scratch_verify){ .size = 4, .id = a[3].id };
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_VERIFY, &v));
	ASSERT_EQ(-EFAULT, st_ioctl(self->sp.fd, SCRATCH_IOC_VERIFY, NULL));
	ASSERT_EQ(0, st_stat_status(self->sp.fd, &a[3].id));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a[3]));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a[0]));
}

/* The atoms of a scrub test: lengths 20..~180 KB, several 4 MiB segments. */
#define SCRUB_N		48
#define SCRUB_LEN(i)	(20000 + 37813ULL * (i) % 160000)

ST_TEST_F_TIMEOUT(ver, scrub_walk, 400)
{
	struct st_atom *a = calloc(SCRUB_N, sizeof(*a));
	const struct st_atom *bad[3];
	struct st_scrub_sum sum;
	struct scratch_stat st;
	struct scratch_id ids[SCRUB_N];
	__u8 res[SCRUB_N];
	__u64 total = 0;
	int i, j, found;

	ASSERT_NE(NULL, a);
	for (i = 0; i < SCRUB_N; i++) {
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, SCRUB_LEN(i)));
		ids[i] = a[i].id;
		total += a[i].len;
	}
	bad[0] = &a[3];
	bad[1] = &a[SCRUB_N / 2];
	bad[2] = &a[SCRUB_N - 1];
	ASSERT_NE(st_id_seg(&bad[0]->id), st_id_seg(&bad[2]->id));
	ASSERT_EQ(0, damage_and_reload(self, bad, 3, 12345));

	/* Small steps (about two atoms a call) and one bad id per call. */
	ASSERT_EQ(0, st_scrub_all(self->sp.fd, 0, 200000, 1, &sum));
	ASSERT_EQ((__u64)SCRUB_N, sum.checked);
	ASSERT_EQ(total, sum.bytes);
	ASSERT_EQ(3ULL, sum.nr_bad);
	ASSERT_EQ(0ULL, sum.errors);
	ASSERT_LT(10ULL, sum.calls) TH_LOG("max_bytes did not bound the calls");
	for (j = 0; j < 3; j++) {
		for (found = 0, i = 0; i < 3; i++)
			found += st_id_eq(&sum.bad[i], &bad[j]->id);
		ASSERT_EQ(1, found) TH_LOG("bad atom %d reported %d times", j, found);
	}
	/* Dropped: missing everywhere, and no longer stored. */
	for (j = 0; j < 3; j++) {
		ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &bad[j]->id, &st));
		ASSERT_EQ(-ENOENT, read_at(self->sp.fd, bad[j]->off, 100, 0));
		ASSERT_EQ(-ENOENT, st_verify_id(self->sp.fd, &bad[j]->id, 0));
	}
	ASSERT_EQ(SCRUB_N - 3, st_present(self->sp.fd, ids, SCRUB_N, res));
	ASSERT_EQ((__u64)SCRUB_N - 3, counter(self, "atoms"));
	ASSERT_EQ(0ULL, counter(self, "unverified"));
	ASSERT_EQ((__u64)SCRUB_N - 3, counter(self, "verified"));
	ASSERT_EQ(3ULL, counter(self, "bad"));

	/* Nothing left to check; a recheck hashes every atom again. */
	ASSERT_EQ(0, st_scrub_all(self->sp.fd, 0, 0, 64, &sum));
	ASSERT_EQ(0ULL, sum.checked);
	ASSERT_EQ(1ULL, sum.calls);
	ASSERT_EQ(0, st_scrub_all(self->sp.fd, SCRATCH_SCRUB_RECHECK, 1, 0, &sum));
	ASSERT_EQ((__u64)SCRUB_N - 3, sum.checked);
	/* max_bytes 1: one atom a call, and maybe a last call that finds the end. */
	ASSERT_LE((__u64)SCRUB_N - 3, sum.calls);
	ASSERT_GE((__u64)SCRUB_N - 2, sum.calls);
	ASSERT_EQ(0ULL, sum.nr_bad);

	/* The drop survives a reattach (the detach syncs the tables). */
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ((__u64)SCRUB_N - 3, counter(self, "unverified"));
	for (i = 0; i < SCRUB_N; i++) {
		if (&a[i] == bad[0] || &a[i] == bad[1] || &a[i] == bad[2]) {
			ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &a[i].id, &st)) TH_LOG("atom %d", i);
		} else {
			ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
		}
	}
	ASSERT_EQ(0ULL, counter(self, "bad"));
	free(a);
}

ST_TEST_F(ver, scrub_input)
{
	struct st_atom a[2];
	const struct st_atom *bad[1] = { &a[1] };
	struct scratch_scrub sc;
	struct scratch_id id;
	void *hole;
	int status;
	pid_t pid;

	ASSERT_EQ(0, st_put_n(self->sp.fd, &a[0], 0, 10000));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a[1], 1, 10000));
	ASSERT_EQ(0, damage_and_reload(self, bad, 1, 5));

	sc = (struct scratch_scrub){ .size = sizeof(sc), .flags = 1U << 7 };
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &sc));
	sc = (struct scratch_scrub){ .size = sizeof(sc), .reserved = { 0, 0, 0, 1 } };
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &sc));
	sc = (struct scratch_scrub){ .size = 8 };
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &sc));
	ASSERT_EQ(-EFAULT, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, NULL));
	/* Cursors at or past the end: done at once, nothing checked. */
	sc = (struct scratch_scrub){ .size = sizeof(sc), .cursor = SCRATCH_SCRUB_END };
	ASSERT_EQ(0, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &sc));
	ASSERT_EQ(SCRATCH_SCRUB_END, sc.cursor);
	ASSERT_EQ(0ULL, sc.checked);
	sc = (struct scratch_scrub){ .size = sizeof(sc), .cursor = 5000ULL << 32 | 7 };
	ASSERT_EQ(0, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &sc));
	ASSERT_EQ(SCRATCH_SCRUB_END, sc.cursor);
	ASSERT_EQ(0ULL, sc.checked);
	ASSERT_EQ(0, st_stat_status(self->sp.fd, &a[0].id)) TH_LOG("checked by a no-op scrub");

	/* Nowhere to put the bad id: EFAULT, and the atom is not dropped unreported. */
	hole = mmap(NULL, ST_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	sc = (struct scratch_scrub){
		.size = sizeof(sc), .bad_ids_addr = (uintptr_t)hole, .bad_ids_cap = 4,
	};
	ASSERT_EQ(-EFAULT, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &sc));
	munmap(hole, ST_PAGE);
	ASSERT_EQ(-EBADMSG, st_verify_id(self->sp.fd, &a[1].id, 0));

	/* Every tenant's atoms and ids: CAP_SYS_ADMIN only (VERIFY is per tenant). */
	pid = st_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct scratch_scrub c = { .size = sizeof(c) };

		if (st_drop_sys_admin())
			_exit(50);
		if (st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &c) != -EPERM)
			_exit(10);
		if (st_verify_id(self->sp.fd, &a[0].id, 0) != 0)
			_exit(11);
		_exit(0);
	}
	ASSERT_EQ(pid, st_waitpid(pid, &status));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d", WEXITSTATUS(status));

	/* A part id names nothing in a plain atom; the space is otherwise fine. */
	id = st_part_id(&a[0].id, 0);
	ASSERT_EQ(-ENOENT, st_verify_id(self->sp.fd, &id, 0));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a[0]));
}

/* ---- arrays ------------------------------------------------------------------------------ */

/* Arrays of @n parts of @lens, put whole (type 5): NULL on any failure. */
static struct st_array *put_array(int fd, __u32 n, const __u64 *lens, __u64 seedbase)
{
	struct st_array *A = st_array_build(n, lens, seedbase);

	if (A && st_array_put(fd, A, A->table_xxh, 5)) {
		st_array_free(A);
		A = NULL;
	}
	return A;
}

/* Part @i read through its own STAT and pread: 0, -errno, or -EBADMSG for wrong bytes. */
static int read_part(int fd, const struct st_array *A, __u32 i)
{
	static unsigned char buf[256 * 1024];
	struct scratch_id pid = st_part_id(&A->id, i);
	struct scratch_stat st;
	int r = st_stat(fd, &pid, &st);

	if (r)
		return r;
	if (st.offset != A->at + A->off[i] || st.stored_len != A->len[i] ||
	    st.stored_len > sizeof(buf))
		return -EBADMSG;
	r = st_pread_full(fd, buf, st.stored_len, st.offset);
	if (r)
		return r;
	return st_check(buf, st.stored_len, A->seed[i], 0) < 0 ? 0 : -EBADMSG;
}

ST_TEST_F(ver, arrays)
{
	static const __u64 lens[] = { 5000, 70000, 12288, 1 };
	struct st_array *A, *B, *C;
	struct scratch_id pid;
	__u32 i;

	A = put_array(self->sp.fd, 4, lens, 100);
	ASSERT_NE(NULL, A);
	B = put_array(self->sp.fd, 3, lens, 200);
	ASSERT_NE(NULL, B);
	C = put_array(self->sp.fd, 4, lens, 300);
	ASSERT_NE(NULL, C);
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_space_down(&self->sp));
	/* A: a byte of part 1.  B: the xxh64 of part 2 in its table. */
	ASSERT_EQ(0, st_flip(self->r.path, st_dev_pos(&self->r, A->at + A->off[1] + 60000)));
	ASSERT_EQ(0, st_flip(self->r.path, st_dev_pos(&self->r, B->at) +
			     2 * sizeof(struct scratch_disk_part) +
			     offsetof(struct scratch_disk_part, xxh64)));
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));

	/* An array is verified whole: a good part of a bad array is EBADMSG too. */
	ASSERT_EQ(-EBADMSG, read_part(self->sp.fd, A, 0));
	ASSERT_EQ(-EBADMSG, read_part(self->sp.fd, A, 1));
	pid = st_part_id(&A->id, 3);
	ASSERT_EQ(-EBADMSG, st_verify_id(self->sp.fd, &pid, 0));
	ASSERT_EQ(-EBADMSG, read_part(self->sp.fd, B, 0));
	pid = st_part_id(&B->id, 2);
	ASSERT_EQ(-EBADMSG, st_stat_status(self->sp.fd, &pid));

	/* C: a part's read verifies the whole array; every part is exact. */
	pid = st_part_id(&C->id, 2);
	ASSERT_EQ(0, st_stat_status(self->sp.fd, &pid));
	ASSERT_EQ(0, read_part(self->sp.fd, C, 2));
	ASSERT_EQ((int)SCRATCH_STAT_VERIFIED, st_stat_status(self->sp.fd, &C->id));
	ASSERT_EQ((int)SCRATCH_STAT_VERIFIED, st_stat_status(self->sp.fd, &pid));
	for (i = 0; i < C->n; i++)
		ASSERT_EQ(0, read_part(self->sp.fd, C, i)) TH_LOG("part %u", i);
	ASSERT_EQ(1ULL, counter(self, "verified"));
	ASSERT_EQ(2ULL, counter(self, "bad"));
	st_array_free(A);
	st_array_free(B);
	st_array_free(C);
}

/* ---- racing first readers ----------------------------------------------------------------- */

struct racer {
	int fd;
	const struct st_atom *a;
	bool use_mmap;
	int result;
};

static void *race(void *arg)
{
	struct racer *rc = arg;
	unsigned char *p;

	if (!rc->use_mmap) {
		rc->result = st_check_range(rc->fd, rc->a, 0, rc->a->len);
		return NULL;
	}
	p = mmap(NULL, rc->a->len, PROT_READ, MAP_SHARED, rc->fd, (off_t)rc->a->off);
	if (p == MAP_FAILED) {
		rc->result = -errno;
		return NULL;
	}
	rc->result = st_check(p, rc->a->len, rc->a->seed, 0) < 0 ? 0 : -EBADMSG;
	munmap(p, rc->a->len);
	return NULL;
}

ST_TEST_F_TIMEOUT(ver, racing_first_readers, 400)
{
	enum { T = 8 };
	struct st_atom a[2];
	const struct st_atom *none[1] = { NULL };
	struct racer rc[T];
	struct st_scrub_sum sum;
	pthread_t th[T];
	int i;

	ASSERT_EQ(0, st_put_n(self->sp.fd, &a[0], 0, 3 * ST_MIB + 12345));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a[1], 1, 2 * ST_MIB));
	ASSERT_EQ(0, damage_and_reload(self, none, 0, 0));
	ASSERT_EQ(0, st_drop_caches());
	for (i = 0; i < T; i++) {
		rc[i] = (struct racer){ .fd = self->sp.fd, .a = &a[i % 2], .use_mmap = i % 3 == 2 };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race, &rc[i]));
	}
	/* A scrub joins the race. */
	ASSERT_EQ(0, st_scrub_all(self->sp.fd, 0, 0, 0, &sum));
	for (i = 0; i < T; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		ASSERT_EQ(0, rc[i].result) TH_LOG("reader %d", i);
	}
	/* Each atom was hashed once, whoever came first; the rest waited for it. */
	ASSERT_EQ(2ULL, counter(self, "verified"));
	ASSERT_EQ(0ULL, counter(self, "unverified"));
	ASSERT_EQ(0ULL, sum.nr_bad);
	ASSERT_GE(2ULL, sum.checked);
}

/* STAT's status of @id once it is @want, polling for up to 20 s; the last status otherwise. */
static int wait_status(int fd, const struct scratch_id *id, int want)
{
	int i, r = st_stat_status(fd, id);

	for (i = 0; i < 400 && r != want; i++) {
		usleep(50000);
		r = st_stat_status(fd, id);
	}
	return r;
}

/*
 * Check-ahead: once reads needed the checks of two neighbouring atoms, the
 * next atom of the reader's tenant is hashed in the background (verified
 * without being read; the one after it is not), a read reaching it starts
 * the next, another tenant's atom is never checked for the reader, a
 * damaged atom checked ahead is EBADMSG for its reader, and a check ahead
 * in flight does not keep the space from detaching.
 */
ST_TEST_F_TIMEOUT(ver, check_ahead, 400)
{
	/* One 4 MiB segment, slots in write order; slot OTHER is tenant 7's. */
	enum { N = 8, LEN = 200000, OTHER = 4, BAD = 6 };
	const struct st_atom *bad[1];
	struct st_atom a[N];
	int i, fd7;

	fd7 = st_open(self->sp.id, 7);
	ASSERT_LE(0, fd7);
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, st_put_n(i == OTHER ? fd7 : self->sp.fd, &a[i], i, LEN));
	ASSERT_EQ(0, st_sync(fd7));
	ASSERT_EQ(0, st_close(fd7));
	bad[0] = &a[BAD];
	ASSERT_EQ(0, damage_and_reload(self, bad, 1, 1000));
	ASSERT_EQ(0, st_drop_caches());
	fd7 = st_open(self->sp.id, 7);
	ASSERT_LE(0, fd7);

	/* Reads of slots 0 and 1 needed their checks: slot 2's runs ahead, not slot 3's. */
	ASSERT_EQ(0, st_check_range(self->sp.fd, &a[0], 0, LEN));
	ASSERT_EQ(0, st_check_range(self->sp.fd, &a[1], 0, LEN));
	ASSERT_EQ((int)SCRATCH_STAT_VERIFIED, wait_status(self->sp.fd, &a[2].id,
							  SCRATCH_STAT_VERIFIED));
	ASSERT_EQ(0, st_stat_status(self->sp.fd, &a[3].id));
	ASSERT_EQ(3ULL, counter(self, "verified"));

	/* Reaching slot 2 starts slot 3's; reaching 3 does not start tenant 7's slot 4. */
	ASSERT_EQ(0, st_check_range(self->sp.fd, &a[2], 0, LEN));
	ASSERT_EQ((int)SCRATCH_STAT_VERIFIED, wait_status(self->sp.fd, &a[3].id,
							  SCRATCH_STAT_VERIFIED));
	ASSERT_EQ(0, st_check_range(self->sp.fd, &a[3], 0, LEN));
	usleep(500000);
	ASSERT_EQ(0, st_stat_status(fd7, &a[OTHER].id));
	ASSERT_EQ(4ULL, counter(self, "verified"));

	/* Tenant 7 reads slot 4, tenant 0 slot 5: slot 6 (damaged) is checked ahead. */
	ASSERT_EQ(0, st_check_range(fd7, &a[OTHER], 0, LEN));
	ASSERT_EQ(0, st_check_range(self->sp.fd, &a[5], 0, LEN));
	ASSERT_EQ(-EBADMSG, wait_status(self->sp.fd, &a[BAD].id, -EBADMSG));
	ASSERT_EQ(1ULL, counter(self, "bad"));
	ASSERT_EQ(-EBADMSG, read_at(self->sp.fd, a[BAD].off, LEN, 0));
	ASSERT_EQ(0, st_stat_status(self->sp.fd, &a[7].id));
	ASSERT_EQ(6ULL, counter(self, "verified"));
	ASSERT_EQ(1ULL, counter(self, "unverified"));
	ASSERT_EQ(0, st_close(fd7));

	/* Detach right after a check ahead was queued: it is cancelled or waited for. */
	ASSERT_EQ(0, damage_and_reload(self, bad, 0, 0));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, st_check_range(self->sp.fd, &a[0], 0, LEN));
	ASSERT_EQ(0, st_check_range(self->sp.fd, &a[1], 0, LEN));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ(0ULL, counter(self, "pinned_segments"));
	for (i = 0; i < N; i++)
		if (i != OTHER && i != BAD)
			ASSERT_EQ(0, st_check_range(self->sp.fd, &a[i], 0, LEN)) TH_LOG("atom %d", i);
}

/* ---- io_uring ------------------------------------------------------------------------------- */

/* One io_uring read of @len at @off: the cqe's result. */
ST_TEST_F(ver, io_uring_reads)
{
	struct st_atom a[3];
	const struct st_atom *bad[1] = { &a[1] };
	static unsigned char buf[512 * 1024] __attribute__((aligned(4096)));
	struct io_uring ring;
	int i, r;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 300000 + 1000 * i));
	ASSERT_EQ(0, damage_and_reload(self, bad, 1, 200000));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));

	/* Unverified and cold: the read goes to a worker, which hashes, then reads. */
	r = st_uring_read(&ring, self->sp.fd, buf, a[0].len, a[0].off);
	ASSERT_EQ((int)a[0].len, r) TH_LOG("%s", r < 0 ? strerror(-r) : "short");
	ASSERT_EQ(-1, st_check(buf, a[0].len, a[0].seed, 0));
	ASSERT_EQ(-EBADMSG, st_uring_read(&ring, self->sp.fd, buf, 4096, a[1].off));
	ASSERT_EQ(-EBADMSG, st_uring_read(&ring, self->sp.fd, buf, 4096, a[1].off + 8192));
	r = st_uring_read(&ring, self->sp.fd, buf, a[2].len, a[2].off);
	ASSERT_EQ((int)a[2].len, r);
	ASSERT_EQ(-1, st_check(buf, a[2].len, a[2].seed, 0));
	io_uring_queue_exit(&ring);
	ASSERT_EQ(2ULL, counter(self, "verified"));
	ASSERT_EQ(1ULL, counter(self, "bad"));
}

/* Eviction of reloaded segments keeps the unverified count exact. */
ST_TEST_F_TIMEOUT(ver, evict_unverified, 400)
{
	enum { N = 24 };
	struct st_atom a[N], more;
	const struct st_atom *none[1] = { NULL };
	struct scratch_id ids[N];
	__u8 res[N];
	int i, n, present;

	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 1500 * 1000));
		ids[i] = a[i].id;
	}
	ASSERT_EQ(0, damage_and_reload(self, none, 0, 0));
	ASSERT_EQ((__u64)N, counter(self, "unverified"));
	/* Write on until the oldest reloaded segments are gone. */
	for (n = 0; n < 100; n++) {
		ASSERT_EQ(0, st_put_n(self->sp.fd, &more, 1000 + n, 1500 * 1000));
		if (st_present(self->sp.fd, ids, N, res) <= N / 2)
			break;
	}
	present = st_present(self->sp.fd, ids, N, res);
	ASSERT_GT(N / 2 + 1, present) TH_LOG("nothing evicted");
	ASSERT_EQ((__u64)present, counter(self, "unverified"));
	for (i = 0; i < N; i++)
		if (res[i])
			ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
	ASSERT_EQ(0ULL, counter(self, "unverified"));
}

/* ---- scratchctl scrub and fsck, in the guest -------------------------------------------------- */

ST_TEST_F_TIMEOUT(ver, scratchctl_scrub_and_fsck, 400)
{
	static char out[16384];
	struct st_atom a[6];
	const struct st_atom *bad[1] = { &a[2] };
	char idtxt[33], dev[64];
	int i;

	if (access(SCRATCHCTL, X_OK))
		SKIP(return, "%s not installed in the guest", SCRATCHCTL);
	snprintf(dev, sizeof(dev), "%s --length %llu", self->r.path,
		 (unsigned long long)REGION_LEN);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, 100000 + 400000 * i));
	ASSERT_EQ(0, damage_and_reload(self, bad, 1, 99999));

	/* scrub: exit 1 with the bad id, which is then missing for good. */
	ASSERT_EQ(1, st_sh(out, sizeof(out), SCRATCHCTL " scrub %u --rate 0 --json", self->sp.id));
	ASSERT_NE(NULL, strstr(out, st_id_str(&a[2].id, idtxt))) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"bad\": 1")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"checked\": 6")) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), SCRATCHCTL " scrub %u --rate 0", self->sp.id));
	ASSERT_EQ(0, st_sh(out, sizeof(out), SCRATCHCTL " status %u --json", self->sp.id));
	ASSERT_NE(NULL, strstr(out, "\"unverified\": 0")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"bad\": 1")) TH_LOG("%s", out);

	/* fsck of the detached region: clean, payloads included. */
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_sh(out, sizeof(out), SCRATCHCTL " fsck %s --payload --json", dev));
	ASSERT_NE(NULL, strstr(out, "\"atoms\": 5")) TH_LOG("%s", out);
	/* A damaged payload: found with --payload only, and named by its id. */
	ASSERT_EQ(0, st_flip(self->r.path, st_dev_pos(&self->r, a[4].off) + 4321));
	ASSERT_EQ(0, st_sh(out, sizeof(out), SCRATCHCTL " fsck %s", dev));
	ASSERT_EQ(1, st_sh(out, sizeof(out), SCRATCHCTL " fsck %s --payload --json", dev));
	ASSERT_NE(NULL, strstr(out, st_id_str(&a[4].id, idtxt))) TH_LOG("%s", out);
	/* A damaged primary superblock is a problem, not a stop. */
	ASSERT_EQ(0, st_flip(self->r.path, self->r.offset + 40));
	ASSERT_EQ(1, st_sh(out, sizeof(out), SCRATCHCTL " fsck %s --json", dev));
	ASSERT_NE(NULL, strstr(out, "\"atoms\": 5")) TH_LOG("%s", out);
	ASSERT_EQ(0, st_flip(self->r.path, self->r.offset + 40));
	/* Attached regions are refused (their bytes are moving). */
	ASSERT_EQ(0, st_space_reload(&self->sp, &self->r, 1));
	ASSERT_EQ(2, st_sh(out, sizeof(out), SCRATCHCTL " fsck %s", dev));
	ASSERT_EQ(-EBADMSG, st_verify_id(self->sp.fd, &a[4].id, 0));
	for (i = 0; i < 6; i++)
		if (i != 2 && i != 4)
			ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
}

TEST_HARNESS_MAIN
