// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the scratch kselftests: attach/detach spaces, put/get
 * atoms, deterministic byte patterns, sysfs counters, and the cleanup that
 * keeps one test's space from leaking into the next.
 *
 * Every helper returns 0 (or a count/fd) or -errno and never asserts: the
 * tests assert, and helpers stay usable from threads and forked children.
 * Include it after kselftest_harness.h.
 */
#ifndef SCRATCH_TEST_H
#define SCRATCH_TEST_H

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <liburing.h>
#include <xxhash.h>
#include <uapi/scratch.h>
#include "scratch_format.h"

#define ST_PAGE		4096ULL
#define ST_MIB		(1ULL << 20)
#define ST_KIB		1024ULL
#define ST_CONTROL	"/dev/" SCRATCH_CONTROL_NAME
/* Write/read chunk: page aligned, small enough to keep buffers cheap. */
#define ST_CHUNK	(1ULL << 20)
/* Seconds per test: TCG runs ~10x slower than hardware; 6.1's default is 30. */
#define ST_TIMEOUT	180

#define ST_ROUND_UP(x, a)	((((x) + (a) - 1) / (a)) * (a))
#define ST_MIN(a, b)		((a) < (b) ? (a) : (b))

/* 6.1's harness does not line-buffer stdout: TAP lines would interleave. */
static void __attribute__((constructor)) st_stdout_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* ---- test macros ------------------------------------------------------ */

/*
 * ST_TEST_F() is TEST_F_TIMEOUT() with one guard: 6.1's harness runs the test
 * body even when FIXTURE_SETUP() called SKIP() (fixed upstream later), so the
 * body returns at once when setup skipped.  The body is kept out of line: the
 * harness's setjmp() would otherwise make its locals -Wclobbered suspects.
 */
#define ST_TEST_F_TIMEOUT(fix, name, tmo)					\
	static void __attribute__((noinline))					\
	st_##fix##_##name(struct __test_metadata *_metadata,			\
			  FIXTURE_DATA(fix) *self,				\
			  const FIXTURE_VARIANT(fix) *variant);			\
	TEST_F_TIMEOUT(fix, name, tmo)						\
	{									\
		if (_metadata->skip)						\
			return;							\
		st_##fix##_##name(_metadata, self, variant);			\
	}									\
	static void st_##fix##_##name(						\
		struct __test_metadata __attribute__((unused)) *_metadata,	\
		FIXTURE_DATA(fix) __attribute__((unused)) *self,		\
		const FIXTURE_VARIANT(fix) __attribute__((unused)) *variant)

#define ST_TEST_F(fix, name)	ST_TEST_F_TIMEOUT(fix, name, ST_TIMEOUT)

/* Skip the test unless the module is loaded with every feature in @mask. */
#define ST_REQUIRE(mask) do {							\
	char __why[256];							\
	int __r = st_need(mask, __why, sizeof(__why));				\
	if (__r > 0)								\
		SKIP(return, "%s", __why);					\
	ASSERT_EQ(0, __r) TH_LOG("%s", __why);					\
} while (0)

/*
 * For FIXTURE_SETUP(): skip without the module, drives or features; detach
 * what a killed earlier test left; format + attach the regions (a list of
 * struct st_region initialisers) with 2^shift segments; open the space.
 * On failure nothing stays attached (the harness skips teardown then).
 */
#define ST_SETUP_SPACE(sp, feats, shift, ...) do {				\
	const struct st_region __regs[] = { __VA_ARGS__ };			\
	int __r;								\
	(sp)->fd = -1;								\
	(sp)->up = false;							\
	ST_REQUIRE(feats);							\
	__r = st_space_create(sp, __regs, ARRAY_SIZE(__regs), shift);		\
	ASSERT_EQ(0, __r) TH_LOG("format+attach: %s", strerror(-__r));		\
} while (0)

/*
 * For FIXTURE_TEARDOWN(): unmap, close and detach everything the test made.
 * A failed ASSERT longjmps out before the harness clears ->trigger, which
 * would run the TH_LOG below even on success: clear it first.
 */
#define ST_TEARDOWN() do {							\
	_metadata->trigger = 0;							\
	EXPECT_EQ(0, st_cleanup())						\
		TH_LOG("cleanup failed: a space stayed attached");		\
} while (0)

/* ---- drives -------------------------------------------------------------- */

/*
 * The two free test drives: $SCRATCH_DRIVES (set by the guest init, drives
 * in -drive order) or /dev/nvme0n1 and /dev/nvme1n1.
 */
