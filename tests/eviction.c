// SPDX-License-Identifier: GPL-2.0
/*
 * FIFO eviction in a small space (63 segments of 1 MiB): oldest atoms go,
 * newest stay byte-exact, stale ids are ENOENT everywhere, pinned segments
 * (mapped or reserved) are never evicted and ENOSPC comes instead of a
 * deadlock, evicted pages leave the page cache, and one tenant's pins cannot
 * take the whole space from the others (EDQUOT past its limits).
 */
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

/* 50 pages: five atoms fill a 254-page segment, a sixth never fits. */
#define ATOM		(200 * ST_KIB)
#define PER_SEG		5

FIXTURE(ev) {
	struct st_space sp;
	__u64 cap;	/* capacity in bytes */
	__u64 nseg;
};

FIXTURE_SETUP(ev)
{
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ, 20,
		       { st_dev(0), 0, 64 * ST_MIB });
	self->cap = st_counter(self->sp.id, "capacity");
	self->nseg = st_counter(self->sp.id, "nr_segments");
	if (self->nseg != 63 || self->cap != 63 * st_payload_bytes(20))
		st_cleanup();	/* no teardown after a failed setup */
	ASSERT_EQ(63ULL, self->nseg);
	ASSERT_EQ(63 * st_payload_bytes(20), self->cap);
}

FIXTURE_TEARDOWN(ev)
{
	ST_TEARDOWN();
}

/* Write @n more atoms of ATOM bytes, numbered from @first; keep them in @a if given. */
static int fill(FIXTURE_DATA(ev) *self, struct st_atom *a, __u64 first, __u64 n)
{
	struct st_atom tmp;
	__u64 i;
	int r;

	for (i = 0; i < n; i++) {
		r = st_put_n(self->sp.fd, a ? &a[i] : &tmp, first + i, ATOM);
		if (r) {
			fprintf(stderr, "# put of atom %llu failed: %s\n",
				(unsigned long long)(first + i), strerror(-r));
			return r;
		}
	}
	return 0;
}

/* Set a per-tenant limit of the space (sysfs): 0 lifts it. */
static int set_limit(__u32 id, const char *name, __u64 v)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/scratch/scratch%u/%s", id, name);
	return st_write_file(path, "%llu", (unsigned long long)v);
}

/* Global pinning, with no per-tenant limit in the way. */
static int no_limits(__u32 id)
{
	return set_limit(id, "tenant_max_segments", 0) ?: set_limit(id, "tenant_max_reserved", 0);
}

/* The present atom whose pages cover space offset @off, or NULL. */
static const struct st_atom *covering(const struct st_atom *a, const bool *present, int n,
				      __u64 off)
{
	int i;

	for (i = 0; i < n; i++)
		if (present[i] && off >= a[i].off && off < a[i].off + ST_ROUND_UP(a[i].len, ST_PAGE))
			return &a[i];
	return NULL;
}

