// SPDX-License-Identifier: GPL-2.0
/*
 * Eviction horizon (SCRATCH_IOC_HORIZON): older segments have less left,
 * one segment's payload apart; an atom survives writes short of its horizon
 * and is gone a little past it; a mapped atom is PINNED, a missing one (or
 * another tenant's) MISSING; the write rate follows the writes; every
 * malformed request has its errno.
 */
#include "kselftest_harness.h"
#include "scratch_test.h"

#define ATOM		(200 * ST_KIB)	/* five fill a 1 MiB segment */
#define NSEG		63

FIXTURE(hz) {
	struct st_space sp;
	__u64 seg_bytes;
};

FIXTURE_SETUP(hz)
{
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_MMAP | SCRATCH_F_HORIZON, 20,
		       { st_dev(0), 0, 64 * ST_MIB });
	self->seg_bytes = st_payload_bytes(20);
}

FIXTURE_TEARDOWN(hz)
{
	ST_TEARDOWN();
}

/* HORIZON of @n ids into @out; the count present, or -errno. */
static int horizon(int fd, const struct scratch_id *ids, __u32 n, __u64 *out,
		   struct scratch_horizon *res)
{
	struct scratch_horizon h = {
		.size = sizeof(h), .count = n, .ids_addr = (uintptr_t)ids,
		.results_addr = (uintptr_t)out,
	};
	int r = st_ioctl(fd, SCRATCH_IOC_HORIZON, &h);

	if (res)
		*res = h;
	return r;
}

static __u64 horizon1(int fd, const struct st_atom *a)
{
	__u64 out = 0;

	return horizon(fd, &a->id, 1, &out, NULL) < 0 ? 0 : out;
}

/* Write @n atoms (numbered from @first) into @a if given. */
static int fill(int fd, struct st_atom *a, int first, int n)
{
	struct st_atom tmp;
	int i, r;

	for (i = 0; i < n; i++) {
		r = st_put_n(fd, a ? &a[i] : &tmp, first + i, ATOM);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Segments filled in order: each one's horizon is the previous one's plus a
 * segment's payload.  Then the first atom lives through writes one segment
 * short of its horizon, and is gone two segments past it.
 */
ST_TEST_F_TIMEOUT(hz, fifo_steps_and_accuracy, 600)
{
	struct st_atom a[30 * 5];
	struct scratch_horizon res;
	__u64 h[30 * 5], first;
	struct scratch_id ids[30 * 5];
	__u8 here;
	int i, n = 30 * 5;

	ASSERT_EQ(0, fill(self->sp.fd, a, 0, n));
	for (i = 0; i < n; i++)
		ids[i] = a[i].id;
	ASSERT_EQ(n, horizon(self->sp.fd, ids, n, h, &res));
	ASSERT_EQ(self->seg_bytes, res.segment_bytes);
	/* Five atoms a segment, in order: equal within one, a segment apart between. */
	for (i = 1; i < n; i++) {
		__u64 step = (__u32)a[i].id.lo == (__u32)a[i - 1].id.lo ? 0 : self->seg_bytes;

		ASSERT_EQ(h[i - 1] + step, h[i]) TH_LOG("atom %d", i);
	}
	/* Plenty of room left in a space two-thirds empty. */
	first = h[0];
	ASSERT_LT(10 * self->seg_bytes, first);
	ASSERT_GT((__u64)NSEG * self->seg_bytes, first);

	/* Short of the horizon by a segment: still there, exact. */
	ASSERT_EQ(0, fill(self->sp.fd, NULL, 1000, (int)((first - self->seg_bytes) / ATOM)));
	ASSERT_EQ(1, st_present(self->sp.fd, &a[0].id, 1, &here));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a[0]));
	/* Its horizon came down by what was written, give or take a segment. */
	ASSERT_GE(2 * self->seg_bytes, horizon1(self->sp.fd, &a[0]));
	/* Two segments past it: gone (the refill evicts in the background), and MISSING. */
	ASSERT_EQ(0, fill(self->sp.fd, NULL, 5000, (int)(3 * self->seg_bytes / ATOM)));
	for (i = 0; i < 100 && st_present(self->sp.fd, &a[0].id, 1, &here) == 1; i++)
		usleep(100 * 1000);
	ASSERT_EQ(0, st_present(self->sp.fd, &a[0].id, 1, &here));
	ASSERT_EQ(SCRATCH_HORIZON_MISSING, horizon1(self->sp.fd, &a[0]));
	/* The newest atom has the most left. */
	ASSERT_LT(horizon1(self->sp.fd, &a[n - 6]), horizon1(self->sp.fd, &a[n - 1]));
}

