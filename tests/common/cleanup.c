// SPDX-License-Identifier: GPL-2.0
#include "scratch_test.h"

/*
 * What a test process attached, opened and mapped, so that teardown can undo
 * it even after an ASSERT jumped out of the middle of a test.  Each test runs
 * in its own forked process, so the registry starts empty every time.  The
 * registry is this file's alone: others go through st_track_*() and friends.
 */
#define ST_MAX_FDS	256
#define ST_MAX_MAPS	1024
#define ST_MAX_SPACES	32

static pthread_mutex_t st_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static int st_fds[ST_MAX_FDS];
static int st_nfds;
static struct { void *addr; size_t len; } st_maps[ST_MAX_MAPS];
static int st_nmaps;
static __u32 st_spaces[ST_MAX_SPACES];
static int st_nspaces;
static pid_t st_kids[16];
static int st_nkids;

void st_track_fd(int fd)
{
	pthread_mutex_lock(&st_reg_lock);
	if (st_nfds < ST_MAX_FDS)
		st_fds[st_nfds++] = fd;
	pthread_mutex_unlock(&st_reg_lock);
}

void st_untrack_fd(int fd)
{
	int i;

	pthread_mutex_lock(&st_reg_lock);
	for (i = 0; i < st_nfds; i++) {
		if (st_fds[i] == fd) {
			st_fds[i] = st_fds[--st_nfds];
			break;
		}
	}
	pthread_mutex_unlock(&st_reg_lock);
}

void st_track_space(__u32 id)
{
	pthread_mutex_lock(&st_reg_lock);
	if (st_nspaces < ST_MAX_SPACES)
		st_spaces[st_nspaces++] = id;
	pthread_mutex_unlock(&st_reg_lock);
}

void st_untrack_space(__u32 id)
{
	int i;

	pthread_mutex_lock(&st_reg_lock);
	for (i = 0; i < st_nspaces; i++) {
		if (st_spaces[i] == id) {
			st_spaces[i] = st_spaces[--st_nspaces];
			break;
		}
	}
	pthread_mutex_unlock(&st_reg_lock);
}

/* mmap() that teardown undoes; MAP_FAILED and errno as mmap(). */
void *st_mmap(int fd, size_t len, int prot, int flags, __u64 off)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)off);

	if (p != MAP_FAILED) {
		pthread_mutex_lock(&st_reg_lock);
		if (st_nmaps < ST_MAX_MAPS) {
			st_maps[st_nmaps].addr = p;
			st_maps[st_nmaps].len = len;
			st_nmaps++;
		}
		pthread_mutex_unlock(&st_reg_lock);
	}
	return p;
}

int st_munmap(void *p, size_t len)
{
	int i, r = munmap(p, len) ? -errno : 0;

	pthread_mutex_lock(&st_reg_lock);
	for (i = 0; i < st_nmaps; i++) {
		if (st_maps[i].addr == p) {
			st_maps[i] = st_maps[--st_nmaps];
			break;
		}
	}
	pthread_mutex_unlock(&st_reg_lock);
	return r;
}

/*
 * fork() whose child teardown kills and reaps if the test did not: a child
 * holding an fd or a mapping would keep the space from detaching.
 */
pid_t st_fork(void)
{
	pid_t pid = fork();

	if (pid > 0 && st_nkids < (int)(sizeof(st_kids) / sizeof(st_kids[0])))
		st_kids[st_nkids++] = pid;
	return pid;
}

/* waitpid() for a child of st_fork(). */
pid_t st_waitpid(pid_t pid, int *status)
{
	pid_t r = waitpid(pid, status, 0);
	int i;

	for (i = 0; i < st_nkids; i++) {
		if (st_kids[i] == pid) {
			st_kids[i] = st_kids[--st_nkids];
			break;
		}
	}
	return r;
}

/*
 * Teardown: reap children, unmap, close and detach what this process still holds.  Returns
 * the number of spaces that would not detach (0 when all is clean).
 */
int st_cleanup(void)
{
	int bad = 0;

	while (st_nkids > 0) {
		kill(st_kids[st_nkids - 1], SIGKILL);
		st_waitpid(st_kids[st_nkids - 1], NULL);
	}
	while (st_nmaps > 0)
		st_munmap(st_maps[st_nmaps - 1].addr, st_maps[st_nmaps - 1].len);
	while (st_nfds > 0)
		st_close(st_fds[st_nfds - 1]);
	while (st_nspaces > 0) {
		__u32 id = st_spaces[st_nspaces - 1];
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