ST_TEST_F_TIMEOUT(ev, fifo, 400)
{
	int n = 4 * self->cap / ATOM, i, c = 0, reused = 0, newest;
	struct st_atom *a = calloc(n, sizeof(*a));
	struct scratch_id *ids = calloc(n, sizeof(*ids));
	bool *present = calloc(n, sizeof(*present));
	__u8 *res = calloc(n, 1);
	unsigned char buf[512];
	struct scratch_stat st;
	struct scratch_id v;
	__u64 evictions;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, ids);
	ASSERT_NE(NULL, present);
	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, fill(self, a, 0, n));

	for (i = 0; i < n; i++) {
		int r = st_stat(self->sp.fd, &a[i].id, &st);

		ASSERT_TRUE(r == 0 || r == -ENOENT) TH_LOG("STAT atom %d: %d", i, r);
		present[i] = r == 0;
		c += present[i];
		ids[i] = a[i].id;
	}
	if (st_has(SCRATCH_F_PRESENT)) {
		ASSERT_EQ(c, st_present(self->sp.fd, ids, n, res));
		for (i = 0; i < n; i++)
			ASSERT_EQ(present[i], res[i] == 1) TH_LOG("PRESENT vs STAT, atom %d", i);
	}

	/* Oldest gone, newest kept: 4x capacity was written, FIFO keeps <= 1x. */
	for (i = 0; i < n / 2; i++)
		ASSERT_FALSE(present[i]) TH_LOG("old atom %d survived", i);
	newest = (self->cap / 2) / ATOM;
	for (i = n - newest; i < n; i++)
		ASSERT_TRUE(present[i]) TH_LOG("new atom %d evicted", i);
	ASSERT_GE(self->cap, (__u64)c * ATOM);
	ASSERT_LE(self->cap / 2, (__u64)c * ATOM);

	evictions = st_counter(self->sp.id, "evictions");
	ASSERT_NE(UINT64_MAX, evictions);
	ASSERT_LE((__u64)(n - c + PER_SEG - 1) / PER_SEG, evictions);
	ASSERT_EQ((__u64)c, st_counter(self->sp.id, "atoms"));
	ASSERT_EQ((__u64)c * ATOM, st_counter(self->sp.id, "used"));

	/* Never wrong bytes: survivors exact; an evicted offset is ENOENT or a newer atom's. */
	for (i = 0; i < n; i++) {
		const struct st_atom *o;
		ssize_t r;

		if (present[i]) {
			ASSERT_EQ(0, st_verify(self->sp.fd, &a[i])) TH_LOG("atom %d", i);
			continue;
		}
		errno = 0;
		r = pread(self->sp.fd, buf, sizeof(buf), a[i].off);
		o = covering(a, present, n, a[i].off);
		if (!o) {
			ASSERT_EQ(-1, r) TH_LOG("evicted atom %d readable", i);
			ASSERT_EQ(ENOENT, errno);
		} else {
			__u64 pos = a[i].off - o->off;

			ASSERT_EQ((ssize_t)ST_MIN(sizeof(buf), o->len - pos), r);
			ASSERT_EQ(-1, st_check(buf, r, o->seed, pos));
		}
	}

	/* Stale ids of reused segments (same segment, older generation). */
	for (i = 0; i < n; i++) {
		int j;

		if (present[i])
			continue;
		for (j = n - c; j < n; j++) {
			if (present[j] && st_id_seg(&a[j].id) == st_id_seg(&a[i].id) &&
			    st_id_gen(&a[j].id) != st_id_gen(&a[i].id)) {
				reused++;
				break;
			}
		}
	}
	ASSERT_LT(0, reused);
	v = st_id_make(st_id_seg(&a[n - 1].id), st_id_gen(&a[n - 1].id) - 1,
		       st_id_slot(&a[n - 1].id), 0);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &v, &st));
	v = st_id_make(st_id_seg(&a[n - 1].id), st_id_gen(&a[n - 1].id) + 1,
		       st_id_slot(&a[n - 1].id), 0);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &v, &st));
	free(a);
	free(ids);
	free(present);
	free(res);
}

/* A mapped atom's segment is skipped by eviction until munmap. */
ST_TEST_F_TIMEOUT(ev, mapped_survives, 400)
{
	struct st_atom early[PER_SEG];
	struct scratch_stat st;
	unsigned char *p;
	int i;

	ST_REQUIRE(SCRATCH_F_MMAP);
	ASSERT_EQ(0, fill(self, early, 0, PER_SEG));
	p = st_mmap(self->sp.fd, ATOM, PROT_READ, MAP_SHARED, early[0].off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1ULL, st_counter(self->sp.id, "pinned_segments"));

	ASSERT_EQ(0, fill(self, NULL, 100, 2 * self->cap / ATOM));
	ASSERT_LT(0ULL, st_counter(self->sp.id, "evictions"));
	ASSERT_EQ(-1, st_check(p, ATOM, early[0].seed, 0));
	ASSERT_EQ(0, st_verify(self->sp.fd, &early[0]));
	/* Everything in the pinned segment survived with it. */
	for (i = 1; i < PER_SEG; i++)
		if (st_id_seg(&early[i].id) == st_id_seg(&early[0].id))
			ASSERT_EQ(0, st_verify(self->sp.fd, &early[i])) TH_LOG("atom %d", i);
	ASSERT_EQ(1ULL, st_counter(self->sp.id, "pinned_segments"));

	ASSERT_EQ(0, st_munmap(p, ATOM));
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "pinned_segments"));
	ASSERT_EQ(0, fill(self, NULL, 10000, 3 * self->cap / 2 / ATOM));
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &early[0].id, &st));
}

