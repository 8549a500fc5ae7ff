// SPDX-License-Identifier: GPL-2.0
/*
 * Eviction events (SCRATCH_IOC_EVENTS_FD, SCRATCH_IOC_EVICTIONS): a reader
 * that follows them with poll() while a writer wraps a small space several
 * times misses none and is told of none that did not happen, checked
 * against PRESENT for every id written; poll is level-triggered on the
 * events fd's cursor; the events fd holds the space (detach EBUSY); every
 * malformed request has its errno.
 */
#include <poll.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

#define ATOM		(200 * ST_KIB)	/* five fill a 1 MiB segment */
#define WRAPS		3
#define NSEG		63

FIXTURE(evt) {
	struct st_space sp;
};

FIXTURE_SETUP(evt)
{
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_EVICTIONS, 20,
		       { st_dev(0), 0, 64 * ST_MIB });
}

FIXTURE_TEARDOWN(evt)
{
	ST_TEARDOWN();
}

static int events_fd(int fd, __u32 flags, __u64 *cursor)
{
	struct scratch_events_fd e = { .size = sizeof(e), .flags = flags };
	int r = st_ioctl(fd, SCRATCH_IOC_EVENTS_FD, &e);

	if (r < 0)
		return r;
	if (cursor)
		*cursor = e.cursor;
	return e.fd;
}

/* EVICTIONS from *cursor into ev (cap); returns the count, or -errno. */
static int evictions(int efd, __u64 *cursor, struct scratch_eviction *ev, __u32 cap,
		     __u64 *lost, __u64 *head)
{
	struct scratch_evictions q = {
		.size = sizeof(q), .cursor = *cursor, .events_addr = (uintptr_t)ev, .capacity = cap,
	};
	int r = st_ioctl(efd, SCRATCH_IOC_EVICTIONS, &q);

	if (r < 0)
		return r;
	*cursor = q.cursor;
	if (lost)
		*lost = q.lost;
	if (head)
		*head = q.head;
	return (int)q.count;
}

static bool readable(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

struct follower {
	int efd;
	__u64 cursor;
	atomic_bool done;
	struct scratch_eviction ev[4096];
	unsigned int n;
	unsigned int wakeups;
	__u64 lost;
	int err;
};

/* Sleep in poll until evictions come, take them, until the writer is done. */
static void *follow(void *arg)
{
	struct follower *fl = arg;
	__u64 lost;
	int r;

	for (;;) {
		bool last = atomic_load(&fl->done);

		if (readable(fl->efd, 200))
			fl->wakeups++;
		do {
			r = evictions(fl->efd, &fl->cursor, fl->ev + fl->n,
				      ARRAY_SIZE(fl->ev) - fl->n, &lost, NULL);
			if (r < 0) {
				fl->err = r;
				return NULL;
			}
			fl->n += (unsigned int)r;
			fl->lost += lost;
		} while (r > 0 && fl->n < ARRAY_SIZE(fl->ev));
		if (last || fl->n == ARRAY_SIZE(fl->ev))
			return NULL;
	}
}

static bool has_event(const struct follower *fl, const struct scratch_id *id)
{
	unsigned int i;

	for (i = 0; i < fl->n; i++)
		if (fl->ev[i].segment == (__u32)id->lo && fl->ev[i].generation == id->lo >> 32)
			return true;
	return false;
}

/*
 * The writer wraps the space WRAPS times; a thread follows with poll.  Then,
 * for every id written: an event names its (segment, generation) exactly
 * when PRESENT says it is gone.  Every event names a segment and generation
 * some id had, none twice, and there are as many as sysfs counted.
 */
ST_TEST_F_TIMEOUT(evt, follower_misses_none_invents_none, 600)
{
	const int n = NSEG * 5 * WRAPS;
	struct st_atom *a = calloc(n, sizeof(*a));
	struct follower *fl = calloc(1, sizeof(*fl));
	__u64 ev0, ev1, cursor0;
	__u8 *present = calloc(n, 1);
	unsigned int i, j;
	pthread_t t;
	int k, gone = 0;

	ASSERT_TRUE(a && fl && present);
	ev0 = st_counter(self->sp.id, "evictions");
	fl->efd = events_fd(self->sp.fd, 0, &cursor0);
	ASSERT_LE(0, fl->efd);
	ASSERT_EQ(ev0, cursor0);
	fl->cursor = cursor0;
	ASSERT_EQ(0, pthread_create(&t, NULL, follow, fl));
	for (k = 0; k < n; k++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[k], 7000 + k, ATOM)) TH_LOG("atom %d", k);
	atomic_store(&fl->done, true);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, fl->err);
	ev1 = st_counter(self->sp.id, "evictions");
	TH_LOG("%u evictions followed, %u wakeups, %llu lost", fl->n, fl->wakeups,
	       (unsigned long long)fl->lost);
	ASSERT_EQ(0ULL, fl->lost);
	ASSERT_EQ(ev1 - ev0, (__u64)fl->n);
	ASSERT_EQ(cursor0 + fl->n, fl->cursor);
	ASSERT_LE((unsigned int)(NSEG * (WRAPS - 1)), fl->n);
	ASSERT_LT(0U, fl->wakeups);

	/* No event twice. */
	for (i = 0; i < fl->n; i++)
		for (j = i + 1; j < fl->n; j++)
			ASSERT_FALSE(fl->ev[i].segment == fl->ev[j].segment &&
				     fl->ev[i].generation == fl->ev[j].generation)
				TH_LOG("segment %u generation %u twice", fl->ev[i].segment,
				       fl->ev[i].generation);
	/* None invented: each names a (segment, generation) the writer's ids had. */
	for (i = 0; i < fl->n; i++) {
		for (k = 0; k < n; k++)
			if ((__u32)a[k].id.lo == fl->ev[i].segment &&
			    a[k].id.lo >> 32 == fl->ev[i].generation)
				break;
		ASSERT_LT(k, n) TH_LOG("event %u: segment %u generation %u had no id", i,
				       fl->ev[i].segment, fl->ev[i].generation);
	}
	/* None missed, none wrong: gone exactly when an event says so. */
	for (k = 0; k < n; k++) {
		struct scratch_id id = a[k].id;

		ASSERT_EQ(0, st_present(self->sp.fd, &id, 1, &present[k]) < 0);
		ASSERT_EQ(!present[k], has_event(fl, &a[k].id)) TH_LOG("atom %d", k);
		gone += !present[k];
	}
	ASSERT_LT(0, gone);
	/* The newest are all there and exact. */
	for (k = n - 5; k < n; k++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &a[k]));
	close(fl->efd);
	free(present);
	free(fl);
	free(a);
}