static inline const char *st_dev(int i)
{
	static char devs[2][64];
	static bool done;

	if (!done) {
		const char *env = getenv("SCRATCH_DRIVES");

		strcpy(devs[0], "/dev/nvme0n1");
		strcpy(devs[1], "/dev/nvme1n1");
		if (env && *env) {
			char a[64] = "", b[64] = "";

			if (sscanf(env, "%63s %63s", a, b) == 2) {
				strcpy(devs[0], a);
				strcpy(devs[1], b);
			}
		}
		done = true;
	}
	return devs[i & 1];
}

/* Can someone else claim @dev exclusively?  (The module must hold it.) */
static inline int st_excl_open(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static inline int st_dev_size(const char *path, __u64 *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, size) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Set or clear the block layer's read-only flag of a whole device. */
static inline int st_dev_set_ro(const char *path, int ro)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKROSET, &ro) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Zero @len bytes at @off of a device, durably (so the module reads zeros). */
static inline int st_dev_zero(const char *path, __u64 off, __u64 len)
{
	static const unsigned char zero[ST_PAGE];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	while (len && !r) {
		size_t n = ST_MIN(len, sizeof(zero));
		ssize_t w = pwrite(fd, zero, n, off);

		if (w < 0)
			r = -errno;
		else if ((size_t)w != n)
			r = -EIO;
		off += n;
		len -= n;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	/* Drop the cached copy: the module may read through bios. */
	if (!r && ioctl(fd, BLKFLSBUF, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* A field of /proc/meminfo in bytes, or 0 when missing. */
static inline __u64 st_meminfo(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	__u64 v = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, 10) * 1024;
			break;
		}
	}
	fclose(f);
	return v;
}

/* Write printf-formatted text to a sysfs, procfs, debugfs or cgroup file: 0/-errno. */
static inline int __attribute__((format(printf, 2, 3)))
st_write_file(const char *path, const char *fmt, ...)
{
	char v[128];
	va_list ap;
	int fd, n, r = 0;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(v))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, v, n) != n)
		r = -errno;
	close(fd);
	return r;
}

/*
 * Drop clean cached pages.  drop_caches alone does not reach the block
 * devices' page cache on every kernel (6.12 keeps it), so the drives'
 * mappings are also told POSIX_FADV_DONTNEED.
 */
static inline int st_drop_caches(void)
{
	int fd, i, r = 0;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "3", 1) != 1)
		r = -errno;
	close(fd);
	for (i = 0; i < 2 && !r; i++) {
		fd = open(st_dev(i), O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		r = -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	return r;
}

/* ---- geometry (the contract's formula, recomputed independently) ------- */

static inline __u64 st_payload_bytes(unsigned int shift)
{
	__u64 pages = 1ULL << (shift - 12);
	__u64 slots = pages / 4;

	if (slots < 64)
		slots = 64;
	slots = ST_ROUND_UP(slots, 64);
	return (pages - 1 - slots / 64) * ST_PAGE;
}

/* Segments of a region of @len bytes: 0 if it cannot hold two. */
static inline __u64 st_region_segs(unsigned int shift, __u64 len)
{
	__u64 n;

	if (len <= SCRATCH_DISK_DATA_OFF)
		return 0;
	n = (len - SCRATCH_DISK_DATA_OFF) >> shift;
	return n < 2 ? 0 : n;
}

/* ---- ids ------------------------------------------------------------------ */

static inline bool st_id_eq(const struct scratch_id *a, const struct scratch_id *b)
{
	return a->lo == b->lo && a->hi == b->hi;
}

/* The text form scratchctl uses: 32 hex digits of lo then hi. */
static inline const char *st_id_str(const struct scratch_id *id, char out[33])
{
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)id->lo,
		 (unsigned long long)id->hi);
	return out;
}

/* Field access per the header's documented encoding (tests only). */
static inline __u32 st_id_seg(const struct scratch_id *id) { return (__u32)id->lo; }
static inline __u32 st_id_gen(const struct scratch_id *id) { return (__u32)(id->lo >> 32); }
static inline __u32 st_id_slot(const struct scratch_id *id) { return (__u32)id->hi; }

static inline struct scratch_id st_id_make(__u32 seg, __u32 gen, __u32 slot, __u32 part)
{
	struct scratch_id id = {
		.lo = (__u64)seg | ((__u64)gen << 32),
		.hi = (__u64)slot | ((__u64)part << 32),
	};
	return id;
}

/* The id of part @i of array @arr. */
static inline struct scratch_id st_part_id(const struct scratch_id *arr, __u32 i)
{
	struct scratch_id id = { .lo = arr->lo, .hi = (__u32)arr->hi | ((__u64)(i + 1) << 32) };
	return id;
}

/* ---- patterns ------------------------------------------------------------- */