/* Open reservations pin: with every segment reserved, RESERVE is ENOSPC. */
ST_TEST_F(ev, reservations_pin_enospc)
{
	__u64 payload = st_payload_bytes(20);
	struct scratch_id ids[80], id;
	struct st_atom a;
	__u64 off;
	int k, r = 0, fd2 = st_open(self->sp.id, -1);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, no_limits(self->sp.id));
	/* Some committed data first, so that eviction has candidates at all. */
	ASSERT_EQ(0, fill(self, NULL, 0, self->cap / 2 / ATOM));
	for (k = 0; k < 80; k++) {
		r = st_reserve(fd2, payload, 0, &ids[k], &off);
		if (r)
			break;
	}
	ASSERT_EQ(-ENOSPC, r) TH_LOG("after %d whole-segment reservations", k);
	ASSERT_GE((int)self->nseg, k);
	ASSERT_LE((int)self->nseg / 2, k);
	/* Each whole-segment reservation holds its own segment. */
	ASSERT_EQ((__u64)k, st_counter(self->sp.id, "pinned_segments"));
	ASSERT_EQ(-ENOSPC, st_reserve(self->sp.fd, payload, 0, &id, &off));

	/* One abort frees room for one more. */
	ASSERT_EQ(0, st_abort(fd2, &ids[0]));
	ASSERT_EQ(0, st_reserve(fd2, payload, 0, &ids[0], &off));
	/* Closing the fd aborts them all; writing works again. */
	ASSERT_EQ(0, st_close(fd2));
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "pinned_segments"));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 5000, ATOM));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a));
}

/* Map every atom as it is written: nothing evictable, so ENOSPC, never eviction. */
ST_TEST_F_TIMEOUT(ev, mappings_pin_enospc, 300)
{
	int max = 2 * self->cap / ATOM, n, i, r = 0;
	struct st_atom *a = calloc(max, sizeof(*a));
	void **p = calloc(max, sizeof(*p));
	__u64 segs[64];
	int nsegs = 0;
	struct st_atom b;

	ST_REQUIRE(SCRATCH_F_MMAP);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, no_limits(self->sp.id));
	for (n = 0; n < max; n++) {
		r = st_put_n(self->sp.fd, &a[n], n, ATOM);
		if (r)
			break;
		p[n] = st_mmap(self->sp.fd, ATOM, PROT_READ, MAP_SHARED, a[n].off);
		ASSERT_NE(MAP_FAILED, p[n]) TH_LOG("map atom %d: %s", n, strerror(errno));
	}
	ASSERT_EQ(-ENOSPC, r) TH_LOG("after %d atoms", n);
	ASSERT_LE((__u64)n * ATOM, self->cap);
	ASSERT_LE(self->cap / 2, (__u64)n * ATOM);
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "evictions"));
	for (i = 0; i < n; i++) {
		int j;

		ASSERT_EQ(-1, st_check(p[i], ATOM, a[i].seed, 0)) TH_LOG("atom %d", i);
		for (j = 0; j < nsegs && segs[j] != st_id_seg(&a[i].id); j++)
			;
		if (j == nsegs && nsegs < 64)
			segs[nsegs++] = st_id_seg(&a[i].id);
	}
	ASSERT_EQ((__u64)nsegs, st_counter(self->sp.id, "pinned_segments"));

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, st_munmap(p[i], ATOM));
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "pinned_segments"));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &b, 100000, ATOM));
	ASSERT_EQ(0, st_verify(self->sp.fd, &b));
	ASSERT_LT(0ULL, st_counter(self->sp.id, "evictions"));
	free(a);
	free(p);
}

/*
 * A tenant that maps an atom in segment after segment, or leaves whole-segment
 * reservations open, stops at its limits (EDQUOT) while another tenant keeps
 * writing and the space keeps evicting.
 */
