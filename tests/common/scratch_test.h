/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the scratch test programs: attach/detach spaces, put/get
 * atoms, deterministic byte patterns, sysfs counters, and the cleanup that
 * keeps one test's space from leaking into the next.  Declared here, defined
 * in the .c files next to it (one per section below), compiled once and linked
 * into every VM test, library VM test and crash program.
 *
 * Every helper returns 0 (or a count/fd) or -errno and never asserts: the
 * tests assert, and helpers stay usable from threads and forked children.
 * The macros that assert (ST_*) need the kselftest harness: include this
 * header after kselftest_harness.h.
 */
#ifndef SCRATCH_TEST_H
#define SCRATCH_TEST_H

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "sh.h"
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

struct st_region {
	const char *path;
	__u64 offset;
	__u64 length;	/* 0: to the end of the device */
};

struct st_space {
	__u32 id;	/* N of /dev/scratchN */
	int fd;		/* open on it, tenant 0; -1 if none */
	bool up;	/* attached */
};

/* An atom a test wrote: what it should read back as. */
struct st_atom {
	struct scratch_id id;
	__u64 off;	/* space offset from RESERVE */
	__u64 len;
	__u64 seed;
	__u64 xxh;
	__u16 type;
};

/* An atom array as a test builds it (st_array_build()): the part table, then the parts. */
#define ST_MAX_PARTS	256
struct st_array {
	__u32 n;
	__u64 len[ST_MAX_PARTS], off[ST_MAX_PARTS];	/* off: from the array's start */
	__u64 seed[ST_MAX_PARTS], xxh[ST_MAX_PARTS];
	__u64 stored_len, table_xxh;
	unsigned char *buf;	/* the stored bytes */
	struct scratch_id id;	/* from st_array_put() */
	__u64 at;		/* its space offset */
};

/* Results of a whole scrub walk (st_scrub_all). */
struct st_scrub_sum {
	__u64 calls, checked, bytes, errors, nr_bad;
	struct scratch_id bad[64];	/* the first 64 bad ids */
};

/* ---- test macros (the harness's _metadata and ASSERT_*) ------------------------- */

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

/*
 * The common fixture: FIXTURE(fix) whose only member is `struct st_space sp`,
 * set up by ST_SETUP_SPACE(&self->sp, feats, shift, regions...) and torn
 * down by ST_TEARDOWN().  Tests reach the space as self->sp.
 */
#define ST_SPACE_FIXTURE(fix, feats, shift, ...)				\
	FIXTURE(fix) {								\
		struct st_space sp;						\
	};									\
	FIXTURE_SETUP(fix)							\
	{									\
		ST_SETUP_SPACE(&self->sp, feats, shift, __VA_ARGS__);		\
	}									\
	FIXTURE_TEARDOWN(fix)							\
	{									\
		ST_TEARDOWN();							\
	}

/* ---- drives.c: the guest's drives, files, caches and shell ---------------------- */

/* Test drive @i (0 or 1): $SCRATCH_DRIVES (guest init) or /dev/nvme{0,1}n1. */
const char *st_dev(int i);
/* Can someone else claim @dev exclusively?  (The module must hold it.) */
int st_excl_open(const char *dev);
int st_dev_size(const char *path, __u64 *size);
/* Set or clear the block layer's read-only flag of a whole device. */
int st_dev_set_ro(const char *path, int ro);
/* Zero @len bytes at @off of a device, durably (so the module reads zeros). */
int st_dev_zero(const char *path, __u64 off, __u64 len);
/* A field of /proc/meminfo in bytes, or 0 when missing. */
__u64 st_meminfo(const char *field);
/* Write printf-formatted text to a sysfs, procfs, debugfs or cgroup file: 0/-errno. */
int st_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drop clean cached pages, the drives' page cache included. */
int st_drop_caches(void);
/* Drop CAP_SYS_ADMIN from this process (a forked child's). */
int st_drop_sys_admin(void);

/* ---- patterns.c: ids and byte patterns ------------------------------------------ */

bool st_id_eq(const struct scratch_id *a, const struct scratch_id *b);
/* The text form scratchctl uses: 32 hex digits of lo then hi. */
const char *st_id_str(const struct scratch_id *id, char out[33]);
/* Field access per the header's documented encoding (tests only). */
__u32 st_id_seg(const struct scratch_id *id);
__u32 st_id_gen(const struct scratch_id *id);
__u32 st_id_slot(const struct scratch_id *id);
struct scratch_id st_id_make(__u32 seg, __u32 gen, __u32 slot, __u32 part);
/* The id of part @i of array @arr. */
struct scratch_id st_part_id(const struct scratch_id *arr, __u32 i);