/*
 * Byte k of an atom with seed s is byte (k & 7) of table[(k >> 3) & 511]
 * XOR key(s, k >> 12): random within a page, different for every page of every
 * atom.  So bytes from another atom, another page or another offset in the
 * page are detected, and checks need no second copy of the data.  The seeds
 * are mixed with a per-run nonce: stale data of earlier tests or runs on the
 * drives never matches.
 */
static __u64 st_table[512];
static __u64 st_nonce;

static inline __u64 st_mix(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void __attribute__((constructor)) st_pattern_init(void)
{
	const char *env = getenv("SCRATCH_TEST_SEED");
	unsigned int i;

	for (i = 0; i < 512; i++)
		st_table[i] = st_mix(0x5c7a7c4ULL + i);
	if (env && *env)
		st_nonce = strtoull(env, NULL, 0);
	else if (getrandom(&st_nonce, sizeof(st_nonce), 0) != sizeof(st_nonce))
		st_nonce = (__u64)time(NULL) ^ ((__u64)getpid() << 32);
}

/* A seed for the n-th atom of a test, unique per run. */
static inline __u64 st_seed(__u64 n)
{
	return st_mix(st_nonce ^ st_mix(n));
}

static inline __u64 st_page_key(__u64 seed, __u64 page)
{
	return st_mix(seed ^ st_mix(page + 0x1000));
}

/* Bytes [in, in + n) of one page whose key is @key. */
static inline void st_fill_page(unsigned char *p, size_t in, size_t n, __u64 key)
{
	size_t j = in, end = in + n;

	for (; j < end && (j & 7); j++)
		*p++ = (unsigned char)((st_table[j >> 3] ^ key) >> (8 * (j & 7)));
	for (; j + 8 <= end; j += 8, p += 8) {
		__u64 v = htole64(st_table[j >> 3] ^ key);

		memcpy(p, &v, 8);
	}
	for (; j < end; j++)
		*p++ = (unsigned char)((st_table[j >> 3] ^ key) >> (8 * (j & 7)));
}

/* Fill @buf with the bytes [pos, pos + len) of the atom with @seed. */
static inline void st_fill(void *buf, size_t len, __u64 seed, __u64 pos)
{
	unsigned char *p = buf;

	while (len) {
		size_t in = pos & (ST_PAGE - 1);
		size_t n = ST_MIN(len, ST_PAGE - in);

		st_fill_page(p, in, n, st_page_key(seed, pos / ST_PAGE));
		p += n;
		pos += n;
		len -= n;
	}
}

/*
 * Check that @buf holds bytes [pos, pos + len) of the atom with @seed.
 * Returns -1 if it does, else the index of the first wrong byte.
 */
static inline long st_check(const void *buf, size_t len, __u64 seed, __u64 pos)
{
	const unsigned char *p = buf;
	unsigned char want[ST_PAGE];
	size_t done = 0;

	while (done < len) {
		size_t in = pos & (ST_PAGE - 1);
		size_t n = ST_MIN(len - done, ST_PAGE - in);

		st_fill_page(want, in, n, st_page_key(seed, pos / ST_PAGE));
		if (memcmp(p + done, want, n)) {
			size_t k = 0;

			while (p[done + k] == want[k])
				k++;
			return (long)(done + k);
		}
		done += n;
		pos += n;
	}
	return -1;
}

/* A small PRNG for test decisions (not for patterns). */
static inline __u64 st_rand(__u64 *state)
{
	*state = st_mix(*state);
	return *state;
}

/* ---- ioctl plumbing --------------------------------------------------------- */

static inline int st_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

static inline int st_ctl_open(void)
{
	int fd = open(ST_CONTROL, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* One ioctl on a fresh fd of the control device. */
static inline int st_ctl(unsigned long req, void *arg)
{
	int fd = st_ctl_open(), r;

	if (fd < 0)
		return fd;
	r = st_ioctl(fd, req, arg);
	close(fd);
	return r;
}

static inline int st_features(struct scratch_features *f)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	return st_ctl(SCRATCH_IOC_GET_FEATURES, f);
}

/*
 * 0 if scratch.ko is loaded with every feature in @mask and both test drives
 * exist; 1 (reason in @why) if the test should skip; -errno on an error.
 */
static inline int st_need(__u64 mask, char *why, size_t n)
{
	struct scratch_features f;
	struct stat s;
	int r, i;

	snprintf(why, n, "ok");
	if (access(ST_CONTROL, F_OK)) {
		snprintf(why, n, "%s missing: scratch.ko not loaded", ST_CONTROL);
		return 1;
	}
	r = st_features(&f);
	if (r == -ENOTTY) {
		snprintf(why, n, "GET_FEATURES not implemented");
		return 1;
	}
	if (r) {
		snprintf(why, n, "GET_FEATURES: %s", strerror(-r));
		return r;
	}
	if (f.abi_version != SCRATCH_ABI_VERSION) {
		snprintf(why, n, "ABI version %u, tests expect %u", f.abi_version,
			 SCRATCH_ABI_VERSION);
		return 1;
	}
	if ((f.features & mask) != mask) {
		snprintf(why, n, "feature bits 0x%llx missing (module has 0x%llx)",
			 (unsigned long long)(mask & ~f.features),
			 (unsigned long long)f.features);
		return 1;
	}
	for (i = 0; i < 2; i++) {
		if (stat(st_dev(i), &s) || !S_ISBLK(s.st_mode)) {
			snprintf(why, n, "test drive %s missing", st_dev(i));
			return 1;
		}
	}
	return 0;
}

/* Does the module have every feature in @mask? */
static inline bool st_has(__u64 mask)
{
	struct scratch_features f;

	return st_features(&f) == 0 && (f.features & mask) == mask;
}

/* ---- cleanup registry ---------------------------------------------------------- */

/*
 * What a test process attached, opened and mapped, so that teardown can undo
 * it even after an ASSERT jumped out of the middle of a test.  Each test runs
 * in its own forked process, so the registry starts empty every time.
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

static inline void st_track_fd(int fd)
{
	pthread_mutex_lock(&st_reg_lock);
	if (st_nfds < ST_MAX_FDS)
		st_fds[st_nfds++] = fd;
	pthread_mutex_unlock(&st_reg_lock);
}

static inline void st_untrack_fd(int fd)
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

static inline void st_track_space(__u32 id)
{
	pthread_mutex_lock(&st_reg_lock);
	if (st_nspaces < ST_MAX_SPACES)
		st_spaces[st_nspaces++] = id;
	pthread_mutex_unlock(&st_reg_lock);
}

static inline void st_untrack_space(__u32 id)
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
static inline void *st_mmap(int fd, size_t len, int prot, int flags, __u64 off)
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

static inline int st_munmap(void *p, size_t len)
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
static inline pid_t st_fork(void)
{
	pid_t pid = fork();

	if (pid > 0 && st_nkids < (int)(sizeof(st_kids) / sizeof(st_kids[0])))
		st_kids[st_nkids++] = pid;
	return pid;
}

/* waitpid() for a child of st_fork(). */
static inline pid_t st_waitpid(pid_t pid, int *status)
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

/* ---- control: attach, detach, list ------------------------------------------------ */

struct st_region {
	const char *path;
	__u64 offset;
	__u64 length;	/* 0: to the end of the device */
};

static inline void st_spec(struct scratch_region_spec *s, const struct st_region *r)
{
	memset(s, 0, sizeof(*s));
	s->path_addr = (uintptr_t)r->path;
	s->path_len = strlen(r->path);
	s->offset = r->offset;
	s->length = r->length;
}

/* ATTACH as given; a space it attaches is detached by teardown. */
static inline int st_attach_raw(struct scratch_attach *a)
{
	int r = st_ctl(SCRATCH_IOC_ATTACH, a);

	if (r == 0)
		st_track_space(a->space_id);
	return r;
}

static inline int st_attach(const struct st_region *regs, unsigned int n,
			    unsigned int seg_shift, bool format, __u32 *space_id)
{
	struct scratch_region_spec specs[SCRATCH_MAX_REGIONS];
	struct scratch_attach a;
	unsigned int i;
	int r;

	if (n > SCRATCH_MAX_REGIONS)
		return -E2BIG;
	for (i = 0; i < n; i++)
		st_spec(&specs[i], &regs[i]);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = format ? SCRATCH_ATTACH_FORMAT : 0;
	a.nr_regions = n;
	a.seg_shift = format ? seg_shift : 0;
	a.regions_addr = (uintptr_t)specs;
	r = st_attach_raw(&a);
	if (r == 0 && space_id)
		*space_id = a.space_id;
	return r;
}

static inline int st_detach(__u32 space_id)
{
	struct scratch_detach d = { .size = sizeof(d), .space_id = space_id };
	int r = st_ctl(SCRATCH_IOC_DETACH, &d);

	if (r == 0)
		st_untrack_space(space_id);
	return r;
}

static inline int st_list(__u32 *ids, __u32 capacity, __u32 *count)
{
	struct scratch_list l = {
		.size = sizeof(l), .capacity = capacity, .ids_addr = (uintptr_t)ids,
	};
	int r = st_ctl(SCRATCH_IOC_LIST, &l);

	if (r == 0)
		*count = l.count;
	return r;
}

static inline bool st_listed(__u32 space_id)
{
	__u32 ids[64], n = 0, i;

	if (st_list(ids, 64, &n))
		return false;
	for (i = 0; i < n && i < 64; i++)
		if (ids[i] == space_id)
			return true;
	return false;
}

/*
 * Detach every attached space except @keep (-1: none): what a test killed by
 * the harness's timeout left behind.  Tests run one at a time, so nothing
 * attached at a test's start belongs to anyone else.  Returns how many.
 */
static inline int st_sweep(long keep)
{
	__u32 ids[64], n = 0, i;
	int done = 0;

	if (st_list(ids, 64, &n))
		return 0;
	for (i = 0; i < n && i < 64; i++) {
		if ((long)ids[i] == keep)
			continue;
		if (st_detach(ids[i]) == 0) {
			fprintf(stderr, "# swept stale space scratch%u\n", ids[i]);
			done++;
		}
	}
	return done;
}

/* ---- a space --------------------------------------------------------------------------- */

static inline int st_set_tenant(int fd, __u32 tenant)
{
	struct scratch_tenant t = { .size = sizeof(t), .tenant = tenant };

	return st_ioctl(fd, SCRATCH_IOC_SET_TENANT, &t);
}

/* /dev/scratchN (the node may take a moment to appear), bound to @tenant (-1: default). */
static inline int st_open_flags(__u32 space_id, int flags, long tenant)
{
	char path[64];
	int fd, tries = 0, r;

	snprintf(path, sizeof(path), "/dev/scratch%u", space_id);
	for (;;) {
		fd = open(path, flags | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || ++tries > 100)
			break;
		usleep(20000);
	}
	if (fd < 0)
		return -errno;
	if (tenant >= 0) {
		r = st_set_tenant(fd, (__u32)tenant);
		if (r) {
			close(fd);
			return r;
		}
	}
	st_track_fd(fd);
	return fd;
}

/* Open /dev/scratchN read-write, bound to @tenant (-1: leave the default). */
static inline int st_open(__u32 space_id, long tenant)
{
	return st_open_flags(space_id, O_RDWR, tenant);
}

static inline int st_close(int fd)
{
	st_untrack_fd(fd);
	return close(fd) ? -errno : 0;
}

struct st_space {
	__u32 id;	/* N of /dev/scratchN */
	int fd;		/* open on it, tenant 0; -1 if none */
	bool up;	/* attached */
};

/* Sweep, format + attach, open.  On failure nothing stays attached. */
static inline int st_space_create(struct st_space *sp, const struct st_region *regs,
				  unsigned int n, unsigned int shift)
{
	int r;

	sp->fd = -1;
	sp->up = false;
	st_sweep(-1);
	r = st_attach(regs, n, shift, true, &sp->id);
	if (r)
		return r;
	sp->fd = st_open(sp->id, -1);
	if (sp->fd < 0) {
		r = sp->fd;
		sp->fd = -1;
		st_detach(sp->id);
		return r;
	}
	sp->up = true;
	return 0;
}

/* Close the fixture's fd and detach; @sp can then be reattached. */
static inline int st_space_down(struct st_space *sp)
{
	int r;

	if (sp->fd >= 0) {
		st_close(sp->fd);
		sp->fd = -1;
	}
	if (!sp->up)
		return 0;
	r = st_detach(sp->id);
	if (r == 0)
		sp->up = false;
	return r;
}

/* Reattach @regs without FORMAT (reload) and open it again. */
static inline int st_space_reload(struct st_space *sp, const struct st_region *regs,
				  unsigned int n)
{
	int r = st_attach(regs, n, 0, false, &sp->id);

	if (r)
		return r;
	sp->up = true;
	sp->fd = st_open(sp->id, -1);
	return sp->fd < 0 ? sp->fd : 0;
}

/*
 * Teardown: reap children, unmap, close and detach what this process still holds.  Returns
 * the number of spaces that would not detach (0 when all is clean).
 */
static inline int st_cleanup(void)
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

/* ---- sysfs and INFO --------------------------------------------------------------------- */

/* /sys/class/scratch/scratchN/<name> as a number. */
static inline int st_sysfs(__u32 space_id, const char *name, __u64 *v)
{
	char path[128], buf[64], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/scratch/scratch%u/%s", space_id, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

/* The counter, or UINT64_MAX if it cannot be read (fails any sane assert). */
static inline __u64 st_counter(__u32 space_id, const char *name)
{
	__u64 v = 0;

	return st_sysfs(space_id, name, &v) ? UINT64_MAX : v;
}

static inline int st_info(int fd, struct scratch_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return st_ioctl(fd, SCRATCH_IOC_INFO, info);
}

/* ---- atoms ------------------------------------------------------------------------------ */

static inline int st_reserve(int fd, __u64 stored_len, __u32 nr_parts,
			     struct scratch_id *id, __u64 *off)
{
	struct scratch_reserve rs = {
		.size = sizeof(rs), .stored_len = stored_len, .nr_parts = nr_parts,
	};
	int r = st_ioctl(fd, SCRATCH_IOC_RESERVE, &rs);

	if (r == 0) {
		*id = rs.id;
		if (off)
			*off = rs.offset;
	}
	return r;
}

static inline int st_commit(int fd, const struct scratch_id *id, __u64 length,
			    __u64 xxh, __u16 type, __u16 atom_flags)
{
	struct scratch_commit c = {
		.size = sizeof(c), .id = *id, .length = length, .xxh64 = xxh,
		.type = type, .atom_flags = atom_flags,
	};

	return st_ioctl(fd, SCRATCH_IOC_COMMIT, &c);
}

static inline int st_abort(int fd, const struct scratch_id *id)
{
	struct scratch_abort a = { .size = sizeof(a), .id = *id };

	return st_ioctl(fd, SCRATCH_IOC_ABORT, &a);
}

static inline int st_stat(int fd, const struct scratch_id *id, struct scratch_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->id = *id;
	return st_ioctl(fd, SCRATCH_IOC_STAT, st);
}

/* PRESENT: the number of @ids present, results[i] = 1/0; or -errno. */
static inline int st_present(int fd, const struct scratch_id *ids, __u32 count, __u8 *results)
{
	struct scratch_present p = {
		.size = sizeof(p), .count = count,
		.ids_addr = (uintptr_t)ids, .results_addr = (uintptr_t)results,
	};

	return st_ioctl(fd, SCRATCH_IOC_PRESENT, &p);
}

static inline int st_sync(int fd)
{
	return st_ioctl(fd, SCRATCH_IOC_SYNC, NULL);
}

/*
 * pwrite @len bytes at space offset @off in chunks that start on a page and
 * end on one (or at the end): the write protocol's alignment rule.
 */
static inline int st_write(int fd, const void *buf, size_t len, __u64 off)
{
	const unsigned char *p = buf;

	while (len) {
		size_t n = ST_MIN(len, ST_CHUNK);
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0)
			return -errno;
		/* A short write may only stop on a page boundary. */
		if (w == 0 || ((size_t)w < n && (w & (ST_PAGE - 1))))
			return -EIO;
		p += w;
		off += w;
		len -= w;
	}
	return 0;
}

/* pread exactly @len bytes (looping over short reads); -EIO on an early 0. */
static inline int st_pread_full(int fd, void *buf, size_t len, __u64 off)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);

		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		p += r;
		off += r;
		len -= r;
	}
	return 0;
}

