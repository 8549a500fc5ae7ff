// SPDX-License-Identifier: GPL-2.0
/*
 * Atoms: RESERVE, COMMIT, ABORT, STAT, PRESENT, SYNC; put and get of a
 * buffer; patterned atoms written and checked in chunks (struct st_atom);
 * patterned arrays (struct st_array); VERIFY and SCRUB; one io_uring read.
 */
#include "scratch_test.h"

int st_reserve(int fd, __u64 stored_len, __u32 nr_parts,
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

int st_commit(int fd, const struct scratch_id *id, __u64 length,
			    __u64 xxh, __u16 type, __u16 atom_flags)
{
	struct scratch_commit c = {
		.size = sizeof(c), .id = *id, .length = length, .xxh64 = xxh,
		.type = type, .atom_flags = atom_flags,
	};

	return st_ioctl(fd, SCRATCH_IOC_COMMIT, &c);
}

int st_abort(int fd, const struct scratch_id *id)
{
	struct scratch_abort a = { .size = sizeof(a), .id = *id };

	return st_ioctl(fd, SCRATCH_IOC_ABORT, &a);
}

int st_stat(int fd, const struct scratch_id *id, struct scratch_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->id = *id;
	return st_ioctl(fd, SCRATCH_IOC_STAT, st);
}

/* PRESENT: the number of @ids present, results[i] = 1/0; or -errno. */
int st_present(int fd, const struct scratch_id *ids, __u32 count, __u8 *results)
{
	struct scratch_present p = {
		.size = sizeof(p), .count = count,
		.ids_addr = (uintptr_t)ids, .results_addr = (uintptr_t)results,
	};

	return st_ioctl(fd, SCRATCH_IOC_PRESENT, &p);
}

int st_sync(int fd)
{
	return st_ioctl(fd, SCRATCH_IOC_SYNC, NULL);
}

/*
 * pwrite @len bytes at space offset @off in chunks that start on a page and
 * end on one (or at the end): the write protocol's alignment rule.
 */
int st_write(int fd, const void *buf, size_t len, __u64 off)
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
int st_pread_full(int fd, void *buf, size_t len, __u64 off)
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
int st_put(int fd, const void *buf, size_t len, __u16 type,
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
int st_get(int fd, const struct scratch_id *id, void *buf, size_t cap,
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

static unsigned char *st_buf(unsigned char **p)
{
	if (!*p && posix_memalign((void **)p, ST_PAGE, ST_CHUNK))
		*p = NULL;
	return *p;
}

/* XXH64 (seed 0) of the first @len bytes of the atom with @seed. */
__u64 st_pattern_xxh(__u64 len, __u64 seed)
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

/*
 * Write a->len bytes of pattern a->seed as one atom of type a->type; fills
 * a->id, a->off, a->xxh.  Streams in chunks: no buffer of the atom's size.
 */
int st_put_atom(int fd, struct st_atom *a)
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
int st_put_n(int fd, struct st_atom *a, __u64 n, __u64 len)
{
	memset(a, 0, sizeof(*a));
	a->len = len;
	a->seed = st_seed(n);
	a->type = (__u16)(n * 7 + 1);
	return st_put_atom(fd, a);
}

/* Bytes [pos, pos + len) of @a read back through pread exact?  0/-errno/-EBADMSG. */
int st_check_range(int fd, const struct st_atom *a, __u64 pos, __u64 len)
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
int st_verify(int fd, const struct st_atom *a)
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

struct scratch_disk_part *st_array_table(struct st_array *A)
{
	return (struct scratch_disk_part *)A->buf;
}

void st_array_rehash(struct st_array *A)
{
	A->table_xxh = XXH64(A->buf, (size_t)A->n * sizeof(struct scratch_disk_part), 0);
}

/* Parts start on pages after the table; each is the pattern of its seed. */
struct st_array *st_array_build(__u32 n, const __u64 *lens, __u64 seedbase)
{
	struct st_array *A;
	__u64 pos;
	__u32 i;

	if (!n || n > ST_MAX_PARTS)
		return NULL;
	A = calloc(1, sizeof(*A));
	if (!A)
		return NULL;
	A->n = n;
	pos = ST_ROUND_UP((__u64)n * sizeof(struct scratch_disk_part), ST_PAGE);
	for (i = 0; i < n; i++) {
		A->len[i] = lens[i];
		A->off[i] = pos;
		A->seed[i] = st_seed(seedbase + i);
		pos += ST_ROUND_UP(lens[i], ST_PAGE);
	}
	A->stored_len = A->off[n - 1] + A->len[n - 1];
	A->buf = calloc(1, ST_ROUND_UP(A->stored_len, ST_PAGE));
	if (!A->buf) {
		free(A);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct scratch_disk_part *t = &st_array_table(A)[i];

		st_fill(A->buf + A->off[i], A->len[i], A->seed[i], 0);
		A->xxh[i] = XXH64(A->buf + A->off[i], A->len[i], 0);
		t->off = htole64(A->off[i]);
		t->len = htole64(A->len[i]);
		t->xxh64 = htole64(A->xxh[i]);
	}
	st_array_rehash(A);
	return A;
}

void st_array_free(struct st_array *A)
{
	if (A)
		free(A->buf);
	free(A);
}

int st_array_put(int fd, struct st_array *A, __u64 table_xxh, __u16 type)
{
	int r = st_reserve(fd, A->stored_len, A->n, &A->id, &A->at);

	if (r)
		return r;
	r = st_write(fd, A->buf, A->stored_len, A->at);
	if (!r)
		r = st_commit(fd, &A->id, A->stored_len, table_xxh, type, 0);
	return r;
}

int st_verify_id(int fd, const struct scratch_id *id, __u32 flags)
{
	struct scratch_verify v = { .size = sizeof(v), .flags = flags, .id = *id };

	return st_ioctl(fd, SCRATCH_IOC_VERIFY, &v);
}

/* STAT's SCRATCH_STAT_* bits of @id, or -errno. */
int st_stat_status(int fd, const struct scratch_id *id)
{
	struct scratch_stat st;
	int r = st_stat(fd, id, &st);

	return r ? r : (int)st.status;
}

/*
 * Walk the whole space with SCRUB calls of @max_bytes each, collecting bad
 * ids @cap (1..64) at a time.  0 or the first failing call's -errno.
 */
int st_scrub_all(int fd, __u32 flags, __u64 max_bytes, __u32 cap,
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

/* One io_uring read of @len bytes at @off, waited for; its cqe->res (or -errno). */
int st_uring_read(struct io_uring *ring, int fd, void *buf, unsigned int len,
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