/* splitmix64's finaliser: the mixer behind seeds, patterns and st_rand(). */
__u64 st_mix(__u64 x);
/* A seed for the n-th atom of a test, unique per run ($SCRATCH_TEST_SEED replays). */
__u64 st_seed(__u64 n);
/* Fill @buf with the bytes [pos, pos + len) of the atom with @seed. */
void st_fill(void *buf, size_t len, __u64 seed, __u64 pos);
/* -1 if @buf holds bytes [pos, pos + len) of the atom with @seed, else the first wrong byte. */
long st_check(const void *buf, size_t len, __u64 seed, __u64 pos);
/* A small PRNG for test decisions (not for patterns). */
__u64 st_rand(__u64 *state);

/* ---- control.c: the control device, attach/detach, a space's node, sysfs -------- */

int st_ioctl(int fd, unsigned long req, void *arg);
int st_ctl_open(void);
/* One ioctl on a fresh fd of the control device. */
int st_ctl(unsigned long req, void *arg);
int st_features(struct scratch_features *f);
/* 0 if the module has every feature in @mask and the drives exist; 1 (why) to skip; -errno. */
int st_need(__u64 mask, char *why, size_t n);
/* Does the module have every feature in @mask? */
bool st_has(__u64 mask);

void st_spec(struct scratch_region_spec *s, const struct st_region *r);
/* ATTACH as given; a space it attaches is detached by teardown. */
int st_attach_raw(struct scratch_attach *a);
int st_attach(const struct st_region *regs, unsigned int n, unsigned int seg_shift, bool format,
	      __u32 *space_id);
int st_detach(__u32 space_id);
int st_list(__u32 *ids, __u32 capacity, __u32 *count);
bool st_listed(__u32 space_id);
/* Detach every attached space except @keep (-1: none); returns how many. */
int st_sweep(long keep);

int st_set_tenant(int fd, __u32 tenant);
/* /dev/scratchN (waiting for the node), bound to @tenant (-1: default); teardown closes it. */
int st_open_flags(__u32 space_id, int flags, long tenant);
int st_open(__u32 space_id, long tenant);	/* O_RDWR */
int st_close(int fd);
/* Sweep, format + attach, open.  On failure nothing stays attached. */
int st_space_create(struct st_space *sp, const struct st_region *regs, unsigned int n,
		    unsigned int shift);
/* Close the fixture's fd and detach; @sp can then be reattached. */
int st_space_down(struct st_space *sp);
/* Reattach @regs without FORMAT (reload) and open it again. */
int st_space_reload(struct st_space *sp, const struct st_region *regs, unsigned int n);

/* /sys/class/scratch/scratchN/<name> as a number. */
int st_sysfs(__u32 space_id, const char *name, __u64 *v);
/* The counter, or UINT64_MAX if it cannot be read (fails any sane assert). */
__u64 st_counter(__u32 space_id, const char *name);
int st_info(int fd, struct scratch_info *info);

/* ---- cleanup.c: what teardown undoes -------------------------------------------- */

void st_track_fd(int fd);
void st_untrack_fd(int fd);
void st_track_space(__u32 id);
void st_untrack_space(__u32 id);
/* mmap() that teardown undoes; MAP_FAILED and errno as mmap(). */
void *st_mmap(int fd, size_t len, int prot, int flags, __u64 off);
int st_munmap(void *p, size_t len);
/* fork() whose child teardown kills and reaps if the test did not. */
pid_t st_fork(void);
/* waitpid() for a child of st_fork(). */
pid_t st_waitpid(pid_t pid, int *status);
/* Reap children, unmap, close, detach; the number of spaces that would not detach. */
int st_cleanup(void);

/* ---- atoms.c: the atom calls, patterned atoms and arrays, verification, io_uring - */

int st_reserve(int fd, __u64 stored_len, __u32 nr_parts, struct scratch_id *id, __u64 *off);
int st_commit(int fd, const struct scratch_id *id, __u64 length, __u64 xxh, __u16 type,
	      __u16 atom_flags);