/*
 * RESERVE + pwrite + COMMIT of @buf with its XXH64; ABORT on failure.
 * @off may be NULL.
 */
static inline int st_put(int fd, const void *buf, size_t len, __u16 type,
			 struct scratch_id *id, __u64 *off)
{
	__u64 o;
	int r = st_reserve(fd, len, 0, id, &o);

	if (r)
		return r;
	r = st_write(fd, buf, len, o);
	if (!r)
		r = st_commit(fd, id, len, XXH64(buf, len, 0), type, 0);
	if (r) {
		st_abort(fd, id);
		return r;
	}
	if (off)
		*off = o;
	return 0;
}

/*
 * STAT + pread + XXH64 check into @buf (@cap bytes).  -EBADMSG if the bytes
 * do not match the stored checksum; -ENOSPC if @cap is too small.
 */
static inline int st_get(int fd, const struct scratch_id *id, void *buf, size_t cap,
			 struct scratch_stat *stp)
{
	struct scratch_stat st;
	int r = st_stat(fd, id, &st);

	if (r)
		return r;
	if (stp)
		*stp = st;
	if (st.stored_len > cap)
		return -ENOSPC;
	r = st_pread_full(fd, buf, st.stored_len, st.offset);
	if (r)
		return r;
	return XXH64(buf, st.stored_len, 0) == st.xxh64 ? 0 : -EBADMSG;
}

