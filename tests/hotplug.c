// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe hot removal under a live space (tests/vm/run.sh --hotplug: drives
 * behind PCIe root ports, QEMU's monitor driven from here): while readers
 * (pread and mmap) and a writer work on the drive's space, the drive is
 * unplugged.  Every call then fails cleanly or returns exact bytes, no
 * process hangs, the dead space detaches, the other drive's space carries
 * on; and when the drive is plugged back, its space reattaches with every
 * atom that was synced before the removal.  Skips outside a --hotplug VM.
 */
#include <dirent.h>
#include <stdarg.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

#define SHIFT		20
#define LEN_A		(64 * ST_MIB)
#define LEN_B		(128 * ST_MIB)
#define SYNCED		32
#define UNSYNCED	8
#define WAIT_SECS	60

/* Shared with the workers. */
struct hp_shared {
	int stop;
	struct st_atom a[SYNCED + UNSYNCED];
	long reads, read_errs, maps, map_errs, puts, put_errs;
};

FIXTURE(hp) {
	struct st_space sa, sb;
	struct st_region ra, rb;
	struct hp_shared *sh;
	char serial[16];
	int drive;		/* QEMU's nvme<drive> holds space B */
};

/* The /dev/nvmeXn1 whose controller has serial @serial, or "" if none. */
static void by_serial(const char *serial, char *out, size_t n)
{
	struct dirent *d;
	DIR *dir = opendir("/sys/block");

	out[0] = 0;
	while (dir && (d = readdir(dir))) {
		char p[300], s[64] = "";

		if (strlen(d->d_name) + 6 > n)
			continue;
		FILE *f;

		if (strncmp(d->d_name, "nvme", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/device/serial", d->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fscanf(f, "%63s", s) == 1 && !strcmp(s, serial))
			snprintf(out, n, "/dev/%s", d->d_name);
		fclose(f);
	}
	if (dir)
		closedir(dir);
}

/* Ask the host for a monitor command (run.sh --hotplug reads the test channel). */
static void monitor(const char *fmt, ...)
{
	va_list ap;

	printf("# vm-monitor: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/*
 * Wait until a drive with @serial is present (@want) or gone; its path in @out.  Present
 * means it opens: the disk shows in sysfs before its block device is live, and an open
 * in that window fails with ENXIO.
 */
static int wait_drive(const char *serial, bool want, char *out, size_t n)
{
	int i, fd;

	for (i = 0; i < WAIT_SECS * 10; i++) {
		by_serial(serial, out, n);
		if (!want && !out[0])
			return 0;
		if (want && out[0]) {
			fd = open(out, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				close(fd);
				return 0;
			}
		}
		usleep(100000);
	}
	return -ETIMEDOUT;
}

FIXTURE_SETUP(hp)
{
	__u32 id;
	int i, r;

	self->sh = MAP_FAILED;
	self->sa.fd = self->sb.fd = -1;
	self->sa.up = self->sb.up = false;
	ST_REQUIRE(SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_RELOAD);
	if (!getenv("SCRATCH_VM_HOTPLUG"))
		SKIP(return, "needs a VM with hot-pluggable drives (tests/vm/run.sh --hotplug)");
	self->drive = 1;
	snprintf(self->serial, sizeof(self->serial), "sc%d", self->drive);
	self->ra = (struct st_region){ st_dev(0), 0, LEN_A };
	self->rb = (struct st_region){ st_dev(1), 0, LEN_B };
	st_sweep(-1);
	r = st_attach(&self->ra, 1, SHIFT, true, &id);
	ASSERT_EQ(0, r) TH_LOG("space A: %s", strerror(-r));
	self->sa = (struct st_space){ .id = id, .fd = st_open(id, -1), .up = true };
	r = st_attach(&self->rb, 1, SHIFT, true, &id);
	ASSERT_EQ(0, r) TH_LOG("space B: %s", strerror(-r));
	self->sb = (struct st_space){ .id = id, .fd = st_open(id, -1), .up = true };
	ASSERT_LE(0, self->sa.fd);
	ASSERT_LE(0, self->sb.fd);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
	for (i = 0; i < SYNCED + UNSYNCED; i++) {
		if (i == SYNCED)
			ASSERT_EQ(0, st_sync(self->sb.fd));
		r = st_put_n(self->sb.fd, &self->sh->a[i], i + 1, 64 * ST_KIB + i * 5003);
		ASSERT_EQ(0, r) TH_LOG("atom %d: %s", i, strerror(-r));
	}
}

FIXTURE_TEARDOWN(hp)
{
	if (self->sh != MAP_FAILED)
		munmap(self->sh, sizeof(*self->sh));
	ST_TEARDOWN();
}

/* ---- workers: any wrong byte is exit 2; errors are counted -------------------------- */

static bool io_err(int r)
{
	return r == -EIO || r == -ENXIO || r == -ENODEV || r == -ENOENT;
}

static void reader(struct hp_shared *sh, int fd)
{
	unsigned int i = 0;
	int r;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		r = st_verify(fd, &sh->a[i++ % (SYNCED + UNSYNCED)]);
		if (r == -EBADMSG)
			_exit(2);
		if (r && !io_err(r))
			_exit(3);
		__atomic_add_fetch(r ? &sh->read_errs : &sh->reads, 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

static void mapper(struct hp_shared *sh, int fd)
{
	volatile unsigned int i = 0;

	signal(SIGBUS, on_sigbus);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		const struct st_atom *a = &sh->a[i++ % (SYNCED + UNSYNCED)];
		size_t len = ST_ROUND_UP(a->len, ST_PAGE);
		unsigned char *volatile p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, a->off);

		if (p == MAP_FAILED) {
			if (!io_err(-errno))
				_exit(3);
			__atomic_add_fetch(&sh->map_errs, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (sigsetjmp(bus_jmp, 1)) {
			/* The drive is gone: a fault that needs it is SIGBUS. */
			__atomic_add_fetch(&sh->map_errs, 1, __ATOMIC_RELAXED);
		} else {
			if (st_check((const void *)p, a->len, a->seed, 0) >= 0)
				_exit(2);
			__atomic_add_fetch(&sh->maps, 1, __ATOMIC_RELAXED);
		}
		munmap((void *)p, len);
	}
	_exit(0);
}

static void writer(struct hp_shared *sh, int fd)
{
	struct st_atom a;
	__u64 n = 1000;
	int r;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		r = st_put_n(fd, &a, n++, 256 * ST_KIB);
		if (!r)
			r = st_sync(fd);
		if (r && !io_err(r))
			_exit(3);
		__atomic_add_fetch(r ? &sh->put_errs : &sh->puts, 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

ST_TEST_F_TIMEOUT(hp, unplug_under_io, 600)
{
	void (*const work[])(struct hp_shared *, int) = { reader, reader, mapper, writer };
	pid_t pids[ARRAY_SIZE(work)];
	char path[64], newpath[64];
	struct st_atom extra;
	unsigned int i;
	int r, gone = 0, status;

	strcpy(path, self->rb.path);
	for (i = 0; i < ARRAY_SIZE(work); i++) {
		pids[i] = st_fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int fd = st_open(self->sb.id, -1);

			if (fd < 0)
				_exit(4);
			work[i](self->sh, fd);
		}
	}
	usleep(500000);
	ASSERT_EQ(0, st_drop_caches());
	monitor("device_del nvme%d", self->drive);
	r = wait_drive(self->serial, false, newpath, sizeof(newpath));
	ASSERT_EQ(0, r) TH_LOG("%s still there %d s after device_del", path, WAIT_SECS);
	/* I/O against the dead drive for a while; dropped caches force it to the drive. */
	ASSERT_EQ(0, st_drop_caches());
	sleep(2);
	__atomic_store_n(&self->sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < ARRAY_SIZE(work); i++) {
		int left = WAIT_SECS * 100;

		while ((r = waitpid(pids[i], &status, WNOHANG)) == 0 && --left)
			usleep(10000);
		ASSERT_EQ(pids[i], r) TH_LOG("worker %u hangs after the removal", i);
		st_waitpid(pids[i], NULL);
		ASSERT_TRUE(WIFEXITED(status)) TH_LOG("worker %u: signal %d", i, WTERMSIG(status));
		ASSERT_EQ(0, WEXITSTATUS(status))
			TH_LOG("worker %u: %s", i, WEXITSTATUS(status) == 2 ? "wrong bytes" :
			       "unexpected errno");
	}
	TH_LOG("reads %ld ok / %ld failed, maps %ld / %ld, puts %ld / %ld",
	       self->sh->reads, self->sh->read_errs, self->sh->maps, self->sh->map_errs,
	       self->sh->puts, self->sh->put_errs);
	ASSERT_LT(0, self->sh->read_errs + self->sh->map_errs + self->sh->put_errs)
		TH_LOG("nothing failed: was the drive removed under the I/O?");

	/* The dead space: clean errors, never bytes that are not the atom's. */
	r = st_drop_caches();
	ASSERT_EQ(0, r);
	for (i = 0; i < SYNCED + UNSYNCED; i++) {
		r = st_verify(self->sb.fd, &self->sh->a[i]);
		ASSERT_TRUE(r == 0 || io_err(r)) TH_LOG("atom %u: %s", i, strerror(-r));
	}
	r = st_put_n(self->sb.fd, &extra, 77, 100 * ST_KIB);
	ASSERT_TRUE(r == 0 || io_err(r)) TH_LOG("put: %s", strerror(-r));
	r = st_sync(self->sb.fd);
	ASSERT_TRUE(r == 0 || io_err(r)) TH_LOG("sync: %s", strerror(-r));
	r = st_space_down(&self->sb);
	ASSERT_EQ(0, r) TH_LOG("detach of the dead space: %s", strerror(-r));

	/* The other drive's space never noticed. */
	ASSERT_EQ(0, st_put_n(self->sa.fd, &extra, 78, 300 * ST_KIB));
	ASSERT_EQ(0, st_sync(self->sa.fd));
	ASSERT_EQ(0, st_drop_caches());
	ASSERT_EQ(0, st_verify(self->sa.fd, &extra));

	/* Plugged back (a new controller, maybe a new name): what was synced is there. */
	monitor("drive_add 0 if=none,id=d%db,file=@IMG%d@,format=raw,cache=unsafe",
		self->drive, self->drive);
	monitor("device_add nvme,serial=%s,drive=d%db,id=nvme%db,bus=rp%d", self->serial,
		self->drive, self->drive, self->drive);
	r = wait_drive(self->serial, true, newpath, sizeof(newpath));
	ASSERT_EQ(0, r) TH_LOG("no drive %s %d s after device_add", self->serial, WAIT_SECS);
	self->rb.path = newpath;
	r = st_space_reload(&self->sb, &self->rb, 1);
	ASSERT_EQ(0, r) TH_LOG("reattach from %s: %s", newpath, strerror(-r));
	for (i = 0; i < SYNCED + UNSYNCED; i++) {
		r = st_verify(self->sb.fd, &self->sh->a[i]);
		if (r == -ENOENT && i >= SYNCED) {
			gone++;
			continue;
		}
		ASSERT_EQ(0, r) TH_LOG("atom %u (%s) after replug: %s", i,
				       i < SYNCED ? "synced" : "not synced", strerror(-r));
	}
	TH_LOG("after replug on %s: %d synced atoms exact, %d of %d unsynced gone", newpath,
	       SYNCED, gone, UNSYNCED);
}

TEST_HARNESS_MAIN