/* poll is ready while evictions lie past the fd's cursor, and not after it read them. */
ST_TEST_F(evt, poll_follows_the_cursor)
{
	struct scratch_eviction ev[64];
	__u64 cursor, head;
	int efd, efd0, k = 0, r;
	struct st_atom a;

	efd = events_fd(self->sp.fd, 0, &cursor);
	ASSERT_LE(0, efd);
	ASSERT_FALSE(readable(efd, 0));
	/* Fill until the first eviction: then it polls readable. */
	while (!readable(efd, 0)) {
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 100 + k, ATOM));
		ASSERT_GT(NSEG * 5 * 2, ++k) TH_LOG("no eviction after %d atoms", k);
	}
	r = evictions(efd, &cursor, ev, ARRAY_SIZE(ev), NULL, &head);
	ASSERT_LT(0, r);
	ASSERT_EQ(head, cursor);
	/* Read up to the head: not readable until the next eviction. */
	if (st_counter(self->sp.id, "evictions") == head)
		ASSERT_FALSE(readable(efd, 0));
	/* An fd from the start is readable at once: evictions happened. */
	efd0 = events_fd(self->sp.fd, SCRATCH_EVENTS_FROM_START, NULL);
	ASSERT_LE(0, efd0);
	ASSERT_TRUE(readable(efd0, 0));
	cursor = 0;
	ASSERT_EQ(r, evictions(efd0, &cursor, ev, r, NULL, NULL));
	close(efd0);
	close(efd);
}

/* The events fd counts as an open of the space: detach waits for its close. */
ST_TEST_F(evt, events_fd_holds_the_space)
{
	int efd = events_fd(self->sp.fd, 0, NULL);

	ASSERT_LE(0, efd);
	close(self->sp.fd);
	self->sp.fd = -1;
	ASSERT_EQ(-EBUSY, st_detach(self->sp.id));
	ASSERT_FALSE(readable(efd, 0));
	close(efd);
	ASSERT_EQ(0, st_detach(self->sp.id));
	self->sp.up = false;
}

ST_TEST_F(evt, bad_requests)
{
	struct scratch_events_fd e = { .size = sizeof(e) };
	struct scratch_evictions q = { .size = sizeof(q) };
	struct scratch_eviction ev[4];
	int efd = events_fd(self->sp.fd, 0, NULL);

	ASSERT_LE(0, efd);
	e.flags = 1U << 7;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_EVENTS_FD, &e));
	e.flags = 0;
	e.reserved[1] = 1;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_EVENTS_FD, &e));
	e.reserved[1] = 0;
	e.size = sizeof(e) - 8;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_EVENTS_FD, &e));
	/* EVICTIONS belongs to the events fd, not the space's. */
	ASSERT_EQ(-ENOTTY, st_ioctl(self->sp.fd, SCRATCH_IOC_EVICTIONS, &q));
	ASSERT_EQ(-ENOTTY, st_ioctl(efd, SCRATCH_IOC_SYNC, NULL));
	q.cursor = st_counter(self->sp.id, "evictions") + 1;
	ASSERT_EQ(-EINVAL, st_ioctl(efd, SCRATCH_IOC_EVICTIONS, &q));
	q.cursor = 0;
	q.flags = 1;
	ASSERT_EQ(-EINVAL, st_ioctl(efd, SCRATCH_IOC_EVICTIONS, &q));
	q.flags = 0;
	q.reserved0 = 1;
	ASSERT_EQ(-EINVAL, st_ioctl(efd, SCRATCH_IOC_EVICTIONS, &q));
	q.reserved0 = 0;
	/* Output fields are not checked: the struct goes back as it came. */
	q.count = 9;
	q.lost = 9;
	q.head = 9;
	q.ring_size = 9;
	ASSERT_EQ(0, st_ioctl(efd, SCRATCH_IOC_EVICTIONS, &q));
	ASSERT_EQ(0U, q.count);
	ASSERT_EQ(0ULL, q.lost);
	ASSERT_LE(4096U, q.ring_size);
	/* A bad buffer is EFAULT once there is something to copy. */
	while (!st_counter(self->sp.id, "evictions")) {
		struct st_atom a;

		ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 5, ATOM));
	}
	q.cursor = 0;
	q.capacity = 4;
	q.events_addr = 8;
	ASSERT_EQ(-EFAULT, st_ioctl(efd, SCRATCH_IOC_EVICTIONS, &q));
	q.cursor = 0;
	q.events_addr = (uintptr_t)ev;
	ASSERT_EQ(0, st_ioctl(efd, SCRATCH_IOC_EVICTIONS, &q));
	ASSERT_LT(0U, q.count);
	ASSERT_GT(NSEG, (int)ev[0].segment);
	ASSERT_NE(0U, ev[0].generation);
	close(efd);
}

TEST_HARNESS_MAIN