ST_TEST_F_TIMEOUT(ev, tenant_limits, 300)
{
	int t1 = st_open(self->sp.id, 1), t2 = st_open(self->sp.id, 2), n, r = 0, mapped = 0;
	__u64 payload = st_payload_bytes(20), limit = self->nseg / 2, off;
	struct st_atom a, b;
	struct scratch_id id;
	void *p;

	ST_REQUIRE(SCRATCH_F_MMAP | SCRATCH_F_TENANT);
	ASSERT_LE(0, t1);
	ASSERT_LE(0, t2);
	ASSERT_EQ(limit, st_counter(self->sp.id, "tenant_max_segments"));
	/*
	 * One mapping per segment: tenant 1 puts an atom and maps it, tenant 0
	 * fills the rest of the segment.  The put that would pin one segment
	 * too many (its reservation) fails, or the mapping does.
	 */
	for (n = 0; n < 2 * (int)self->nseg; n++) {
		r = st_put_n(t1, &a, 10 * n, ATOM);
		if (r)
			break;
		ASSERT_EQ(0, fill(self, NULL, 100000 + n * PER_SEG, PER_SEG));
		p = st_mmap(t1, ATOM, PROT_READ, MAP_SHARED, a.off);
		if (p == MAP_FAILED) {
			r = -errno;
			break;
		}
		mapped++;
	}
	ASSERT_EQ(-EDQUOT, r) TH_LOG("after %d mappings", mapped);
	ASSERT_EQ((int)limit, mapped);
	/* The others are not starved: tenant 2 writes the whole space over. */
	for (n = 0; n < 2 * (int)(self->cap / ATOM); n++)
		ASSERT_EQ(0, st_put_n(t2, &b, 200000 + n, ATOM)) TH_LOG("tenant 2 put %d", n);
	ASSERT_EQ(0, st_verify(t2, &b));
	/* Reservations: half the space's bytes at most, per tenant. */
	ASSERT_EQ(0, st_cleanup());
	ASSERT_EQ(0, st_space_create(&self->sp, &(struct st_region){ st_dev(0), 0, 64 * ST_MIB },
				     1, 20));
	t1 = st_open(self->sp.id, 1);
	ASSERT_LE(0, t1);
	for (n = 0; n < (int)self->nseg && !(r = st_reserve(t1, payload, 0, &id, &off)); n++)
		;
	ASSERT_EQ(-EDQUOT, r) TH_LOG("after %d whole-segment reservations", n);
	ASSERT_GE((int)limit, n);
	ASSERT_EQ(0, st_put_n(self->sp.fd, &b, 300000, ATOM));
	ASSERT_EQ(0, st_verify(self->sp.fd, &b));
}

/*
 * Resident pages of the drive's page cache in [off, off + len), by mincore()
 * on a mapping of the block device itself (the module's atoms live in that
 * page cache); -errno on failure.
 */
static long resident(const char *dev, __u64 off, __u64 len)
{
	unsigned char vec[1024];
	long n = 0;
	__u64 i;
	void *p;
	int fd;

	if (len / ST_PAGE > sizeof(vec))
		return -E2BIG;
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	if (mincore(p, len, vec)) {
		n = -errno;
	} else {
		for (i = 0; i < len / ST_PAGE; i++)
			n += vec[i] & 1;
	}
	munmap(p, len);
	return n;
}

/*
 * Evicted segments leave the page cache at once.  Fill the space with 200 KiB
 * atoms (their pages cached), then with 4 KiB ones: a segment reused for
 * small atoms holds at most 64 of them (its slot limit), so most of it was
 * last written in the evicted generation and must no longer be cached.
 */
