// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of atoms: exact bytes with a zero tail, every writable or private
 * mapping refused, mappings outliving their fd (and surviving fork and
 * partial munmap), pinned_segments tracking them, and detach refused while
 * any mapping exists.  No syscall that rebuilds a mapping from its file
 * (remap_file_pages, mremap) reaches bytes outside the mapped atom.
 */
#include <signal.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

ST_SPACE_FIXTURE(mm, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_MMAP, 20,
		 { st_dev(0), 0, 64 * ST_MIB })

static __u64 pinned(FIXTURE_DATA(mm) *self)
{
	return st_counter(self->sp.id, "pinned_segments");
}

/* Bytes [pos, pos + len) of @a mapped at @p are right; the rest of the last page is 0. */
static int check_map(const unsigned char *p, const struct st_atom *a, __u64 pos, __u64 maplen)
{
	__u64 n = ST_MIN(maplen, a->len - pos), i;

	if (st_check(p, n, a->seed, pos) >= 0)
		return -EBADMSG;
	for (i = n; i < ST_ROUND_UP(maplen, ST_PAGE); i++)
		if (p[i])
			return -EBADMSG;
	return 0;
}

ST_TEST_F(mm, bytes_exact)
{
	static const __u64 lens[] = { 1, 100, 4096, 3 * 4096 + 5, 200 * 1024 };
	struct st_atom a[ARRAY_SIZE(lens)];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++)
		ASSERT_EQ(0, st_put_n(self->sp.fd, &a[i], i, lens[i]));
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		__u64 full = ST_ROUND_UP(lens[i], ST_PAGE);
		unsigned char *p = st_mmap(self->sp.fd, lens[i], PROT_READ, MAP_SHARED, a[i].off);

		ASSERT_NE(MAP_FAILED, p) TH_LOG("atom %u: %s", i, strerror(errno));
		ASSERT_EQ(0, check_map(p, &a[i], 0, full)) TH_LOG("atom %u", i);
		/* Dropped and faulted back in from the page cache. */
		ASSERT_EQ(0, madvise(p, full, MADV_DONTNEED));
		ASSERT_EQ(0, check_map(p, &a[i], 0, full)) TH_LOG("atom %u after DONTNEED", i);
		ASSERT_EQ(0, st_munmap(p, lens[i]));

		/* The whole rounded length, and a tail starting at page 1. */
		p = st_mmap(self->sp.fd, full, PROT_READ, MAP_SHARED, a[i].off);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, check_map(p, &a[i], 0, full));
		ASSERT_EQ(0, st_munmap(p, full));
		if (full > ST_PAGE) {
			p = st_mmap(self->sp.fd, full - ST_PAGE, PROT_READ, MAP_SHARED,
				    a[i].off + ST_PAGE);
			ASSERT_NE(MAP_FAILED, p);
			ASSERT_EQ(0, check_map(p, &a[i], ST_PAGE, full - ST_PAGE));
			ASSERT_EQ(0, st_munmap(p, full - ST_PAGE));
		}
	}
	ASSERT_EQ(0ULL, pinned(self));
}

/* mmap(): expected errno, and no mapping left behind. */
#define ASSERT_MMAP_FAILS(err, len, prot, flags, off) do {			\
	void *__p;								\
	errno = 0;								\
	__p = st_mmap(self->sp.fd, len, prot, flags, off);			\
	ASSERT_EQ(MAP_FAILED, __p) TH_LOG("mmap(%s) succeeded", #prot ", " #flags);	\
	ASSERT_EQ(err, errno) TH_LOG("mmap(%s)", #prot ", " #flags);		\
} while (0)

ST_TEST_F(mm, refused)
{
	const __u64 len = 3 * ST_PAGE + 5;
	struct scratch_id rid;
	struct st_atom a;
	__u64 roff;
	void *p;
	int priv_err;

	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, len));
	ASSERT_MMAP_FAILS(EACCES, len, PROT_READ | PROT_WRITE, MAP_SHARED, a.off);
	ASSERT_MMAP_FAILS(EACCES, len, PROT_WRITE, MAP_SHARED, a.off);
	ASSERT_MMAP_FAILS(EINVAL, len, PROT_READ, MAP_PRIVATE, a.off);
	/* Private and writable: refused, by either rule. */
	errno = 0;
	p = st_mmap(self->sp.fd, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, a.off);
	priv_err = errno;
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_TRUE(priv_err == EINVAL || priv_err == EACCES);

	/* Longer than the atom's pages, from its start or from page 1. */
	ASSERT_MMAP_FAILS(EINVAL, 5 * ST_PAGE, PROT_READ, MAP_SHARED, a.off);
	ASSERT_MMAP_FAILS(EINVAL, 4 * ST_PAGE, PROT_READ, MAP_SHARED, a.off + ST_PAGE);
	/* Not a live atom: the segment header, and an open reservation. */
	ASSERT_MMAP_FAILS(ENOENT, ST_PAGE, PROT_READ, MAP_SHARED, 0);
	ASSERT_EQ(0, st_reserve(self->sp.fd, ST_PAGE, 0, &rid, &roff));
	ASSERT_MMAP_FAILS(ENOENT, ST_PAGE, PROT_READ, MAP_SHARED, roff);
	ASSERT_EQ(0, st_abort(self->sp.fd, &rid));
	ASSERT_MMAP_FAILS(ENOENT, ST_PAGE, PROT_READ, MAP_SHARED, roff);

	/* Failed mmaps pin nothing; the atom is unharmed. */
	ASSERT_EQ(0ULL, pinned(self));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a));
}