/* Per-thread chunk buffers for patterned I/O (never freed: tests are short). */
static __thread unsigned char *st_wbuf_p, *st_rbuf_p;

static inline unsigned char *st_buf(unsigned char **p)
{
	if (!*p && posix_memalign((void **)p, ST_PAGE, ST_CHUNK))
		*p = NULL;
	return *p;
}

/* XXH64 (seed 0) of the first @len bytes of the atom with @seed. */
static inline __u64 st_pattern_xxh(__u64 len, __u64 seed)
{
	unsigned char *b = st_buf(&st_wbuf_p);
	XXH64_state_t *s = XXH64_createState();
	__u64 pos = 0, h;

	if (!b || !s)
		abort();
	XXH64_reset(s, 0);
	while (pos < len) {
		size_t n = ST_MIN(len - pos, ST_CHUNK);

		st_fill(b, n, seed, pos);
		XXH64_update(s, b, n);
		pos += n;
	}
	h = XXH64_digest(s);
	XXH64_freeState(s);
	return h;
}

/* An atom a test wrote: what it should read back as. */
struct st_atom {
	struct scratch_id id;
	__u64 off;	/* space offset from RESERVE */
	__u64 len;
	__u64 seed;
	__u64 xxh;
	__u16 type;
};

/*
 * Write a->len bytes of pattern a->seed as one atom of type a->type; fills
 * a->id, a->off, a->xxh.  Streams in chunks: no buffer of the atom's size.
 */
