// SPDX-License-Identifier: GPL-2.0
/*
 * Memory pressure (tests/check.sh's fault stage boots a guest with little
 * RAM): a bystander in its own cgroup v2 holds half the available memory,
 * the worker runs in a cgroup limited to a quarter of RAM, and ten times
 * the guest's RAM is written through the space and read back from the
 * drive (each atom twice the worker's page cache later).  No OOM kill anywhere, dirty pages stay within the kernel's dirty
 * limit (scratch writes through the page cache and is throttled like any
 * writer), the bystander's memory stays intact, and at the end the clean
 * page cache scratch left gives memory back: the bystander grows by more
 * than is free, so the page cache must shrink for it.  Skips in guests with
 * more than 1 GiB.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

#define SHIFT		22		/* 4 MiB segments */
#define ALEN		(ST_MIB + 4321)	/* three to a segment */
#define CG		"/sys/fs/cgroup"
#define CG_BY		CG "/scbystander"
#define CG_WK		CG "/scworker"
#define MAX_RAM		(1024 * ST_MIB)

/* A counter from a "key value" file (/proc/vmstat, memory.events). */
static __u64 kv(const char *path, const char *key)
{
	char k[64];
	unsigned long long v, found = 0;
	FILE *f = fopen(path, "r");

	while (f && fscanf(f, "%63s %llu", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	if (f)
		fclose(f);
	return found;
}

/* ---- the bystander: holds memory, checks it, grows on SIGUSR1 ----------------------- */

static volatile sig_atomic_t by_grow, by_stop;

static void by_sig(int sig)
{
	if (sig == SIGUSR1)
		by_grow = 1;
	else
		by_stop = 1;
}

static void by_fill(unsigned char *p, size_t len, unsigned int salt)
{
	size_t i;

	for (i = 0; i < len; i += ST_PAGE)
		*(__u64 *)(p + i) = (i / ST_PAGE) * 0x9E3779B97F4A7C15ULL ^ salt;
}

static bool by_ok(const unsigned char *p, size_t len, unsigned int salt)
{
	size_t i;

	for (i = 0; i < len; i += ST_PAGE)
		if (*(const __u64 *)(p + i) != ((i / ST_PAGE) * 0x9E3779B97F4A7C15ULL ^ salt))
			return false;
	return true;
}

/* Exit 0: memory intact (and grown by *grow when asked); 2: bad memory; 3: no memory. */
static void bystander(size_t hold, volatile size_t *growp, int ready)
{
	size_t grow = 0;
	unsigned char *p, *q = NULL;
	char c = 'r';

	signal(SIGUSR1, by_sig);
	signal(SIGTERM, by_sig);
	p = mmap(NULL, hold, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	by_fill(p, hold, 1);
	if (write(ready, &c, 1) != 1)
		_exit(3);
	while (!by_stop) {
		if (by_grow && !q) {
			grow = *growp;
			q = mmap(NULL, grow, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
			if (q == MAP_FAILED)
				_exit(3);
			by_fill(q, grow, 2);
			c = 'g';
			if (write(ready, &c, 1) != 1)
				_exit(3);
		}
		if (!by_ok(p, hold, 1))
			_exit(2);
		usleep(200000);
	}
	_exit(by_ok(p, hold, 1) && (!q || by_ok(q, grow, 2)) ? 0 : 2);
}

/* ---- dirty page sampler ------------------------------------------------------------- */

struct sampler {
	pthread_t t;
	volatile int stop;
	__u64 max_dirty;	/* Dirty + Writeback, bytes */
};

static void *sample(void *arg)
{
	struct sampler *s = arg;

	while (!s->stop) {
		__u64 d = st_meminfo("Dirty") + st_meminfo("Writeback");

		if (d > s->max_dirty)
			s->max_dirty = d;
		usleep(20000);
	}
	return NULL;
}

FIXTURE(mp) {
	struct st_space sp;
	struct st_region r;
	bool cg;
	pid_t by;
	int ready;
};

FIXTURE_SETUP(mp)
{
	self->cg = false;
	self->by = -1;
	self->sp.fd = -1;
	self->sp.up = false;
	ST_REQUIRE(SCRATCH_F_WRITE | SCRATCH_F_READ);
	if (st_meminfo("MemTotal") > MAX_RAM)
		SKIP(return, "the guest has more than 1 GiB: the fault stage runs this with less");
	if (access(CG "/cgroup.controllers", F_OK) &&
	    mount("none", CG, "cgroup2", 0, NULL))
		SKIP(return, "no cgroup v2: %s", strerror(errno));
	if (st_write_file(CG "/cgroup.subtree_control", "+memory"))
		SKIP(return, "no memory controller");
	rmdir(CG_BY);
	rmdir(CG_WK);
	ASSERT_EQ(0, mkdir(CG_BY, 0755));
	ASSERT_EQ(0, mkdir(CG_WK, 0755));
	self->cg = true;
	self->r = (struct st_region){ st_dev(0), 0, 0 };
	ASSERT_EQ(0, st_space_create(&self->sp, &self->r, 1, SHIFT));
}

FIXTURE_TEARDOWN(mp)
{
	if (self->by > 0) {
		kill(self->by, SIGKILL);
		st_waitpid(self->by, NULL);
	}
	ST_TEARDOWN();
	if (self->cg) {
		st_write_file(CG "/cgroup.procs", "%d", getpid());
		rmdir(CG_WK);
		rmdir(CG_BY);
	}
}

ST_TEST_F_TIMEOUT(mp, ten_times_ram, 1500)
{
	__u64 total = st_meminfo("MemTotal"), avail = st_meminfo("MemAvailable");
	__u64 hold = avail / 2 & ~(ST_PAGE - 1), grow, free_end, file_end;
	__u64 oom0 = kv("/proc/vmstat", "oom_kill"), dirty_ratio = 20, written = 0;
	__u64 nr = 10 * total / ALEN + 1, lag = total / 2 / ALEN + 1, i;
	__u64 cached_end, reads = 0, gone = 0;
	struct st_atom *a;
	struct sampler smp = { 0 };
	int pipefd[2], status, r;
	volatile size_t *growp;
	char c, buf[16];
	FILE *f;

	f = fopen("/proc/sys/vm/dirty_ratio", "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			dirty_ratio = strtoull(buf, NULL, 10);
		fclose(f);
	}
	a = calloc(nr, sizeof(*a));
	ASSERT_NE(NULL, a);
	TH_LOG("RAM %llu MiB (available %llu): bystander holds %llu MiB, worker limited to %llu MiB, "
	       "%llu atoms of %llu KiB to write, each read back %llu atoms later",
	       total >> 20, avail >> 20, hold >> 20, (total / 4) >> 20,
	       (unsigned long long)nr, ALEN >> 10, (unsigned long long)lag);

	/* The bystander, in its cgroup: what it holds, a little slack. */
	ASSERT_EQ(0, st_write_file(CG_BY "/memory.max", "%llu", hold + 16 * ST_MIB));
	growp = mmap(NULL, ST_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, growp);
	ASSERT_EQ(0, pipe(pipefd));
	self->by = st_fork();
	ASSERT_LE(0, self->by);
	if (self->by == 0) {
		close(pipefd[0]);
		if (st_write_file(CG_BY "/cgroup.procs", "%d", getpid()))
			_exit(4);
		bystander(hold, growp, pipefd[1]);
	}
	close(pipefd[1]);
	self->ready = pipefd[0];
	ASSERT_EQ(1, read(self->ready, &c, 1)) TH_LOG("bystander failed to start");

	/* The worker: this process, a quarter of RAM for its memory and page cache. */
	ASSERT_EQ(0, st_write_file(CG_WK "/memory.max", "%llu", total / 4));
	ASSERT_EQ(0, st_write_file(CG_WK "/cgroup.procs", "%d", getpid()));
	ASSERT_EQ(0, pthread_create(&smp.t, NULL, sample, &smp));
	for (i = 0; i < nr; i++) {
		r = st_put_n(self->sp.fd, &a[i], i + 1, ALEN);
		ASSERT_EQ(0, r) TH_LOG("put %llu: %s", (unsigned long long)i, strerror(-r));
		written += ALEN;
		if (i % 64 == 63)
			ASSERT_EQ(0, st_sync(self->sp.fd));
		if (i >= lag) {
			/* Long out of the page cache: from the drive, or evicted. */
			r = st_verify(self->sp.fd, &a[i - lag]);
			if (r == -ENOENT) {
				gone++;
			} else {
				ASSERT_EQ(0, r) TH_LOG("atom %llu", (unsigned long long)(i - lag));
				reads++;
			}
		}
		ASSERT_EQ(0, waitpid(self->by, &status, WNOHANG))
			TH_LOG("the bystander died after %llu MiB", written >> 20);
	}
	ASSERT_EQ(0, st_sync(self->sp.fd));
	smp.stop = 1;
	pthread_join(smp.t, NULL);
	cached_end = st_meminfo("Cached");
	TH_LOG("wrote %llu MiB, read back %llu atoms (%llu evicted first); dirty+writeback "
	       "peak %llu MiB (%llu%% of RAM, dirty_ratio %llu%%); cached %llu MiB",
	       written >> 20, reads, gone, smp.max_dirty >> 20, smp.max_dirty * 100 / total,
	       dirty_ratio, cached_end >> 20);
	ASSERT_LT(total * 9, written);
	ASSERT_LT(nr / 2, reads) TH_LOG("most reads should find their atom");
	ASSERT_GE(total * (dirty_ratio + 5) / 100, smp.max_dirty)
		TH_LOG("dirty pages beyond the kernel's dirty limit");

	/*
	 * The clean page cache gives way: the bystander grows by more than
	 * is free, three quarters of what the file cache holds on top.
	 */
	free_end = st_meminfo("MemFree");
	file_end = st_meminfo("Active(file)") + st_meminfo("Inactive(file)");
	grow = (free_end + file_end * 3 / 4) & ~(ST_PAGE - 1);
	TH_LOG("free %llu MiB, file cache %llu MiB: the bystander grows by %llu MiB",
	       free_end >> 20, file_end >> 20, grow >> 20);
	ASSERT_LT(free_end + 16 * ST_MIB, grow) TH_LOG("too little file cache to reclaim");
	*growp = grow;
	ASSERT_EQ(0, st_write_file(CG_BY "/memory.max", "%llu", hold + grow + 16 * ST_MIB));
	ASSERT_EQ(0, kill(self->by, SIGUSR1));
	ASSERT_EQ(1, read(self->ready, &c, 1)) TH_LOG("the bystander could not grow");
	ASSERT_EQ('g', c);
	ASSERT_EQ(0, kill(self->by, SIGTERM));
	ASSERT_EQ(self->by, st_waitpid(self->by, &status));
	self->by = -1;
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("bystander killed by signal %d", WTERMSIG(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("bystander's memory damaged or denied");
	ASSERT_EQ(oom0, kv("/proc/vmstat", "oom_kill")) TH_LOG("an OOM kill happened");
	ASSERT_EQ(0ULL, kv(CG_WK "/memory.events", "oom_kill"));
	ASSERT_EQ(0ULL, kv(CG_BY "/memory.events", "oom_kill"));
	TH_LOG("file cache after the bystander grew: %llu MiB",
	       (st_meminfo("Active(file)") + st_meminfo("Inactive(file)")) >> 20);
	free(a);
}

TEST_HARNESS_MAIN