ST_TEST_F(mm, mprotect_write)
{
	struct st_atom a;
	unsigned char *p;

	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 2 * ST_PAGE));
	p = st_mmap(self->sp.fd, a.len, PROT_READ, MAP_SHARED, a.off);
	ASSERT_NE(MAP_FAILED, p);
	errno = 0;
	ASSERT_EQ(-1, mprotect(p, a.len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	errno = 0;
	ASSERT_EQ(-1, mprotect(p, ST_PAGE, PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(0, check_map(p, &a, 0, a.len));
	ASSERT_EQ(0, st_munmap(p, a.len));
	ASSERT_EQ(0, st_verify(self->sp.fd, &a));
}

ST_TEST_F(mm, survives_close)
{
	struct st_atom a;
	unsigned char *p;
	int fd2 = st_open(self->sp.id, -1);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, st_put_n(fd2, &a, 1, 50000));
	p = st_mmap(fd2, a.len, PROT_READ, MAP_SHARED, a.off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, st_close(fd2));
	ASSERT_EQ(0, check_map(p, &a, 0, a.len));
	ASSERT_EQ(0, madvise(p, a.len, MADV_DONTNEED));
	ASSERT_EQ(0, check_map(p, &a, 0, a.len));
	ASSERT_EQ(1ULL, pinned(self));
	ASSERT_EQ(0, st_munmap(p, a.len));
	ASSERT_EQ(0ULL, pinned(self));
}

/* pinned_segments counts segments with a mapping, in sysfs and INFO. */
ST_TEST_F(mm, pinned_segments)
{
	struct scratch_info info;
	struct st_atom a, b;
	unsigned char *pa, *pb, *pa2;

	/* 600 KiB each: two never share a 1 MiB segment. */
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 600 * ST_KIB));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &b, 2, 600 * ST_KIB));
	ASSERT_NE(st_id_seg(&a.id), st_id_seg(&b.id));
	ASSERT_EQ(0ULL, pinned(self));

	pa = st_mmap(self->sp.fd, a.len, PROT_READ, MAP_SHARED, a.off);
	ASSERT_NE(MAP_FAILED, pa);
	ASSERT_EQ(1ULL, pinned(self));
	ASSERT_EQ(0, st_info(self->sp.fd, &info));
	ASSERT_EQ(1ULL, info.pinned_segments);
	/* A second mapping of the same segment pins nothing new. */
	pa2 = st_mmap(self->sp.fd, ST_PAGE, PROT_READ, MAP_SHARED, a.off);
	ASSERT_NE(MAP_FAILED, pa2);
	ASSERT_EQ(1ULL, pinned(self));
	pb = st_mmap(self->sp.fd, b.len, PROT_READ, MAP_SHARED, b.off);
	ASSERT_NE(MAP_FAILED, pb);
	ASSERT_EQ(2ULL, pinned(self));

	ASSERT_EQ(0, st_munmap(pa, a.len));
	ASSERT_EQ(2ULL, pinned(self));	/* pa2 still maps a's segment */
	ASSERT_EQ(0, st_munmap(pa2, ST_PAGE));
	ASSERT_EQ(1ULL, pinned(self));
	ASSERT_EQ(0, check_map(pb, &b, 0, b.len));
	ASSERT_EQ(0, st_munmap(pb, b.len));
	ASSERT_EQ(0ULL, pinned(self));
	ASSERT_EQ(0, st_info(self->sp.fd, &info));
	ASSERT_EQ(0ULL, info.pinned_segments);
}

/* Unmapping part of a mapping keeps the rest working and pinned. */
ST_TEST_F(mm, partial_munmap)
{
	struct st_atom a;
	unsigned char *p;

	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 3 * ST_PAGE + 5));
	p = st_mmap(self->sp.fd, 4 * ST_PAGE, PROT_READ, MAP_SHARED, a.off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + ST_PAGE, ST_PAGE));
	ASSERT_EQ(1ULL, pinned(self));
	ASSERT_EQ(-1, st_check(p, ST_PAGE, a.seed, 0));
	ASSERT_EQ(0, check_map(p + 2 * ST_PAGE, &a, 2 * ST_PAGE, 2 * ST_PAGE));
	ASSERT_EQ(0, munmap(p, ST_PAGE));
	ASSERT_EQ(1ULL, pinned(self));
	ASSERT_EQ(0, st_munmap(p, 4 * ST_PAGE));
	ASSERT_EQ(0ULL, pinned(self));
}