static inline int st_put_atom(int fd, struct st_atom *a)
{
	unsigned char *b = st_buf(&st_wbuf_p);
	XXH64_state_t *s;
	__u64 pos = 0;
	int r;

	if (!b)
		return -ENOMEM;
	r = st_reserve(fd, a->len, 0, &a->id, &a->off);
	if (r)
		return r;
	s = XXH64_createState();
	if (!s) {
		st_abort(fd, &a->id);
		return -ENOMEM;
	}
	XXH64_reset(s, 0);
	while (pos < a->len && !r) {
		size_t n = ST_MIN(a->len - pos, ST_CHUNK);

		st_fill(b, n, a->seed, pos);
		XXH64_update(s, b, n);
		r = st_write(fd, b, n, a->off + pos);
		pos += n;
	}
	a->xxh = XXH64_digest(s);
	XXH64_freeState(s);
	if (!r)
		r = st_commit(fd, &a->id, a->len, a->xxh, a->type, 0);
	if (r)
		st_abort(fd, &a->id);
	return r;
}

/* Shorthand: atom @n of a test, @len bytes, written on @fd. */
static inline int st_put_n(int fd, struct st_atom *a, __u64 n, __u64 len)
{
	memset(a, 0, sizeof(*a));
	a->len = len;
	a->seed = st_seed(n);
	a->type = (__u16)(n * 7 + 1);
	return st_put_atom(fd, a);
}

