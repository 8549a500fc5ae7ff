// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrent writers and readers: threads on one fd and on their own fds,
 * forked processes, overlapping reservations, and a writer killed with
 * reservations open (its space comes back, nothing stays pinned).
 */
#include <signal.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

#define NTHREADS	4
#define PAIRS		20		/* per thread: 2 atoms per round */
#define NPROCS		3
#define PER_PROC	30

/* 255 segments of 1 MiB: far more than the tests write, no eviction. */
ST_SPACE_FIXTURE(cc, SCRATCH_F_WRITE | SCRATCH_F_READ, 20,
		 { st_dev(0), 0, 256 * ST_MIB })

/* Atoms published by writers for everyone to read; ready set after commit. */
struct board {
	struct st_atom atom[NTHREADS * 2 * PAIRS];
	atomic_int ready[NTHREADS * 2 * PAIRS];
};

struct worker {
	pthread_t th;
	struct board *b;
	int idx, fd;
	int err;		/* first -errno, 0 if all went well */
	char what[96];
	int reads;		/* verified reads of any thread's atoms */
};

static void fail(struct worker *w, int err, const char *what, int i)
{
	if (!w->err) {
		w->err = err;
		snprintf(w->what, sizeof(w->what), "%s (round %d): %s", what, i, strerror(-err));
	}
}

/*
 * Each round reserves two atoms, writes them page-chunk by page-chunk in
 * alternation, commits the second first, then reads a random published atom.
 */
static void *writer(void *arg)
{
	struct worker *w = arg;
	__u64 rnd = st_seed(w->idx + 500);
	unsigned char *buf[2];
	int i, k, r;

	for (k = 0; k < 2; k++)
		if (posix_memalign((void **)&buf[k], ST_PAGE, 256 * ST_KIB)) {
			fail(w, -ENOMEM, "alloc", 0);
			return NULL;
		}
	for (i = 0; i < PAIRS && !w->err; i++) {
		struct st_atom *a[2];
		__u64 pos;
		int slot[2];

		for (k = 0; k < 2; k++) {
			slot[k] = (w->idx * PAIRS + i) * 2 + k;
			a[k] = &w->b->atom[slot[k]];
			memset(a[k], 0, sizeof(*a[k]));
			a[k]->len = 1 + st_rand(&rnd) % (256 * ST_KIB);
			a[k]->seed = st_seed(slot[k]);
			a[k]->type = (__u16)slot[k];
			st_fill(buf[k], a[k]->len, a[k]->seed, 0);
			a[k]->xxh = XXH64(buf[k], a[k]->len, 0);
			r = st_reserve(w->fd, a[k]->len, 0, &a[k]->id, &a[k]->off);
			if (r)
				fail(w, r, "reserve", i);
		}
		if (w->err)
			break;
		for (pos = 0; pos < 256 * ST_KIB && !w->err; pos += 64 * ST_KIB) {
			for (k = 1; k >= 0; k--) {
				__u64 n;

				if (pos >= a[k]->len)
					continue;
				n = ST_MIN(64 * ST_KIB, a[k]->len - pos);
				r = st_write(w->fd, buf[k] + pos, n, a[k]->off + pos);
				if (r)
					fail(w, r, "pwrite", i);
			}
		}
		for (k = 1; k >= 0 && !w->err; k--) {
			r = st_commit(w->fd, &a[k]->id, a[k]->len, a[k]->xxh, a[k]->type, 0);
			if (r)
				fail(w, r, "commit", i);
			else
				atomic_store(&w->b->ready[slot[k]], 1);
		}
		/* Read someone's atom, maybe one committed a moment ago. */
		for (k = 0; k < 3 && !w->err; k++) {
			int j = st_rand(&rnd) % (NTHREADS * 2 * PAIRS);

			if (!atomic_load(&w->b->ready[j]))
				continue;
			r = st_verify(w->fd, &w->b->atom[j]);
			if (r)
				fail(w, r, "verify", i);
			else
				w->reads++;
		}
	}
	free(buf[0]);
	free(buf[1]);
	return NULL;
}

static void run_writers(struct __test_metadata *_metadata, FIXTURE_DATA(cc) *self,
			bool own_fds)
{
	struct board *b = calloc(1, sizeof(*b));
	struct worker w[NTHREADS];
	struct scratch_id *ids;
	__u8 *res;
	int i, n = NTHREADS * 2 * PAIRS, reads = 0;

	ASSERT_NE(NULL, b);
	memset(w, 0, sizeof(w));
	for (i = 0; i < NTHREADS; i++) {
		w[i].b = b;
		w[i].idx = i;
		w[i].fd = own_fds ? st_open(self->sp.id, -1) : self->sp.fd;
		ASSERT_LE(0, w[i].fd);
	}
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&w[i].th, NULL, writer, &w[i]));
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(w[i].th, NULL));
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_EQ(0, w[i].err) TH_LOG("thread %d: %s", i, w[i].what);
		reads += w[i].reads;
	}
	/* Some reads really ran concurrently with the writes. */
	ASSERT_LT(0, reads);

	/* All of them, from the fixture's fd, after the fact. */
	ids = calloc(n, sizeof(*ids));
	res = calloc(n, 1);
	ASSERT_NE(NULL, ids);
	ASSERT_NE(NULL, res);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(1, atomic_load(&b->ready[i]));
		ASSERT_EQ(0, st_verify(self->sp.fd, &b->atom[i])) TH_LOG("atom %d", i);
		ids[i] = b->atom[i].id;
	}
	/* Distinct ids and distinct pages. */
	for (i = 0; i < n; i++) {
		int j;

		for (j = i + 1; j < n; j++) {
			ASSERT_FALSE(st_id_eq(&ids[i], &ids[j]));
			ASSERT_NE(b->atom[i].off / ST_PAGE, b->atom[j].off / ST_PAGE);
		}
	}
	if (st_has(SCRATCH_F_PRESENT))
		ASSERT_EQ(n, st_present(self->sp.fd, ids, n, res));
	ASSERT_EQ((__u64)n, st_counter(self->sp.id, "atoms"));
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "pinned_segments"));
	if (own_fds)
		for (i = 0; i < NTHREADS; i++)
			ASSERT_EQ(0, st_close(w[i].fd));
	free(ids);
	free(res);
	free(b);
}