/* A forked child shares the mapping: it pins until both are gone. */
ST_TEST_F(mm, fork_shares_mapping)
{
	int go[2], status;
	struct st_atom a;
	unsigned char *p;
	pid_t pid;

	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 20000));
	p = st_mmap(self->sp.fd, a.len, PROT_READ, MAP_SHARED, a.off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pipe(go));
	pid = st_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		/* Only the inherited mapping: no fd on the space. */
		close(self->sp.fd);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(check_map(p, &a, 0, a.len) ? 1 : 0);
	}
	close(go[0]);
	ASSERT_EQ(0, st_munmap(p, a.len));
	ASSERT_EQ(0, st_close(self->sp.fd));
	self->sp.fd = -1;
	/* The child's copy still pins: no detach. */
	ASSERT_EQ(1ULL, pinned(self));
	ASSERT_EQ(-EBUSY, st_detach(self->sp.id));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, st_waitpid(pid, &status));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0ULL, pinned(self));
	ASSERT_EQ(0, st_detach(self->sp.id));
	self->sp.up = false;
	close(go[1]);
}

/* Detach is refused while a mapping exists, even with every fd closed. */
ST_TEST_F(mm, detach_while_mapped)
{
	struct st_atom a;
	unsigned char *p;
	char path[96];

	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 12345));
	p = st_mmap(self->sp.fd, a.len, PROT_READ, MAP_SHARED, a.off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, st_close(self->sp.fd));
	self->sp.fd = -1;
	ASSERT_EQ(-EBUSY, st_detach(self->sp.id));
	ASSERT_EQ(-EBUSY, st_detach(self->sp.id));
	ASSERT_EQ(0, check_map(p, &a, 0, a.len));
	ASSERT_EQ(0, st_munmap(p, a.len));
	ASSERT_EQ(0, st_detach(self->sp.id));
	self->sp.up = false;
	snprintf(path, sizeof(path), "/sys/class/scratch/scratch%u", self->sp.id);
	ASSERT_NE(0, access(path, F_OK));
}

/* The file offset of the mapping at @p, from /proc/self/maps (the device's). */
static __u64 map_dev_off(const void *p)
{
	unsigned long lo, hi, off;
	char line[512];
	__u64 r = ~0ULL;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return r;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 &&
		    lo == (unsigned long)p)
			r = off;
	fclose(f);
	return r;
}

/*
 * remap_file_pages() re-runs mmap on the VMA's file at any page offset: on
 * a mapping whose file is the device, page 0 is the superblock and the other
 * pages are every tenant's atoms.  An atom mapping must not allow it, and
 * must still show its own bytes afterwards.
 */
ST_TEST_F(mm, remap_file_pages_refused)
{
	struct st_atom mine, theirs;
	unsigned char *p;
	__u64 dev;
	int fd2;

	fd2 = st_open(self->sp.id, 2);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, st_put_n(fd2, &theirs, 2, 3 * ST_PAGE));
	ASSERT_EQ(0, st_set_tenant(self->sp.fd, 1));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &mine, 1, 2 * ST_PAGE));
	p = st_mmap(self->sp.fd, mine.len, PROT_READ, MAP_SHARED, mine.off);
	ASSERT_NE(MAP_FAILED, p);
	dev = map_dev_off(p);
	ASSERT_NE(~0ULL, dev);
	/* Device page 0 (superblock), then the other tenant's atom. */
	EXPECT_EQ(-1, syscall(SYS_remap_file_pages, p, ST_PAGE, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, syscall(SYS_remap_file_pages, p + ST_PAGE, ST_PAGE, 0,
			      (dev + theirs.off - mine.off) / ST_PAGE, 0));
	EXPECT_EQ(0, check_map(p, &mine, 0, mine.len));
	/* Moved, shrunk or copied elsewhere, it stays this atom's pages. */
	p = mremap(p, mine.len, ST_PAGE, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(MAP_FAILED, mremap(p, ST_PAGE, 2 * ST_PAGE, MREMAP_MAYMOVE));
	EXPECT_EQ(MAP_FAILED, mremap(p, ST_PAGE, ST_PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
	EXPECT_EQ(0, check_map(p, &mine, 0, ST_PAGE));
	ASSERT_EQ(0, st_munmap(p, ST_PAGE));
	EXPECT_EQ(0ULL, pinned(self));
	ASSERT_EQ(0, st_close(fd2));
}

TEST_HARNESS_MAIN