/* Bytes [pos, pos + len) of @a read back through pread exact?  0/-errno/-EBADMSG. */
static inline int st_check_range(int fd, const struct st_atom *a, __u64 pos, __u64 len)
{
	unsigned char *b = st_buf(&st_rbuf_p);
	char ids[33];

	if (!b)
		return -ENOMEM;
	while (len) {
		size_t n = ST_MIN(len, ST_CHUNK);
		int r = st_pread_full(fd, b, n, a->off + pos);
		long bad;

		if (r)
			return r;
		bad = st_check(b, n, a->seed, pos);
		if (bad >= 0) {
			fprintf(stderr, "# atom %s: wrong byte at %llu of %llu\n",
				st_id_str(&a->id, ids), (unsigned long long)(pos + bad),
				(unsigned long long)a->len);
			return -EBADMSG;
		}
		pos += n;
		len -= n;
	}
	return 0;
}

/*
 * The atom as a reader sees it: STAT fields (offset, lengths, type, flags,
 * xxh64) and every byte through pread.  0, -errno (e.g. -ENOENT), or -EBADMSG
 * for anything that differs.
 */
static inline int st_verify(int fd, const struct st_atom *a)
{
	struct scratch_stat st;
	char ids[33];
	int r = st_stat(fd, &a->id, &st);

	if (r)
		return r;
	if (st.offset != a->off || st.stored_len != a->len || st.length != a->len ||
	    st.xxh64 != a->xxh || st.type != a->type || st.atom_flags || st.nr_parts) {
		fprintf(stderr, "# atom %s: STAT off %llu/%llu len %llu/%llu length %llu "
			"xxh %llx/%llx type %u/%u flags %u parts %u\n",
			st_id_str(&a->id, ids),
			(unsigned long long)st.offset, (unsigned long long)a->off,
			(unsigned long long)st.stored_len, (unsigned long long)a->len,
			(unsigned long long)st.length,
			(unsigned long long)st.xxh64, (unsigned long long)a->xxh,
			st.type, a->type, st.atom_flags, st.nr_parts);
		return -EBADMSG;
	}
	return st_check_range(fd, a, 0, a->len);
}

/* ---- the raw drive under a detached space (corruption, verify) ------------------------- */

/*
 * pread or pwrite @len bytes at @off of a device, around stale cached copies
 * on either side (BLKFLSBUF before and after), durably for a write.
 */
