// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall-sequence fuzzer for /dev/scratchN: processes bound to different
 * tenants run random sequences, reproducible by seed, of every operation the
 * module offers (reserve/write/commit/abort of atoms and arrays, pread,
 * preadv, O_DIRECT and io_uring reads of every size, mmap/munmap/mremap/
 * mprotect/madvise/remap_file_pages, stat, present, horizon, eviction
 * events, verify, scrub, sync, fsync, fork, fd churn, garbage ioctls) on a space small enough to evict
 * all the time, while the parent drops the page cache and SIGKILLs workers
 * mid-call and starts new ones.
 *
 * The oracle needs no model of the kernel: every 8-byte word of a payload is
 * (tag << 32 | word index), where the tag names the tenant and the atom (or
 * array part).  So any byte a process reads says whose it is and where it
 * belongs: a read returns the atom it asked for, exactly and whole, or an
 * error; a read at an offset whose atom was evicted meanwhile may return
 * another atom of the same tenant, whole-page aligned and consistent; bytes
 * of another tenant, of a reservation, of no atom, or of two atoms at once
 * are a failure.  Another tenant's ids are missing for STAT and PRESENT.  A
 * mapping's bytes never change.  At the end every atom present after a last
 * SYNC must come back, byte-exact, after detach and reattach.
 *
 * Usage: sysfuzz [--seconds N] [--seed S] [--procs P] [--skip OP,...]
 *   (environment: SCRATCH_FUZZ_SECONDS, SCRATCH_FUZZ_SEED, SCRATCH_FUZZ_SKIP; default 40 s,
 *   a random seed, nothing skipped.  In the test VM, run.sh --append "SCRATCH_FUZZ_SKIP=remap"
 *   reaches it: the kernel hands unknown name=value parameters to init's environment.)
 *   OPs to skip: remap (remap_file_pages on mappings), kill (the parent's SIGKILLs), fork,
 *   uring (io_uring reads and writes), direct, map, scrub, garbage, churn, array.
 * Prints TAP; a failure names the seed, the process, its incarnation and the op.
 */
#include <getopt.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#include "scratch_test.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define FZ_SHIFT	20			/* 1 MiB segments */
#define FZ_REGION	(40 * ST_MIB)		/* ~38 segments: evicts all the time */
#define FZ_LEDGER	16384			/* atoms remembered (a ring) */
#define FZ_MAPS		6
#define FZ_TENANTS	4			/* tenants 1..3 plain, 4 arrays */
#define FZ_ARRAY_TENANT	4
#define FZ_MAX_LEN	(512 * ST_KIB)
#define FZ_BUF		(2 * FZ_MAX_LEN)
#define FZ_STALE	0xee			/* tenant byte of the bytes there before the format */
#define FZ_EVENTS	8192			/* evictions a process remembers */

/* ---- shared state ---------------------------------------------------------------------- */

struct fz_atom {
	__u32 ver;		/* odd while written: a seqlock */
	__u32 tenant;
	struct scratch_id id;
	__u64 off;
	__u64 len;		/* stored bytes */
	__u32 nr_parts;
	__u32 pad;
	__u64 commit_seq;
};

struct fz_shared {
	__u64 next;		/* ledger slots handed out */
	__u64 commit_seq;	/* commits completed */
	__u64 synced_upto;	/* commits made durable by a SYNC that returned 0 */
	__u64 ops, reads, bytes_ok, missing, maps, kills, syncs, puts, arrays, forks, uring;
	__u64 ev_present, ev_gone;	/* ids checked against eviction events */
	int failed;
	char why[1024];
	struct fz_atom atoms[FZ_LEDGER];
};

static struct fz_shared *sh;
static __u32 space_id;
static __u64 seed0;
static char skip[256];

/* Is operation @op skipped (--skip)? */
static bool fz_skip(const char *op)
{
	size_t n = strlen(op);
	const char *p = skip;

	while ((p = strstr(p, op))) {
		if ((p == skip || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/* ---- per process ------------------------------------------------------------------------ */

struct fz {
	int idx;		/* worker number */
	int gen;		/* incarnation */
	__u64 rng;
	__u64 op;
	__u32 tenant;
	int fd;
	int dfd;		/* O_DIRECT, same tenant; -1 if unsupported */
	struct io_uring ring;
	bool ring_ok;
	unsigned char *buf, *dbuf;
	struct { unsigned char *p; size_t len; __u32 tag; __u64 word0; } map[FZ_MAPS];
	/* Eviction events followed from the start (fz_events); blind once any is lost. */
	int efd;
	__u64 ecur;
	struct scratch_eviction *ev;
	unsigned int nev;
	bool eblind;
};

static __u64 fz_rand(struct fz *z)
{
	return st_rand(&z->rng);
}

static __u64 fz_below(struct fz *z, __u64 n)
{
	return n ? fz_rand(z) % n : 0;
}

static void __attribute__((format(printf, 2, 3))) fz_fail(struct fz *z, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!__atomic_exchange_n(&sh->failed, 1, __ATOMIC_SEQ_CST))
		snprintf(sh->why, sizeof(sh->why), "seed %llu worker %d incarnation %d op %llu "
			 "tenant %u: %s", (unsigned long long)seed0, z ? z->idx : -1,
			 z ? z->gen : 0, z ? (unsigned long long)z->op : 0ULL,
			 z ? z->tenant : 0, msg);
	_exit(3);
}

/* ---- payloads ---------------------------------------------------------------------------- */

static __u32 fz_tag(__u32 tenant, const struct scratch_id *id)
{
	__u64 h = st_mix(id->lo * 0x9e3779b97f4a7c15ULL ^ st_mix(id->hi + tenant));

	return tenant << 24 | (__u32)(h & 0xffffff);
}

static __u32 fz_tag_tenant(__u32 tag)
{
	return tag >> 24;
}

/* Bytes [pos, pos + n) of a payload tagged @tag. */
static void fz_fill(unsigned char *p, __u64 pos, size_t n, __u32 tag)
{
	while (n) {
		__u64 w = (__u64)tag << 32 | (__u32)(pos / 8);
		size_t o = pos % 8, k = ST_MIN(n, 8 - o);
		unsigned char b[8];

		memcpy(b, &w, 8);
		memcpy(p, b + o, k);
		p += k;
		pos += k;
		n -= k;
	}
}

/*
 * What bytes [pos, pos + n) read at space offset @off can be: the payload
 * tagged @want at that position, or, if @other, any payload of @tenant
 * that starts on a page boundary (an atom that took the evicted one's place).
 * Zero bytes past @valid (the zero tail of an atom's last page) are allowed
 * only when @tail.  Returns 0, or fails the process with @what.
 */
static void fz_check(struct fz *z, const unsigned char *p, __u64 off, __u64 pos, size_t n,
		     __u32 want, bool other, const char *what)
{
	__u64 w, start;
	__u32 tag;
	size_t i;

	if (!n)
		return;
	/* The first whole word says whose the bytes are. */
	i = (8 - pos % 8) % 8;
	if (i + 8 > n) {
		unsigned char e[16];

		fz_fill(e, pos, n, want);
		if (!memcmp(e, p, n))
			return;
		if (other)
			return;	/* too short to tell; the length checks still apply */
		fz_fail(z, "%s: %zu bytes at %llu differ from the atom's", what, n,
			(unsigned long long)pos);
	}
	memcpy(&w, p + i, 8);
	tag = (__u32)(w >> 32);
	if (fz_tag_tenant(tag) == FZ_STALE)
		fz_fail(z, "%s: word at %llu is %#llx: bytes from before the format, which no "
			"atom of this run wrote (space offset %llu)", what,
			(unsigned long long)(pos + i), (unsigned long long)w,
			(unsigned long long)(off + i));
	if (tag != want) {
		if (!other || fz_tag_tenant(tag) != z->tenant)
			fz_fail(z, "%s: word at %llu is %#llx: tag %#x (tenant %u), expected %#x",
				what, (unsigned long long)(pos + i), (unsigned long long)w, tag,
				fz_tag_tenant(tag), want);
		/* Another atom of ours: it must start on a page boundary before off. */
		start = off + i - (__u64)(__u32)w * 8;
		if (start % ST_PAGE || start > off + i)
			fz_fail(z, "%s: word %#llx at space offset %llu: an atom starting at %llu",
				what, (unsigned long long)w, (unsigned long long)(off + i),
				(unsigned long long)start);
		pos = (__u64)(__u32)w * 8 - i;
	}
	{
		unsigned char e[4096];
		size_t done = 0;

		while (done < n) {
			size_t k = ST_MIN(n - done, sizeof(e));

			fz_fill(e, pos + done, k, tag);
			if (memcmp(e, p + done, k)) {
				size_t j = 0;

				while (j < k && e[j] == p[done + j])
					j++;
				__u64 got = 0, exp = 0, b = (done + j) & ~7ULL;

				if (b + 8 <= n) {
					memcpy(&got, p + b, 8);
					fz_fill((unsigned char *)&exp, pos + b, 8, tag);
				}
				fz_fail(z, "%s: byte %llu of the atom (tag %#x) is %#x, expected %#x "
					"(byte %zu of %zu read at space offset %llu; word there %#llx, "
					"expected %#llx; first word at %llu)", what,
					(unsigned long long)(pos + done + j), tag, p[done + j], e[j],
					done + j, n, (unsigned long long)off, (unsigned long long)got,
					(unsigned long long)exp, (unsigned long long)pos);
			}
			done += k;
		}
	}
}

/* ---- the ledger ----------------------------------------------------------------------------- */

static void fz_ledger_add(const struct fz_atom *a)
{
	__u64 n = __atomic_fetch_add(&sh->next, 1, __ATOMIC_SEQ_CST);
	struct fz_atom *e = &sh->atoms[n % FZ_LEDGER];
	__u32 v = __atomic_load_n(&e->ver, __ATOMIC_ACQUIRE);

	__atomic_store_n(&e->ver, v | 1, __ATOMIC_RELEASE);
	e->tenant = a->tenant;
	e->id = a->id;
	e->off = a->off;
	e->len = a->len;
	e->nr_parts = a->nr_parts;
	e->commit_seq = a->commit_seq;
	__atomic_store_n(&e->ver, (v | 1) + 1, __ATOMIC_RELEASE);
}

/* A random ledger entry (of @tenant if nonzero), consistent; false if none. */
static bool fz_ledger_pick(struct fz *z, __u32 tenant, struct fz_atom *out)
{
	__u64 n = __atomic_load_n(&sh->next, __ATOMIC_ACQUIRE);
	int tries;

	for (tries = 0; tries < 16 && n; tries++) {
		__u64 span = ST_MIN(n, (__u64)FZ_LEDGER);
		struct fz_atom *e = &sh->atoms[(n - 1 - fz_below(z, span)) % FZ_LEDGER];
		__u32 v = __atomic_load_n(&e->ver, __ATOMIC_ACQUIRE);

		if (v & 1 || !v)
			continue;
		memcpy(out, e, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->ver, __ATOMIC_ACQUIRE) != v)
			continue;
		if (tenant && out->tenant != tenant)
			continue;
		return true;
	}
	return false;
}

/* ---- writing ------------------------------------------------------------------------------ */

static int fz_write_range(struct fz *z, const unsigned char *b, __u64 len, __u64 off)
{
	int mode = (int)fz_below(z, 4);
	__u64 pos = 0;

	while (pos < len) {
		/* Page-aligned pieces: the write rules want whole pages or the end. */
		__u64 n = len - pos;
		ssize_t r;

		if (mode >= 2 && n > ST_PAGE)
			n = ST_PAGE * (1 + fz_below(z, n / ST_PAGE));
		if (mode == 2 && z->ring_ok && !fz_skip("uring")) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&z->ring);
			struct io_uring_cqe *cqe;

			io_uring_prep_write(sqe, z->fd, b + pos, (unsigned int)n, off + pos);
			r = io_uring_submit_and_wait(&z->ring, 1);
			if (r >= 0)
				r = io_uring_wait_cqe(&z->ring, &cqe);
			if (r >= 0) {
				r = cqe->res;
				io_uring_cqe_seen(&z->ring, cqe);
			}
			if (r < 0)
				return (int)r;
		} else if (mode == 3 && n >= 2) {
			struct iovec iov[2] = {
				{ (void *)(b + pos), (size_t)(n / 2) },
				{ (void *)(b + pos + n / 2), (size_t)(n - n / 2) },
			};

			r = pwritev(z->fd, iov, 2, (off_t)(off + pos));
			if (r < 0)
				return -errno;
		} else {
			r = pwrite(z->fd, b + pos, n, (off_t)(off + pos));
			if (r < 0)
				return -errno;
		}
		if (r == 0)
			return -EIO;
		pos += (__u64)r;
	}
	return 0;
}

static __u64 fz_len(struct fz *z)
{
	switch (fz_below(z, 8)) {
	case 0:
		return 1 + fz_below(z, 64);
	case 1:
	case 2:
		return ST_PAGE * (1 + fz_below(z, 4));
	case 3:
		return 1 + fz_below(z, 16 * ST_KIB);
	case 4:
	case 5:
		return 1 + fz_below(z, 128 * ST_KIB);
	default:
		return 1 + fz_below(z, FZ_MAX_LEN);
	}
}

/*
 * COMMIT @a, @len bytes of @type, and put it in the ledger; @count is the
 * kind's counter, @what names the call in a failure.
 */
static void fz_commit(struct fz *z, struct fz_atom *a, __u64 len, __u64 xxh, __u16 type,
		      const char *what, __u64 *count)
{
	int r = st_commit(z->fd, &a->id, len, xxh, type, 0);

	if (r)
		fz_fail(z, "%s: %s", what, strerror(-r));
	a->len = len;
	a->commit_seq = __atomic_add_fetch(&sh->commit_seq, 1, __ATOMIC_SEQ_CST);
	fz_ledger_add(a);
	__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
}

/* An atom of random length; committed, aborted, or left reserved (the fd's close drops it). */
static void fz_put(struct fz *z)
{
	struct fz_atom a = { .tenant = z->tenant };
	__u64 len = fz_len(z);
	int r, fate = (int)fz_below(z, 40);

	r = st_reserve(z->fd, len, 0, &a.id, &a.off);
	if (r == -ENOSPC || r == -EINTR || r == -EDQUOT)
		return;
	if (r)
		fz_fail(z, "RESERVE %llu: %s", (unsigned long long)len, strerror(-r));
	fz_fill(z->buf, 0, len, fz_tag(z->tenant, &a.id));
	r = fz_write_range(z, z->buf, len, a.off);
	if (r)
		fz_fail(z, "write of a reservation: %s", strerror(-r));
	if (fate == 0) {
		r = st_abort(z->fd, &a.id);
		if (r)
			fz_fail(z, "ABORT: %s", strerror(-r));
		return;
	}
	if (fate == 1)
		return;
	fz_commit(z, &a, len, XXH64(z->buf, len, 0), 1, "COMMIT", &sh->puts);
}

/* An array: part table, then parts on page boundaries, each part tagged by its part id. */
static void fz_put_array(struct fz *z)
{
	__u32 nr = 1 + (__u32)fz_below(z, 6), i;
	struct scratch_disk_part *tab;
	__u64 lens[8], off = ST_PAGE, len;
	struct fz_atom a = { .tenant = z->tenant, .nr_parts = nr };
	int r;

	for (i = 0; i < nr; i++) {
		lens[i] = fz_below(z, 3) ? 1 + fz_below(z, 40 * ST_KIB) : 0;
		off = ST_ROUND_UP(off, ST_PAGE) + lens[i];
	}
	len = off;
	r = st_reserve(z->fd, len, nr, &a.id, &a.off);
	if (r == -ENOSPC || r == -EINTR || r == -EDQUOT)
		return;
	if (r)
		fz_fail(z, "RESERVE array of %u parts, %llu bytes: %s", nr,
			(unsigned long long)len, strerror(-r));
	memset(z->buf, 0, len);
	tab = (void *)z->buf;
	for (off = ST_PAGE, i = 0; i < nr; i++) {
		struct scratch_id pid = st_part_id(&a.id, i);

		off = ST_ROUND_UP(off, ST_PAGE);
		fz_fill(z->buf + off, 0, lens[i], fz_tag(z->tenant, &pid));
		tab[i].off = htole64(off);
		tab[i].len = htole64(lens[i]);
		tab[i].xxh64 = htole64(XXH64(z->buf + off, lens[i], 0));
		off += lens[i];
	}
	r = fz_write_range(z, z->buf, len, a.off);
	if (r)
		fz_fail(z, "write of an array: %s", strerror(-r));
	fz_commit(z, &a, len, XXH64(tab, nr * sizeof(*tab), 0), 2, "COMMIT array", &sh->arrays);
}

/* ---- reading ------------------------------------------------------------------------------ */

/* One read of @n bytes at @off into @b by a random path: the count or -errno. */
static ssize_t fz_read_any(struct fz *z, unsigned char *b, size_t n, __u64 off, int *how)
{
	ssize_t r;

	*how = (int)fz_below(z, z->ring_ok && !fz_skip("uring") ? 4 : 2);
	if (*how == 0) {
		r = pread(z->fd, b, n, (off_t)off);
	} else if (*how == 1) {
		struct iovec iov[3] = { { b, n / 3 }, { b + n / 3, n / 3 }, { b + 2 * (n / 3), n - 2 * (n / 3) } };

		r = preadv(z->fd, iov, 3, (off_t)off);
	} else {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&z->ring);
		struct io_uring_cqe *cqe;
		int e;

		io_uring_prep_read(sqe, z->fd, b, (unsigned int)n, off);
		e = io_uring_submit_and_wait(&z->ring, 1);
		if (e >= 0)
			e = io_uring_wait_cqe(&z->ring, &cqe);
		if (e < 0)
			fz_fail(z, "io_uring: %s", strerror(-e));
		r = cqe->res;
		io_uring_cqe_seen(&z->ring, cqe);
		__atomic_add_fetch(&sh->uring, 1, __ATOMIC_RELAXED);
		return r;
	}
	return r < 0 ? -errno : r;
}

static const char *const fz_how[] = { "pread", "preadv", "io_uring", "io_uring" };

/*
 * Read an atom of the ledger (any tenant's) at a random position, for a
 * random length (often past its end).  Its own bytes, whole; another atom of
 * ours that took its place; or ENOENT/EBADMSG.
 */
static void fz_read(struct fz *z)
{
	struct fz_atom a;
	__u64 rel, want, n;
	__u32 tag;
	ssize_t r;
	int how;
	char what[96];

	if (!fz_ledger_pick(z, fz_below(z, 4) ? z->tenant : 0, &a) || a.nr_parts)
		return;
	rel = fz_below(z, 3) ? 0 : ST_PAGE * fz_below(z, a.len / ST_PAGE + 1);
	if (rel >= a.len)
		rel = 0;
	n = fz_below(z, 2) ? a.len - rel : 1 + fz_below(z, FZ_BUF - 1);
	if (fz_below(z, 4) == 0)
		n = ST_MIN((__u64)FZ_BUF, (a.len - rel) * 4 + ST_PAGE);
	memset(z->buf, 0xa5, n);
	r = fz_read_any(z, z->buf, n, a.off + rel, &how);
	snprintf(what, sizeof(what), "%s of %llu at %llu of an atom of %llu (tenant %u)",
		 fz_how[how], (unsigned long long)n, (unsigned long long)rel,
		 (unsigned long long)a.len, a.tenant);
	__atomic_add_fetch(&sh->reads, 1, __ATOMIC_RELAXED);
	if (r == -ENOENT || r == -EBADMSG) {
		__atomic_add_fetch(&sh->missing, 1, __ATOMIC_RELAXED);
		return;
	}
	if (r == -EINTR)
		return;
	if (r <= 0)
		fz_fail(z, "%s: %s", what, r ? strerror((int)-r) : "0 bytes");
	if ((__u64)r > n)
		fz_fail(z, "%s: %zd bytes", what, r);
	tag = fz_tag(a.tenant, &a.id);
	if (a.tenant != z->tenant) {
		/* Another tenant's atom is missing; what is there now must be ours. */
		fz_check(z, z->buf, a.off + rel, rel, (size_t)r, 0, true, what);
		return;
	}
	fz_check(z, z->buf, a.off + rel, rel, (size_t)r, tag, true, what);
	want = ST_MIN(n, a.len - rel);
	{
		__u64 w0;

		if (r >= 8 + (ssize_t)((8 - rel % 8) % 8)) {
			memcpy(&w0, z->buf + (8 - rel % 8) % 8, 8);
			if ((__u32)(w0 >> 32) == tag && (__u64)r != want)
				fz_fail(z, "%s: %zd bytes, the atom has %llu from there", what, r,
					(unsigned long long)want);
		}
	}
	/* Nothing written past what was returned. */
	if ((__u64)r < n && z->buf[r] != 0xa5 && how != 1)
		fz_fail(z, "%s: byte %zd past the %zd returned was written", what, r, r);
	__atomic_add_fetch(&sh->bytes_ok, (__u64)r, __ATOMIC_RELAXED);
}

/* O_DIRECT: sector-rounded, page-aligned buffer; the atom's bytes, then the zero tail. */
static void fz_read_direct(struct fz *z)
{
	struct fz_atom a;
	__u64 n;
	ssize_t r;

	if (z->dfd < 0 || fz_skip("direct") || !fz_ledger_pick(z, z->tenant, &a) || a.nr_parts)
		return;
	n = ST_ROUND_UP(a.len, ST_PAGE);
	r = pread(z->dfd, z->dbuf, n, (off_t)a.off);
	if (r < 0 && (errno == ENOENT || errno == EBADMSG || errno == EINTR))
		return;
	if (r <= 0)
		fz_fail(z, "O_DIRECT read of %llu: %s", (unsigned long long)n,
			r ? strerror(errno) : "0 bytes");
	fz_check(z, z->dbuf, a.off, 0, (size_t)r, fz_tag(a.tenant, &a.id), true, "O_DIRECT read");
	__atomic_add_fetch(&sh->reads, 1, __ATOMIC_RELAXED);
}

/* A part of an array: STAT gives its place, then a read; the same oracle. */
static void fz_read_part(struct fz *z)
{
	struct scratch_stat st;
	struct scratch_id pid;
	struct fz_atom a;
	__u32 i;
	ssize_t r;

	if (!fz_ledger_pick(z, z->tenant, &a) || !a.nr_parts)
		return;
	i = (__u32)fz_below(z, a.nr_parts);
	pid = st_part_id(&a.id, i);
	r = st_stat(z->fd, &pid, &st);
	if (r == -ENOENT || r == -EBADMSG || r == -EINTR)
		return;
	if (r)
		fz_fail(z, "STAT part %u: %s", i, strerror((int)-r));
	if (!st.stored_len)
		return;
	r = pread(z->fd, z->buf, st.stored_len, (off_t)st.offset);
	if (r < 0 && (errno == ENOENT || errno == EBADMSG || errno == EINTR))
		return;
	if (r < 0)
		fz_fail(z, "read of part %u: %s", i, strerror(errno));
	fz_check(z, z->buf, st.offset, 0, (size_t)r, fz_tag(z->tenant, &pid), true, "part read");
	__atomic_add_fetch(&sh->reads, 1, __ATOMIC_RELAXED);
}

/* Several io_uring reads in flight at once, cold or warm, some oversized. */
static void fz_read_batch(struct fz *z)
{
	struct fz_atom a[8];
	__u64 n[8];
	int k, cnt = 0, i;

	if (!z->ring_ok || fz_skip("uring"))
		return;
	for (k = 0; k < 8; k++) {
		struct io_uring_sqe *sqe;

		if (!fz_ledger_pick(z, z->tenant, &a[cnt]) || a[cnt].nr_parts)
			continue;
		/* Some past the atom's end; never past this read's slot of the buffer. */
		n[cnt] = a[cnt].len + fz_below(z, 3) * ST_PAGE;
		n[cnt] = ST_MIN(n[cnt], (__u64)FZ_BUF / 8);
		if (a[cnt].len > n[cnt])
			continue;
		sqe = io_uring_get_sqe(&z->ring);
		if (!sqe)
			break;
		io_uring_prep_read(sqe, z->fd, z->buf + cnt * (FZ_BUF / 8), (unsigned int)n[cnt],
				   a[cnt].off);
		io_uring_sqe_set_data64(sqe, cnt);
		cnt++;
	}
	if (!cnt)
		return;
	if (io_uring_submit_and_wait(&z->ring, cnt) < 0)
		fz_fail(z, "io_uring batch submit: %s", strerror(errno));
	for (i = 0; i < cnt; i++) {
		struct io_uring_cqe *cqe;
		int j, r;

		if (io_uring_wait_cqe(&z->ring, &cqe))
			fz_fail(z, "io_uring batch wait");
		j = (int)io_uring_cqe_get_data64(cqe);
		r = cqe->res;
		io_uring_cqe_seen(&z->ring, cqe);
		if (r == -ENOENT || r == -EBADMSG || r == -EINTR)
			continue;
		if (r < 0)
			fz_fail(z, "io_uring batch read: %s", strerror(-r));
		if ((__u64)r > n[j])
			fz_fail(z, "io_uring batch read %d of %d: %d bytes for a read of %llu at %llu",
				j, cnt, r, (unsigned long long)n[j], (unsigned long long)a[j].off);
		fz_check(z, z->buf + j * (FZ_BUF / 8), a[j].off, 0, (size_t)r,
			 fz_tag(z->tenant, &a[j].id), true, "io_uring batch read");
	}
	__atomic_add_fetch(&sh->uring, cnt, __ATOMIC_RELAXED);
}

/* ---- mappings ----------------------------------------------------------------------------- */

static void fz_map_check(struct fz *z, int i, const char *what)
{
	__u64 w;

	memcpy(&w, z->map[i].p, 8);
	if (w != z->map[i].word0)
		fz_fail(z, "%s: a mapping's first word changed from %#llx to %#llx", what,
			(unsigned long long)z->map[i].word0, (unsigned long long)w);
	fz_check(z, z->map[i].p, 0, (__u64)(__u32)w * 8, z->map[i].len, z->map[i].tag, false,
		 what);
}

/*
 * A page that starts an atom shorter than a word: word index 0, a few tag
 * bytes, then the zero tail to the end of the page (its tenant byte is 0).
 */
static bool fz_short_atom(const unsigned char *p)
{
	size_t i;

	if (p[0] | p[1] | p[2] | p[3] | p[7])
		return false;
	for (i = 8; i < ST_PAGE; i++)
		if (p[i])
			return false;
	return true;
}

static void fz_map(struct fz *z)
{
	struct fz_atom a;
	unsigned char *p;
	__u64 w;
	int i;

	/* With every slot taken, a probe: mapped, checked and unmapped at once. */
	for (i = 0; i < FZ_MAPS && z->map[i].p; i++)
		;
	if (fz_skip("map") || !fz_ledger_pick(z, z->tenant, &a) || a.nr_parts)
		return;
	p = mmap(NULL, a.len, PROT_READ, fz_below(z, 8) ? MAP_SHARED : MAP_PRIVATE, z->fd,
		 (off_t)a.off);
	if (p == MAP_FAILED) {
		if (errno == ENOENT || errno == EBADMSG || errno == EINVAL || errno == EINTR ||
		    errno == ENOMEM || errno == EDQUOT)
			return;
		fz_fail(z, "mmap of %llu: %s", (unsigned long long)a.len, strerror(errno));
	}
	if (a.len < 8) {
		/* Too short to carry a whole word: its bytes or another atom's, untold. */
		munmap(p, a.len);
		return;
	}
	memcpy(&w, p, 8);
	if ((__u32)(w >> 32) != fz_tag(a.tenant, &a.id)) {
		__u64 tail = 0;
		ssize_t tn;

		/*
		 * Another atom of ours took its place (the offset may fall in
		 * its middle): its first word says so; its length is unknown.
		 * If that atom ends less than 8 bytes past the offset, its word
		 * is cut before the tenant byte of its tag: a read of ours (our
		 * tenant's atoms only) returns those few bytes, the same.
		 */
		tn = pread(z->fd, &tail, 8, (off_t)a.off);
		if (tn > 0 && tn < 8 && !memcmp(p, &tail, 8)) {
			munmap(p, a.len);
			return;
		}
		if (!fz_short_atom(p) && fz_tag_tenant((__u32)(w >> 32)) != z->tenant) {
			/* About to fail: what the read path and a second look say, for the report. */
			__u64 r8 = 0, w2;
			ssize_t n = pread(z->fd, &r8, 8, (off_t)a.off);

			memcpy(&w2, p, 8);
			printf("# fz_map: tenant %u offset %llu: mapping word %#llx, again %#llx; "
			       "pread %zd: %#llx\n", z->tenant, (unsigned long long)a.off,
			       (unsigned long long)w, (unsigned long long)w2, n,
			       (unsigned long long)r8);
		}
		if (!fz_short_atom(p))
			fz_check(z, p, a.off, 0, 8, 0, true, "mmap of an atom replaced");
		munmap(p, a.len);
		return;
	}
	if ((__u32)w)
		fz_fail(z, "mmap of an atom starts at its word %u", (__u32)w);
	if (i == FZ_MAPS) {
		fz_check(z, p, a.off, 0, a.len, (__u32)(w >> 32), false, "probe mapping");
		munmap(p, a.len);
		__atomic_add_fetch(&sh->maps, 1, __ATOMIC_RELAXED);
		return;
	}
	z->map[i].p = p;
	z->map[i].len = a.len;
	z->map[i].tag = (__u32)(w >> 32);
	z->map[i].word0 = w;
	fz_map_check(z, i, "new mapping");
	__atomic_add_fetch(&sh->maps, 1, __ATOMIC_RELAXED);
}

/* Something done to a live mapping; its bytes must not change. */
static void fz_map_poke(struct fz *z)
{
	static const int advice[] = { MADV_DONTNEED, MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT };
	int i = (int)fz_below(z, FZ_MAPS);
	unsigned char *p = z->map[i].p, *q;
	size_t len = z->map[i].len, pl = ST_ROUND_UP(len, ST_PAGE);
	__u64 what;

	if (!p)
		return;
	what = fz_below(z, 9);
	switch (what) {
	case 0:
	case 1:
	case 2:
	case 3:
		madvise(p, pl, advice[what]);
		break;
	case 4:
		if (!mprotect(p, pl, PROT_READ | PROT_WRITE))
			fz_fail(z, "mprotect of a mapping to writable succeeded");
		break;
	case 5:
		/* Rebuilding the mapping from its file would reach the whole drive. */
		if (!fz_skip("remap") && !syscall(SYS_remap_file_pages, p, ST_PAGE, 0, fz_below(z, 1 << 16), 0))
			fz_fail(z, "remap_file_pages on an atom mapping succeeded");
		break;
	case 6:
		/* Moved elsewhere. */
		q = mremap(p, pl, pl, MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			fz_fail(z, "mremap move: %s", strerror(errno));
		z->map[i].p = q;
		break;
	case 7:
		/* Grown: never. */
		q = mremap(p, pl, pl + ST_PAGE, MREMAP_MAYMOVE);
		if (q != MAP_FAILED)
			fz_fail(z, "mremap grew an atom mapping");
		break;
	default:
		munmap(p, pl);
		z->map[i].p = NULL;
		return;
	}
	fz_map_check(z, i, "mapping after a poke");
}

/* ---- metadata, sync, churn --------------------------------------------------------------- */

/* Up to 16 atoms of the ledger, any tenant's: their ids and tenants; how many. */
static int fz_pick16(struct fz *z, struct scratch_id *ids, __u32 *tenants)
{
	struct fz_atom a;
	int i, n = 0;

	for (i = 0; i < 16; i++) {
		if (!fz_ledger_pick(z, 0, &a))
			continue;
		ids[n] = a.id;
		tenants[n++] = a.tenant;
	}
	return n;
}

static void fz_stat_present(struct fz *z)
{
	struct scratch_id ids[16];
	__u32 tenants[16];
	__u8 res[16];
	int n, i, r;

	n = fz_pick16(z, ids, tenants);
	if (!n)
		return;
	r = st_present(z->fd, ids, (__u32)n, res);
	if (r < 0 && r != -EINTR)
		fz_fail(z, "PRESENT: %s", strerror(-r));
	for (i = 0; r >= 0 && i < n; i++) {
		struct scratch_stat st;
		int s = st_stat(z->fd, &ids[i], &st);

		if (tenants[i] != z->tenant && (res[i] || s != -ENOENT))
			fz_fail(z, "another tenant's (%u) atom: PRESENT %u, STAT %d", tenants[i],
				res[i], s);
		if (s && s != -ENOENT && s != -EBADMSG && s != -EINTR)
			fz_fail(z, "STAT: %s", strerror(-s));
	}
}

/* Catch up with the space's evictions; false if that failed (EINTR). */
static bool fz_events_read(struct fz *z)
{
	struct scratch_evictions q = { .size = sizeof(q) };
	int r;

	do {
		if (z->nev == FZ_EVENTS)
			z->eblind = true;
		if (z->eblind)
			return true;
		q.cursor = z->ecur;
		q.events_addr = (uintptr_t)(z->ev + z->nev);
		q.capacity = FZ_EVENTS - z->nev;
		r = st_ioctl(z->efd, SCRATCH_IOC_EVICTIONS, &q);
		if (r == -EINTR)
			return false;
		if (r)
			fz_fail(z, "EVICTIONS: %s", strerror(-r));
		if (q.lost)
			z->eblind = true;
		z->ecur = q.cursor;
		z->nev += q.count;
	} while (q.count);
	return true;
}

static bool fz_evicted(const struct fz *z, unsigned int upto, const struct scratch_id *id)
{
	unsigned int i;

	for (i = 0; i < upto; i++)
		if (z->ev[i].segment == (__u32)id->lo && z->ev[i].generation == id->lo >> 32)
			return true;
	return false;
}

/*
 * HORIZON, PRESENT and the eviction events agree: an id MISSING for HORIZON
 * is not present after it; an eviction event read before PRESENT never
 * names an id PRESENT finds; an id PRESENT finds gone has its event once
 * the events are read after it (unless some were lost).  Another tenant's
 * ids are MISSING.
 */
static void fz_events(struct fz *z)
{
	struct scratch_horizon h = { .size = sizeof(h) };
	struct scratch_id ids[16];
	__u32 tenants[16];
	__u64 hz[16];
	__u8 res[16];
	unsigned int before;
	int n, i, r;

	if (z->efd < 0) {
		struct scratch_events_fd e = {
			.size = sizeof(e), .flags = SCRATCH_EVENTS_FROM_START,
		};

		if (!z->ev)
			z->ev = malloc(FZ_EVENTS * sizeof(*z->ev));
		if (!z->ev)
			fz_fail(z, "out of memory");
		r = st_ioctl(z->fd, SCRATCH_IOC_EVENTS_FD, &e);
		if (r == -EINTR)
			return;
		if (r)
			fz_fail(z, "EVENTS_FD: %s", strerror(-r));
		z->efd = e.fd;
	}
	if (!fz_events_read(z))
		return;
	n = fz_pick16(z, ids, tenants);
	if (!n)
		return;
	h.count = (__u32)n;
	h.ids_addr = (uintptr_t)ids;
	h.results_addr = (uintptr_t)hz;
	r = st_ioctl(z->fd, SCRATCH_IOC_HORIZON, &h);
	if (r == -EINTR)
		return;
	if (r < 0)
		fz_fail(z, "HORIZON: %s", strerror(-r));
	before = z->nev;
	r = st_present(z->fd, ids, (__u32)n, res);
	if (r == -EINTR || !fz_events_read(z))
		return;
	if (r < 0)
		fz_fail(z, "PRESENT: %s", strerror(-r));
	for (i = 0; i < n; i++) {
		if (tenants[i] != z->tenant && hz[i] != SCRATCH_HORIZON_MISSING)
			fz_fail(z, "HORIZON of another tenant's (%u) atom: %llu", tenants[i],
				(unsigned long long)hz[i]);
		if (hz[i] == SCRATCH_HORIZON_MISSING && res[i])
			fz_fail(z, "HORIZON said missing, then PRESENT found it");
		if (tenants[i] != z->tenant || z->eblind)
			continue;
		if (res[i] && fz_evicted(z, before, &ids[i]))
			fz_fail(z, "an eviction event named a present atom (segment %u gen %u)",
				(__u32)ids[i].lo, (__u32)(ids[i].lo >> 32));
		if (!res[i] && !fz_evicted(z, z->nev, &ids[i]))
			fz_fail(z, "an atom went without an eviction event (segment %u gen %u)",
				(__u32)ids[i].lo, (__u32)(ids[i].lo >> 32));
		__atomic_add_fetch(res[i] ? &sh->ev_present : &sh->ev_gone, 1, __ATOMIC_RELAXED);
	}
}

static void fz_sync(struct fz *z)
{
	__u64 upto = __atomic_load_n(&sh->commit_seq, __ATOMIC_SEQ_CST), cur;
	int r = fz_below(z, 2) ? st_sync(z->fd) : (fsync(z->fd) ? -errno : 0);

	if (r == -EINTR)
		return;
	if (r)
		fz_fail(z, "SYNC: %s", strerror(-r));
	cur = __atomic_load_n(&sh->synced_upto, __ATOMIC_SEQ_CST);
	while (cur < upto &&
	       !__atomic_compare_exchange_n(&sh->synced_upto, &cur, upto, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	__atomic_add_fetch(&sh->syncs, 1, __ATOMIC_RELAXED);
}

static void fz_verify(struct fz *z)
{
	struct fz_atom a;
	int r;

	if (!fz_ledger_pick(z, 0, &a))
		return;
	r = st_verify_id(z->fd, &a.id, fz_below(z, 2) ? SCRATCH_VERIFY_RECHECK : 0);
	if (a.tenant != z->tenant && r != -ENOENT)
		fz_fail(z, "VERIFY of another tenant's atom: %d", r);
	if (r && r != -ENOENT && r != -EINTR)
		fz_fail(z, "VERIFY: %s", strerror(-r));
}

static void fz_scrub(struct fz *z)
{
	struct st_scrub_sum sum;
	int r;

	if (fz_skip("scrub"))
		return;
	r = st_scrub_all(z->fd, 0, 4 * ST_MIB, 0, &sum);

	if (r && r != -EINTR)
		fz_fail(z, "SCRUB: %s", strerror(-r));
	if (!r && sum.nr_bad)
		fz_fail(z, "SCRUB found %llu bad atoms", (unsigned long long)sum.nr_bad);
}

/* Random ioctls with random bytes: a clean error, never a crash or a hang. */
static void fz_garbage(struct fz *z)
{
	static const unsigned long cmds[] = {
		SCRATCH_IOC_GET_FEATURES, SCRATCH_IOC_RESERVE, SCRATCH_IOC_COMMIT,
		SCRATCH_IOC_ABORT, SCRATCH_IOC_STAT, SCRATCH_IOC_PRESENT, SCRATCH_IOC_INFO,
		SCRATCH_IOC_VERIFY, SCRATCH_IOC_SET_TENANT, SCRATCH_IOC_ATTACH,
		SCRATCH_IOC_HORIZON, SCRATCH_IOC_EVENTS_FD, SCRATCH_IOC_EVICTIONS,
		_IOWR(SCRATCH_IOC_MAGIC, 0x3f, struct scratch_stat),
	};
	__u64 arg[64];
	unsigned long cmd = cmds[fz_below(z, ARRAY_SIZE(cmds))];
	unsigned int i;
	int r;

	if (fz_skip("garbage"))
		return;
	for (i = 0; i < ARRAY_SIZE(arg); i++)
		arg[i] = fz_below(z, 4) ? fz_rand(z) : 0;
	switch (fz_below(z, 3)) {
	case 0:
		arg[0] = (arg[0] & ~0xffffffffULL) | (fz_below(z, 600));
		break;
	case 1:
		arg[0] = (arg[0] & ~0xffffffffULL) | 0x1000000;
		break;
	}
	/* No garbage reservation may pin the space: keep RESERVE lengths small. */
	if (cmd == SCRATCH_IOC_RESERVE)
		((struct scratch_reserve *)arg)->stored_len = fz_below(z, 2 * ST_PAGE);
	r = ioctl(z->fd, cmd, arg) < 0 ? errno : 0;
	if (r == 0 && cmd == SCRATCH_IOC_RESERVE)
		st_abort(z->fd, &((struct scratch_reserve *)arg)->id);
	if (r == 0 && cmd == SCRATCH_IOC_EVENTS_FD)
		close(((struct scratch_events_fd *)arg)->fd);
	if (r != 0 && r != EINVAL && r != EFAULT && r != E2BIG && r != ENOTTY && r != ENOENT &&
	    r != EPERM && r != EFBIG && r != EBUSY && r != ENOSPC && r != EBADMSG &&
	    r != EINTR && r != ENODEV && r != EDQUOT)
		fz_fail(z, "garbage ioctl %#lx: errno %d (%s)", cmd, r, strerror(r));
}

static void fz_open(struct fz *z);

static void fz_churn(struct fz *z)
{
	int i;

	if (fz_skip("churn"))
		return;
	/* Closing drops the fd's reservations; mappings outlive it. */
	close(z->fd);
	if (z->dfd >= 0)
		close(z->dfd);
	if (fz_below(z, 4) == 0)
		for (i = 0; i < FZ_MAPS; i++)
			if (z->map[i].p)
				fz_map_check(z, i, "mapping after close");
	fz_open(z);
	if (st_set_tenant(z->fd, z->tenant + 1) != -EPERM)
		fz_fail(z, "SET_TENANT on a bound fd did not fail with EPERM");
}

/* ---- a worker ----------------------------------------------------------------------------- */

static void fz_open(struct fz *z)
{
	char path[64];

	z->fd = st_open_flags(space_id, O_RDWR, z->tenant);
	if (z->fd < 0)
		fz_fail(z, "open: %s", strerror(-z->fd));
	/* Bound by the first SET_TENANT: no second one. */
	if (st_set_tenant(z->fd, z->tenant + 7) != -EPERM)
		fz_fail(z, "a second SET_TENANT did not fail with EPERM");
	snprintf(path, sizeof(path), "/dev/scratch%u", space_id);
	z->dfd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (z->dfd >= 0 && st_set_tenant(z->dfd, z->tenant)) {
		close(z->dfd);
		z->dfd = -1;
	}
}

static void fz_step(struct fz *z);

static void fz_fork(struct fz *z)
{
	pid_t pid;

	if (fz_skip("fork"))
		return;
	pid = fork();
	if (pid == 0) {
		int i;

		/* The child shares the fd (and its tenant) and copies the mappings. */
		z->rng ^= 0x5bd1e995ULL * (__u64)getpid();
		z->ring_ok = false;
		for (i = 0; i < 12; i++) {
			z->op++;
			fz_step(z);
		}
		_exit(0);
	}
	if (pid > 0) {
		int st;

		if (fz_below(z, 3) == 0)
			kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
			_exit(3);
		__atomic_add_fetch(&sh->forks, 1, __ATOMIC_RELAXED);
	}
}

/* A put or a read, as this worker's tenant does them: the array tenant by parts. */
static void fz_step_put(struct fz *z)
{
	if (z->tenant == FZ_ARRAY_TENANT && !fz_skip("array"))
		fz_put_array(z);
	else
		fz_put(z);
}

static void fz_step_read(struct fz *z)
{
	if (z->tenant == FZ_ARRAY_TENANT)
		fz_read_part(z);
	else
		fz_read(z);
}

/* A fork uses io_uring; without a ring, a read. */
static void fz_step_fork(struct fz *z)
{
	if (z->ring_ok)
		fz_fork(z);
	else
		fz_step_read(z);
}

/* The mix of operations: a draw below 100 picks the first whose bound is above it. */
static const struct {
	__u64 below;
	void (*op)(struct fz *z);
} fz_mix[] = {
	{ 22, fz_step_put },
	{ 45, fz_step_read },
	{ 50, fz_read_direct },
	{ 55, fz_read_batch },
	{ 62, fz_map },
	{ 72, fz_map_poke },
	{ 77, fz_stat_present },
	{ 79, fz_events },
	{ 83, fz_sync },
	{ 85, fz_verify },
	{ 86, fz_scrub },
	{ 92, fz_garbage },
	{ 95, fz_churn },
	{ 97, fz_step_fork },
	{ 100, fz_step_read },
};

static void fz_step(struct fz *z)
{
	__u64 x = fz_below(z, 100);
	size_t i = 0;

	while (x >= fz_mix[i].below)
		i++;
	fz_mix[i].op(z);
}

static __u64 fz_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

static void fz_worker(int idx, int gen, __u64 deadline_ms)
{
	static struct fz zz;
	struct fz *z = &zz;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(z, 0, sizeof(*z));
	z->idx = idx;
	z->gen = gen;
	z->rng = st_mix(seed0 ^ st_mix((__u64)idx << 32 | (__u32)gen)) | 1;
	z->tenant = 1 + (__u32)(idx % FZ_TENANTS);
	z->efd = -1;
	z->buf = aligned_alloc(ST_PAGE, FZ_BUF);
	z->dbuf = aligned_alloc(ST_PAGE, FZ_BUF);
	if (!z->buf || !z->dbuf)
		fz_fail(z, "out of memory");
	z->ring_ok = io_uring_queue_init(16, &z->ring, 0) == 0;
	fz_open(z);
	while (!sh->failed && fz_now_ms() < deadline_ms) {
		z->op++;
		fz_step(z);
		__atomic_add_fetch(&sh->ops, 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

/* ---- the parent ----------------------------------------------------------------------------- */

/*
 * Before the format: every word of the region gets the tag of tenant
 * FZ_STALE, which no process is, so bytes a read or a mapping returns that
 * no atom of this run wrote (an evicted atom's are ours and tagged; these
 * are older) fail by name instead of passing as zeros of a fresh drive.
 */
static int fz_stale_fill(const char *dev)
{
	unsigned char *b = aligned_alloc(ST_PAGE, ST_MIB);
	int fd = open(dev, O_WRONLY | O_CLOEXEC), r = 0;
	__u64 off;

	if (!b || fd < 0) {
		r = -errno;
		goto out;
	}
	for (off = 0; off < FZ_REGION && !r; off += ST_MIB) {
		fz_fill(b, off, ST_MIB, (__u32)FZ_STALE << 24 | 0x57a1e);
		if (pwrite(fd, b, ST_MIB, (off_t)off) != ST_MIB)
			r = -EIO;
	}
	if (!r && fsync(fd))
		r = -errno;
	if (!r)
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
out:
	if (fd >= 0)
		close(fd);
	free(b);
	return r;
}

static int fz_drop_cache(void)
{
	int fd = open(st_dev(0), O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return 0;
}

/*
 * The end: a last SYNC, then what is present must survive detach and
 * reattach, byte-exact.  Returns the number of failures (printed).
 */
static int fz_reload_check(const struct st_region *reg)
{
	static struct fz_atom all[FZ_LEDGER];
	static __u8 before[FZ_LEDGER];
	int fds[FZ_TENANTS + 1], t, i, n = 0, bad = 0, kept = 0, r;
	unsigned char *buf = aligned_alloc(ST_PAGE, FZ_BUF);
	__u64 ev;

	for (i = 0; i < FZ_LEDGER; i++) {
		struct fz_atom *e = &sh->atoms[i];

		if (e->ver && !(e->ver & 1))
			all[n++] = *e;
	}
	for (t = 1; t <= FZ_TENANTS; t++) {
		fds[t] = st_open(space_id, t);
		if (fds[t] < 0)
			return printf("# reload: open: %s\n", strerror(-fds[t])), 1;
	}
	r = st_sync(fds[1]);
	if (r) {
		printf("# final SYNC: %s\n", strerror(-r));
		bad++;
	}
	/*
	 * The refill work may still evict to keep its free pool: take the
	 * snapshot again until no eviction ran across it.
	 */
	do {
		ev = st_counter(space_id, "evictions");
		usleep(300000);
		for (kept = 0, i = 0; i < n; i++) {
			__u8 res = 0;

			st_present(fds[all[i].tenant], &all[i].id, 1, &res);
			before[i] = res;
			kept += res;
		}
	} while (st_counter(space_id, "evictions") != ev);
	for (t = 1; t <= FZ_TENANTS; t++)
		st_close(fds[t]);
	r = st_detach(space_id);
	if (r) {
		printf("# detach: %s\n", strerror(-r));
		return bad + 1;
	}
	st_drop_caches();
	r = st_attach(reg, 1, 0, false, &space_id);
	if (r) {
		printf("# reattach: %s\n", strerror(-r));
		return bad + 1;
	}
	for (t = 1; t <= FZ_TENANTS; t++)
		fds[t] = st_open(space_id, t);
	for (i = 0; i < n && bad < 10; i++) {
		struct scratch_stat st;
		__u32 tag = fz_tag(all[i].tenant, &all[i].id);
		ssize_t got;

		r = st_stat(fds[all[i].tenant], &all[i].id, &st);
		if (!before[i]) {
			if (r != -ENOENT) {
				printf("# atom %u:%llx:%llx missing before detach is back (%d)\n",
				       all[i].tenant, (unsigned long long)all[i].id.hi,
				       (unsigned long long)all[i].id.lo, r);
				bad++;
			}
			continue;
		}
		if (r) {
			printf("# atom of tenant %u, %llu bytes, commit %llu (synced up to %llu): "
			       "present before detach, after reattach %s\n", all[i].tenant,
			       (unsigned long long)all[i].len, (unsigned long long)all[i].commit_seq,
			       (unsigned long long)sh->synced_upto, strerror(-r));
			bad++;
			continue;
		}
		if (all[i].nr_parts)
			continue;
		got = pread(fds[all[i].tenant], buf, all[i].len, (off_t)all[i].off);
		if (got != (ssize_t)all[i].len) {
			printf("# atom after reattach: read %zd of %llu\n", got,
			       (unsigned long long)all[i].len);
			bad++;
			continue;
		}
		{
			unsigned char e[4096];
			__u64 pos;

			for (pos = 0; pos < all[i].len; pos += sizeof(e)) {
				size_t k = ST_MIN(sizeof(e), all[i].len - pos);

				fz_fill(e, pos, k, tag);
				if (memcmp(e, buf + pos, k)) {
					printf("# atom after reattach: wrong bytes at %llu\n",
					       (unsigned long long)pos);
					bad++;
					break;
				}
			}
		}
	}
	printf("# reload: %d of %d remembered atoms present before detach, all checked after "
	       "reattach: %d failure(s)\n", kept, n, bad);
	for (t = 1; t <= FZ_TENANTS; t++)
		if (fds[t] >= 0)
			st_close(fds[t]);
	free(buf);
	return bad;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "procs", required_argument, NULL, 'p' },
		{ "skip", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env;
	int seconds = 40, procs = 6, c, i, bad;
	struct st_region reg;
	__u64 deadline, next_kill;
	pid_t *pids;
	int *gens;

	setvbuf(stdout, NULL, _IOLBF, 0);
	env = getenv("SCRATCH_FUZZ_SECONDS");
	if (env)
		seconds = atoi(env);
	env = getenv("SCRATCH_FUZZ_SEED");
	if (env)
		seed0 = strtoull(env, NULL, 0);
	env = getenv("SCRATCH_FUZZ_SKIP");
	if (env)
		snprintf(skip, sizeof(skip), "%s", env);
	while ((c = getopt_long(argc, argv, "t:s:p:k:", opts, NULL)) != -1) {
		switch (c) {
		case 't': seconds = atoi(optarg); break;
		case 's': seed0 = strtoull(optarg, NULL, 0); break;
		case 'p': procs = atoi(optarg); break;
		case 'k': snprintf(skip, sizeof(skip), "%s", optarg); break;
		default:
			fprintf(stderr, "usage: sysfuzz [--seconds N] [--seed S] [--procs P] "
				"[--skip OP,...]\n");
			return 2;
		}
	}
	if (procs < 1 || procs > 32 || seconds < 1) {
		fprintf(stderr, "sysfuzz: --procs 1..32, --seconds >= 1\n");
		return 2;
	}
	if (!seed0 && getrandom(&seed0, sizeof(seed0), 0) != sizeof(seed0))
		seed0 = (__u64)time(NULL);
	printf("1..1\n# sysfuzz: seed %llu, %d processes, %d s%s%s (replay: sysfuzz --seed %llu)\n",
	       (unsigned long long)seed0, procs, seconds, *skip ? ", skipping " : "", skip,
	       (unsigned long long)seed0);
	{
		char why[256];

		if (st_need(SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_MMAP, why, sizeof(why))) {
			printf("ok 1 sysfuzz # SKIP %s\n", why);
			return 4;
		}
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return printf("not ok 1 sysfuzz: shared memory: %s\n", strerror(errno)), 1;
	st_sweep(-1);
	c = fz_stale_fill(st_dev(0));
	if (c)
		return printf("not ok 1 sysfuzz: filling %s: %s\n", st_dev(0), strerror(-c)), 1;
	reg = (struct st_region){ st_dev(0), 0, FZ_REGION };
	c = st_attach(&reg, 1, FZ_SHIFT, true, &space_id);
	if (c)
		return printf("not ok 1 sysfuzz: attach: %s\n", strerror(-c)), 1;

	pids = calloc((size_t)procs, sizeof(*pids));
	gens = calloc((size_t)procs, sizeof(*gens));
	deadline = fz_now_ms() + (__u64)seconds * 1000;
	next_kill = fz_now_ms() + 500;
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			fz_worker(i, 0, deadline);
	}
	{
		struct fz pz = { .rng = st_mix(seed0) | 1 };

		while (!sh->failed && fz_now_ms() < deadline) {
			int st;
			pid_t pid = waitpid(-1, &st, WNOHANG);

			if (pid > 0) {
				for (i = 0; i < procs && pids[i] != pid; i++)
					;
				if (i < procs && WIFEXITED(st) && WEXITSTATUS(st) == 3)
					break;
				if (i < procs && WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) {
					snprintf(sh->why, sizeof(sh->why), "seed %llu worker %d "
						 "incarnation %d: killed by signal %d",
						 (unsigned long long)seed0, i, gens[i], WTERMSIG(st));
					sh->failed = 1;
					break;
				}
				if (i < procs && fz_now_ms() < deadline) {
					pids[i] = fork();
					if (pids[i] == 0)
						fz_worker(i, ++gens[i], deadline);
				}
				continue;
			}
			usleep(20000);
			if (fz_now_ms() >= next_kill) {
				/* Cold reads for everyone, and a worker killed wherever it is. */
				fz_drop_cache();
				if (fz_below(&pz, 3) == 0 && !fz_skip("kill")) {
					kill(pids[fz_below(&pz, (__u64)procs)], SIGKILL);
					__atomic_add_fetch(&sh->kills, 1, __ATOMIC_RELAXED);
				}
				next_kill = fz_now_ms() + 100 + fz_below(&pz, 400);
			}
		}
	}
	for (i = 0; i < procs; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	printf("# %llu ops: %llu puts, %llu arrays, %llu reads (%llu missing, %llu bytes checked), "
	       "%llu io_uring, %llu maps, %llu syncs, %llu forks, %llu kills; "
	       "eviction events checked against %llu present and %llu gone ids\n",
	       (unsigned long long)sh->ops, (unsigned long long)sh->puts,
	       (unsigned long long)sh->arrays, (unsigned long long)sh->reads,
	       (unsigned long long)sh->missing, (unsigned long long)sh->bytes_ok,
	       (unsigned long long)sh->uring, (unsigned long long)sh->maps,
	       (unsigned long long)sh->syncs, (unsigned long long)sh->forks,
	       (unsigned long long)sh->kills, (unsigned long long)sh->ev_present,
	       (unsigned long long)sh->ev_gone);
	if (sh->failed) {
		printf("# %s\nnot ok 1 sysfuzz: %s\n", sh->why, sh->why);
		st_sweep(-1);
		return 1;
	}
	bad = fz_reload_check(&reg);
	st_detach(space_id);
	if (bad) {
		printf("not ok 1 sysfuzz: seed %llu: %d atom(s) wrong after reattach\n",
		       (unsigned long long)seed0, bad);
		return 1;
	}
	if (!sh->puts || !sh->reads) {
		printf("not ok 1 sysfuzz: seed %llu: nothing written or read\n",
		       (unsigned long long)seed0);
		return 1;
	}
	printf("ok 1 sysfuzz: seed %llu\n", (unsigned long long)seed0);
	return 0;
}