ST_TEST_F_TIMEOUT(ev, page_cache_dropped, 400)
{
	int nbig = self->cap / ATOM, nsmall = 20 * 64, i, j, checked = 0;
	struct st_atom *big = calloc(nbig, sizeof(*big));
	struct st_atom *small = calloc(nsmall, sizeof(*small));
	struct scratch_stat st;
	__u32 segs[64];
	int nsegs = 0;
	long r;

	ASSERT_NE(NULL, big);
	ASSERT_NE(NULL, small);
	ASSERT_EQ(0, fill(self, big, 0, nbig));
	/* The check sees cached pages at all: the newest big atom's are. */
	r = resident(st_dev(0), SCRATCH_DISK_DATA_OFF +
		     ((__u64)st_id_seg(&big[nbig - 1].id) << 20), ST_MIB);
	ASSERT_LE((long)(ATOM / ST_PAGE), r) TH_LOG("mincore on %s: %ld", st_dev(0), r);

	for (i = 0; i < nsmall; i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &small[i], 100000 + i, ST_PAGE));
	ASSERT_LT(0ULL, st_counter(self->sp.id, "evictions"));

	/* Segments whose live atoms are all small ones: reused since the big fill. */
	for (i = 0; i < nsmall && nsegs < 64; i++) {
		__u32 seg = st_id_seg(&small[i].id);
		bool mixed = false;

		for (j = 0; j < nsegs && segs[j] != seg; j++)
			;
		if (j < nsegs)
			continue;
		for (j = 0; j < nbig && !mixed; j++)
			mixed = st_id_seg(&big[j].id) == seg &&
				st_stat(self->sp.fd, &big[j].id, &st) == 0;
		if (!mixed)
			segs[nsegs++] = seg;
	}
	for (i = 0; i < nsegs; i++) {
		long live = 0;

		for (j = 0; j < nsmall; j++)
			live += st_id_seg(&small[j].id) == segs[i] &&
				st_stat(self->sp.fd, &small[j].id, &st) == 0;
		r = resident(st_dev(0), SCRATCH_DISK_DATA_OFF + ((__u64)segs[i] << 20), ST_MIB);
		ASSERT_LE(0, r);
		/*
		 * Its live one-page atoms, header and table pages, and a few
		 * more at most; not the ~250 pages of the evicted big atoms.
		 */
		ASSERT_GE(live + 2 + 8, r) TH_LOG("segment %u: %ld pages cached, %ld live atoms",
						  segs[i], r, live);
		checked++;
	}
	ASSERT_LE(5, checked);
	free(big);
	free(small);
}

/* Readers racing the eviction front see exact bytes or ENOENT, nothing else. */
struct racer {
	pthread_t th;
	int fd;
	struct st_atom *a;
	atomic_int *published;
	atomic_int *stop;
	int exact, gone, raced, wrong;
};

static void *reader(void *arg)
{
	struct racer *r = arg;
	__u64 rnd = (uintptr_t)r;

	while (!atomic_load(r->stop)) {
		int n = atomic_load(r->published), i, e;

		if (n < 1)
			continue;
		/* Mostly old atoms, the ones about to be evicted. */
		i = st_rand(&rnd) % n;
		if (st_rand(&rnd) & 1)
			i = i / 4;
		e = st_verify(r->fd, &r->a[i]);
		if (e == 0) {
			r->exact++;
		} else if (e == -ENOENT) {
			r->gone++;
		} else {
			struct scratch_stat st;

			/* Bytes changed under us only if the atom is gone now. */
			if (st_stat(r->fd, &r->a[i].id, &st) == -ENOENT)
				r->raced++;
			else
				r->wrong++;
		}
	}
	return NULL;
}

ST_TEST_F_TIMEOUT(ev, readers_during_eviction, 400)
{
	int n = 2 * self->cap / ATOM, i, exact = 0, gone = 0;
	struct st_atom *a = calloc(n, sizeof(*a));
	atomic_int published = 0, stop = 0;
	struct racer rd[2];

	ASSERT_NE(NULL, a);
	for (i = 0; i < 2; i++) {
		rd[i] = (struct racer){ .fd = self->sp.fd, .a = a, .published = &published,
					.stop = &stop };
		ASSERT_EQ(0, pthread_create(&rd[i].th, NULL, reader, &rd[i]));
	}
	for (i = 0; i < n; i++) {
		int r = st_put_n(self->sp.fd, &a[i], i, ATOM);

		if (r) {
			atomic_store(&stop, 1);
			break;
		}
		atomic_store(&published, i + 1);
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(rd[i].th, NULL));
	ASSERT_EQ(n, atomic_load(&published));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, rd[i].wrong) TH_LOG("reader %d: wrong bytes of a live atom", i);
		exact += rd[i].exact;
		gone += rd[i].gone + rd[i].raced;
	}
	ASSERT_LT(0, exact);
	ASSERT_LT(0, gone);
	free(a);
}

TEST_HARNESS_MAIN