static inline int st_dev_rw(const char *dev, bool wr, void *buf, size_t len, __u64 off)
{
	int fd = open(dev, (wr ? O_RDWR : O_RDONLY) | O_CLOEXEC), r = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	ioctl(fd, BLKFLSBUF, 0);
	n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	if (n != (ssize_t)len)
		r = n < 0 ? -errno : -EIO;
	if (!r && wr && fsync(fd))
		r = -errno;
	if (!r && ioctl(fd, BLKFLSBUF, 0))
		r = -errno;
	close(fd);
	return r;
}

/* Flip one bit of the byte at @off of a device. */
static inline int st_flip(const char *dev, __u64 off)
{
	unsigned char b;
	int r = st_dev_rw(dev, false, &b, 1, off);

	if (r)
		return r;
	b ^= 0x40;
	return st_dev_rw(dev, true, &b, 1, off);
}

/*
 * Device offset of space offset @off of a one-region space on @r: the
 * header formula (data from 1 MiB, segment i at i << seg_shift).
 */
static inline __u64 st_dev_pos(const struct st_region *r, __u64 off)
{
	return r->offset + SCRATCH_DISK_DATA_OFF + off;
}

/* ---- verification ----------------------------------------------------------------------- */

static inline int st_verify_id(int fd, const struct scratch_id *id, __u32 flags)
{
	struct scratch_verify v = { .size = sizeof(v), .flags = flags, .id = *id };

	return st_ioctl(fd, SCRATCH_IOC_VERIFY, &v);
}

/* STAT's SCRATCH_STAT_* bits of @id, or -errno. */
static inline int st_stat_status(int fd, const struct scratch_id *id)
{
	struct scratch_stat st;
	int r = st_stat(fd, id, &st);

	return r ? r : (int)st.status;
}

/* Results of a whole scrub walk (st_scrub_all). */
struct st_scrub_sum {
	__u64 calls, checked, bytes, errors, nr_bad;
	struct scratch_id bad[64];	/* the first 64 bad ids */
};

/*
 * Walk the whole space with SCRUB calls of @max_bytes each, collecting bad
 * ids @cap (1..64) at a time.  0 or the first failing call's -errno.
 */
static inline int st_scrub_all(int fd, __u32 flags, __u64 max_bytes, __u32 cap,
			       struct st_scrub_sum *sum)
{
	struct scratch_id ids[64];
	struct scratch_scrub sc = {
		.size = sizeof(sc), .flags = flags, .max_bytes = max_bytes,
		.bad_ids_addr = (uintptr_t)ids, .bad_ids_cap = cap,
	};
	__u32 i;
	int r;

	memset(sum, 0, sizeof(*sum));
	if (cap > 64)
		return -EINVAL;
	do {
		r = st_ioctl(fd, SCRATCH_IOC_SCRUB, &sc);
		if (r)
			return r;
		sum->calls++;
		sum->checked += sc.checked;
		sum->bytes += sc.bytes;
		sum->errors += sc.errors;
		for (i = 0; i < sc.nr_bad && i < cap; i++)
			if (sum->nr_bad + i < 64)
				sum->bad[sum->nr_bad + i] = ids[i];
		sum->nr_bad += sc.nr_bad;
		/* Safety net: a walk that never ends is a failure, not a hang. */
		if (sum->calls > 1000000)
			return -ELOOP;
	} while (sc.cursor != SCRATCH_SCRUB_END);
	return 0;
}

/* Drop CAP_SYS_ADMIN from this process (a forked child's). */
static inline int st_drop_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[0].effective &= ~(1U << CAP_SYS_ADMIN);
	d[0].permitted &= ~(1U << CAP_SYS_ADMIN);
	d[0].inheritable &= ~(1U << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

/* ---- io_uring ----------------------------------------------------------------- */

/* One io_uring read of @len bytes at @off, waited for; its cqe->res (or -errno). */
static inline int st_uring_read(struct io_uring *ring, int fd, void *buf, unsigned int len,
				__u64 off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int r;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, fd, buf, len, off);
	r = io_uring_submit_and_wait(ring, 1);
	if (r < 0)
		return r;
	r = io_uring_wait_cqe(ring, &cqe);
	if (r < 0)
		return r;
	r = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return r;
}

/* ---- shell ------------------------------------------------------------------ */

/* Run a shell command; its exit status, its stdout (up to @cap bytes) in @out; logged as TAP. */
static inline int st_sh(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int st_sh(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[1024];
	size_t n = 0;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	while (n + 1 < cap && fgets(out + n, (int)(cap - n), f))
		n += strlen(out + n);
	out[n] = 0;
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	fprintf(stderr, "# $ %s -> %d\n", cmd, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif /* SCRATCH_TEST_H */