int st_abort(int fd, const struct scratch_id *id);
int st_stat(int fd, const struct scratch_id *id, struct scratch_stat *st);
/* PRESENT: the number of @ids present, results[i] = 1/0; or -errno. */
int st_present(int fd, const struct scratch_id *ids, __u32 count, __u8 *results);
int st_sync(int fd);
/* pwrite in chunks that start and end on a page (or at the end): the write protocol's rule. */
int st_write(int fd, const void *buf, size_t len, __u64 off);
/* pread exactly @len bytes (looping over short reads); -EIO on an early 0. */
int st_pread_full(int fd, void *buf, size_t len, __u64 off);
/* RESERVE + pwrite + COMMIT of @buf with its XXH64; ABORT on failure.  @off may be NULL. */
int st_put(int fd, const void *buf, size_t len, __u16 type, struct scratch_id *id, __u64 *off);
/* STAT + pread + XXH64 check into @buf: -EBADMSG on a mismatch, -ENOSPC if @cap is short. */
int st_get(int fd, const struct scratch_id *id, void *buf, size_t cap, struct scratch_stat *stp);

/* XXH64 (seed 0) of the first @len bytes of the atom with @seed. */
__u64 st_pattern_xxh(__u64 len, __u64 seed);
/* Write a->len bytes of pattern a->seed as one atom of a->type; fills id, off, xxh. */
int st_put_atom(int fd, struct st_atom *a);
/* Shorthand: atom @n of a test, @len bytes, written on @fd. */
int st_put_n(int fd, struct st_atom *a, __u64 n, __u64 len);
/* Bytes [pos, pos + len) of @a read back through pread exact?  0/-errno/-EBADMSG. */
int st_check_range(int fd, const struct st_atom *a, __u64 pos, __u64 len);
/* STAT fields and every byte as @a says: 0, -errno (e.g. -ENOENT), or -EBADMSG. */
int st_verify(int fd, const struct st_atom *a);

/* @n parts of @lens bytes (patterns st_seed(seedbase + i)) laid out, table filled; or NULL. */
struct st_array *st_array_build(__u32 n, const __u64 *lens, __u64 seedbase);
void st_array_free(struct st_array *A);
struct scratch_disk_part *st_array_table(struct st_array *A);
/* After a test changed the table: its checksum follows, so only the content is wrong. */
void st_array_rehash(struct st_array *A);
/* RESERVE (nr_parts = n) + write + COMMIT with @table_xxh and @type; the first error. */
int st_array_put(int fd, struct st_array *A, __u64 table_xxh, __u16 type);

int st_verify_id(int fd, const struct scratch_id *id, __u32 flags);
/* STAT's SCRATCH_STAT_* bits of @id, or -errno. */
int st_stat_status(int fd, const struct scratch_id *id);
/* The whole space in SCRUB calls of @max_bytes, bad ids @cap (1..64) at a time. */
int st_scrub_all(int fd, __u32 flags, __u64 max_bytes, __u32 cap, struct st_scrub_sum *sum);
/* One io_uring read of @len bytes at @off, waited for; its cqe->res (or -errno). */
int st_uring_read(struct io_uring *ring, int fd, void *buf, unsigned int len, __u64 off);

/* ---- raw.c: the drive under a detached space (geometry, corruption) ------------- */

/* Payload bytes of a segment of 2^shift bytes (the format's formula, recomputed). */
__u64 st_payload_bytes(unsigned int shift);
/* Segments of a region of @len bytes: 0 if it cannot hold two. */
__u64 st_region_segs(unsigned int shift, __u64 len);
/* Device offset of space offset @off of a one-region space on @r. */
__u64 st_dev_pos(const struct st_region *r, __u64 off);
/* pread or pwrite at @off of a device around stale cached copies; durably for a write. */
int st_dev_rw(const char *dev, bool wr, void *buf, size_t len, __u64 off);
/* XOR the byte at @off of a device with @mask. */
int st_xor(const char *dev, __u64 off, unsigned char mask);
/* Flip one bit (0x40) of the byte at @off of a device. */
int st_flip(const char *dev, __u64 off);

/* ---- loadopts.c: the options the load programs (tests/crash/) share ------------- */

/* The region on each device and its segment size. */
struct st_load_opts {
	__u64 offset;		/* --offset-mib */
	__u64 length;		/* --region-mib; 0: to the end of the device */
	unsigned int shift;	/* --seg-shift */
};

/*
 * getopt_long over @argv from optind: the options of struct st_load_opts
 * into @o (which holds the defaults), every option of @extra (a table
 * ended by a NULL name; not 'o', 'l' or 's') through @opt(c, optarg).
 * Returns 0, or -1 on an unknown option or when @opt returns non-zero.
 */
int st_load_getopt(int argc, char **argv, const struct option *extra, struct st_load_opts *o,
		   int (*opt)(int c, char *arg));

#endif /* SCRATCH_TEST_H */