ST_TEST_F(cc, threads_one_fd)
{
	run_writers(_metadata, self, false);
}

ST_TEST_F(cc, threads_own_fds)
{
	run_writers(_metadata, self, true);
}

/* Shared between the forked processes. */
struct pboard {
	struct st_atom atom[NPROCS * PER_PROC];
	atomic_int done;	/* processes that finished writing */
	atomic_int ready_to_die;
	struct scratch_id open_ids[3];
};

static int proc_body(__u32 space, struct pboard *b, int p)
{
	__u64 rnd = st_seed(p + 900);
	int fd = st_open(space, -1), i, r, spins;

	if (fd < 0)
		return 10;
	for (i = 0; i < PER_PROC; i++) {
		struct st_atom *a = &b->atom[p * PER_PROC + i];

		r = st_put_n(fd, a, p * PER_PROC + i, 1 + st_rand(&rnd) % (200 * ST_KIB));
		if (r)
			return 20;
		/* Check an atom of our own written a moment ago. */
		if (st_verify(fd, &b->atom[p * PER_PROC + st_rand(&rnd) % (i + 1)]))
			return 30;
	}
	atomic_fetch_add(&b->done, 1);
	for (spins = 0; atomic_load(&b->done) < NPROCS; spins++) {
		if (spins > 6000)
			return 40;	/* 60 s: someone died */
		usleep(10000);
	}
	/* Everyone's atoms, through this process's own fd. */
	for (i = 0; i < NPROCS * PER_PROC; i++)
		if (st_verify(fd, &b->atom[i]))
			return 50;
	close(fd);
	return 0;
}

ST_TEST_F(cc, processes)
{
	struct pboard *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid[NPROCS];
	int i, status;

	ASSERT_NE(MAP_FAILED, b);
	memset(b, 0, sizeof(*b));
	for (i = 0; i < NPROCS; i++) {
		pid[i] = st_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0)
			_exit(proc_body(self->sp.id, b, i));
	}
	for (i = 0; i < NPROCS; i++) {
		ASSERT_EQ(pid[i], st_waitpid(pid[i], &status));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("process %d failed at step %d", i,
							  WEXITSTATUS(status));
	}
	for (i = 0; i < NPROCS * PER_PROC; i++)
		ASSERT_EQ(0, st_verify(self->sp.fd, &b->atom[i])) TH_LOG("atom %d", i);
	ASSERT_EQ((__u64)(NPROCS * PER_PROC), st_counter(self->sp.id, "atoms"));
	munmap(b, sizeof(*b));
}

/*
 * A writer dies with three reservations open (partly written): their ids
 * never become visible, nothing stays pinned or counted, and the space
 * detaches cleanly afterwards (teardown).
 */
ST_TEST_F(cc, killed_writer)
{
	struct pboard *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct scratch_stat st;
	struct st_atom a;
	int i, status, spins;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, b);
	memset(b, 0, sizeof(*b));
	pid = st_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char page[ST_PAGE];
		int fd = st_open(self->sp.id, -1);
		__u64 off;

		memset(page, 0xab, sizeof(page));
		for (i = 0; i < 3; i++) {
			if (st_reserve(fd, 300 * ST_KIB, 0, &b->open_ids[i], &off) ||
			    st_write(fd, page, sizeof(page), off))
				_exit(1);
		}
		atomic_store(&b->ready_to_die, 1);
		for (;;)
			pause();
	}
	for (spins = 0; !atomic_load(&b->ready_to_die); spins++) {
		siginfo_t si = { 0 };

		/* Child gone early?  Look without reaping: teardown reaps. */
		if (spins > 3000 ||
		    (!waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid == pid))
			break;
		usleep(10000);
	}
	if (!atomic_load(&b->ready_to_die))
		kill(pid, SIGKILL);
	ASSERT_EQ(1, atomic_load(&b->ready_to_die)) TH_LOG("child could not reserve");

	/* Open reservations pin; they are invisible to everyone else. */
	ASSERT_LE(1ULL, st_counter(self->sp.id, "pinned_segments"));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &b->open_ids[i], &st));
		ASSERT_EQ(-ENOENT, st_commit(self->sp.fd, &b->open_ids[i], 1, 0, 0, 0));
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, st_waitpid(pid, &status));

	/* The dead fd aborted them all. */
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "pinned_segments"));
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "atoms"));
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "used"));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &b->open_ids[i], &st));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 300 * ST_KIB));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a));
	munmap(b, sizeof(*b));
}

TEST_HARNESS_MAIN
