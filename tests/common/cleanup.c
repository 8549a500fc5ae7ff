// SPDX-License-Identifier: GPL-2.0
/*
 * What a test process attached, opened and mapped, so that teardown can undo
 * it even after an ASSERT jumped out of the middle of a test.  Each test runs
 * in its own forked process, so the registry starts empty every time.  The
 * registry is this file's alone: others go through st_track_*() and friends.
 */
#include "scratch_test.h"

struct st_entry {
	uintptr_t key;	/* an fd, a mapping's address, a space id, a child's pid */
	size_t len;	/* a mapping's length */
};

struct st_reg {
	struct st_entry *e;
	int n, cap;
};

static struct st_entry fd_e[256], map_e[1024], space_e[32], kid_e[16];
static struct st_reg fds = { fd_e, 0, 256 }, maps = { map_e, 0, 1024 };
static struct st_reg spaces = { space_e, 0, 32 }, kids = { kid_e, 0, 16 };
static pthread_mutex_t st_reg_lock = PTHREAD_MUTEX_INITIALIZER;

static void reg_add(struct st_reg *g, uintptr_t key, size_t len)
{
	pthread_mutex_lock(&st_reg_lock);
	if (g->n < g->cap)
		g->e[g->n++] = (struct st_entry){ key, len };
	pthread_mutex_unlock(&st_reg_lock);
}

static void reg_del(struct st_reg *g, uintptr_t key)
{
	int i;

	pthread_mutex_lock(&st_reg_lock);
	for (i = 0; i < g->n; i++) {
		if (g->e[i].key == key) {
			g->e[i] = g->e[--g->n];
			break;
		}
	}
	pthread_mutex_unlock(&st_reg_lock);
}

/* The newest entry of @g in @e; false when @g is empty. */
static bool reg_last(struct st_reg *g, struct st_entry *e)
{
	bool any;

	pthread_mutex_lock(&st_reg_lock);
	any = g->n > 0;
	if (any)
		*e = g->e[g->n - 1];
	pthread_mutex_unlock(&st_reg_lock);
	return any;
}

void st_track_fd(int fd)
{
	reg_add(&fds, (uintptr_t)fd, 0);
}

void st_untrack_fd(int fd)
{
	reg_del(&fds, (uintptr_t)fd);
}

void st_track_space(__u32 id)
{
	reg_add(&spaces, id, 0);
}

void st_untrack_space(__u32 id)
{
	reg_del(&spaces, id);
}

/* mmap() that teardown undoes; MAP_FAILED and errno as mmap(). */
void *st_mmap(int fd, size_t len, int prot, int flags, __u64 off)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)off);

	if (p != MAP_FAILED)
		reg_add(&maps, (uintptr_t)p, len);
	return p;
}

int st_munmap(void *p, size_t len)
{
	int r = munmap(p, len) ? -errno : 0;

	reg_del(&maps, (uintptr_t)p);
	return r;
}

/*
 * fork() whose child teardown kills and reaps if the test did not: a child
 * holding an fd or a mapping would keep the space from detaching.
 */
pid_t st_fork(void)
{
	pid_t pid = fork();

	if (pid > 0)
		reg_add(&kids, (uintptr_t)pid, 0);
	return pid;
}

/* waitpid() for a child of st_fork(). */
pid_t st_waitpid(pid_t pid, int *status)
{
	pid_t r = waitpid(pid, status, 0);

	reg_del(&kids, (uintptr_t)pid);
	return r;
}

/*
 * Teardown: reap children, unmap, close and detach what this process still holds.  Returns
 * the number of spaces that would not detach (0 when all is clean).
 */
int st_cleanup(void)
{
	struct st_entry e;
	int bad = 0;

	while (reg_last(&kids, &e)) {
		kill((pid_t)e.key, SIGKILL);
		st_waitpid((pid_t)e.key, NULL);
	}
	while (reg_last(&maps, &e))
		st_munmap((void *)e.key, e.len);
	while (reg_last(&fds, &e))
		st_close((int)e.key);
	while (reg_last(&spaces, &e)) {
		__u32 id = (__u32)e.key;
		int r, tries;

		/*
		 * A closed io_uring drops its file references from a workqueue:
		 * the space may stay busy for a moment (seen on PREEMPT_RT).
		 */
		for (tries = 0; (r = st_detach(id)) == -EBUSY && tries < 100; tries++)
			usleep(20000);
		if (r) {
			fprintf(stderr, "# cleanup: detach scratch%u: %s\n", id, strerror(-r));
			st_untrack_space(id);
			bad++;
		}
	}
	return bad;
}