/* Mapped: PINNED, and eviction passes over it; unmapped: a number again. */
ST_TEST_F(hz, pinned_and_missing)
{
	struct st_atom a[10], b;
	struct scratch_id ids[3];
	__u64 out[3];
	void *p;
	int t2;

	ASSERT_EQ(0, fill(self->sp.fd, a, 0, 10));
	p = st_mmap(self->sp.fd, ATOM, PROT_READ, MAP_SHARED, a[0].off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(SCRATCH_HORIZON_PINNED, horizon1(self->sp.fd, &a[0]));
	/* The segment behind the pinned one loses nothing to it. */
	ASSERT_GT(SCRATCH_HORIZON_PINNED, horizon1(self->sp.fd, &a[9]));
	ASSERT_EQ(0, st_munmap(p, ATOM));
	ASSERT_GT(SCRATCH_HORIZON_PINNED, horizon1(self->sp.fd, &a[0]));
	ASSERT_GE(horizon1(self->sp.fd, &a[9]), horizon1(self->sp.fd, &a[0]));

	/* Another tenant's atom and a made-up id are missing; the count says so. */
	t2 = st_open(self->sp.id, 2);
	ASSERT_LE(0, t2);
	ASSERT_EQ(0, st_put_n(t2, &b, 77, ATOM));
	ids[0] = a[1].id;
	ids[1] = b.id;
	ids[2] = (struct scratch_id){ .lo = 5 | 999ULL << 32, .hi = 0 };
	ASSERT_EQ(1, horizon(self->sp.fd, ids, 3, out, NULL));
	ASSERT_GT(SCRATCH_HORIZON_PINNED, out[0]);
	ASSERT_EQ(SCRATCH_HORIZON_MISSING, out[1]);
	ASSERT_EQ(SCRATCH_HORIZON_MISSING, out[2]);
	ASSERT_EQ(1, horizon(t2, &b.id, 1, out, NULL));
	ASSERT_GT(SCRATCH_HORIZON_PINNED, out[0]);
	close(t2);
}

/* The write rate: bytes written over the window it reports. */
ST_TEST_F(hz, write_rate_follows_writes)
{
	struct scratch_horizon res;
	struct st_atom a;
	__u64 out;

	ASSERT_EQ(0, fill(self->sp.fd, &a, 0, 1));
	ASSERT_EQ(0, fill(self->sp.fd, NULL, 1, 40));
	ASSERT_EQ(1, horizon(self->sp.fd, &a.id, 1, &out, &res));
	ASSERT_LT(0ULL, res.rate_window_ms);
	ASSERT_LT(0ULL, res.write_rate);
	/* No more than was written, over at least the window. */
	ASSERT_GE(41 * ATOM * 1000 / res.rate_window_ms + ATOM, res.write_rate);
	/* No ids: still the rate, and 0 present. */
	ASSERT_EQ(0, horizon(self->sp.fd, NULL, 0, NULL, &res));
	ASSERT_LT(0ULL, res.write_rate);
}

ST_TEST_F(hz, bad_requests)
{
	struct scratch_horizon h = { .size = sizeof(h) };
	struct st_atom a;
	__u64 out;

	ASSERT_EQ(0, fill(self->sp.fd, &a, 0, 1));
	h.count = SCRATCH_HORIZON_MAX + 1;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_HORIZON, &h));
	h.count = 1;
	h.ids_addr = (uintptr_t)&a.id;
	h.results_addr = (uintptr_t)&out;
	h.flags = 1;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_HORIZON, &h));
	h.flags = 0;
	h.reserved0 = 1;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_HORIZON, &h));
	h.reserved0 = 0;
	h.reserved[0] = 1;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_HORIZON, &h));
	h.reserved[0] = 0;
	h.size = 8;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_HORIZON, &h));
	h.size = sizeof(h);
	h.ids_addr = 8;
	ASSERT_EQ(-EFAULT, st_ioctl(self->sp.fd, SCRATCH_IOC_HORIZON, &h));
	h.ids_addr = (uintptr_t)&a.id;
	h.results_addr = 8;
	ASSERT_EQ(-EFAULT, st_ioctl(self->sp.fd, SCRATCH_IOC_HORIZON, &h));
	h.results_addr = (uintptr_t)&out;
	/* Output fields are not checked on input. */
	h.write_rate = 1;
	h.rate_window_ms = 1;
	h.segment_bytes = 1;
	ASSERT_EQ(1, st_ioctl(self->sp.fd, SCRATCH_IOC_HORIZON, &h));
	ASSERT_GT(SCRATCH_HORIZON_PINNED, out);
}

TEST_HARNESS_MAIN
