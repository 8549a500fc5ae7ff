// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Writing atoms and arrays: RESERVE, pwritev straight from the caller's
 * buffers at the reserved offset (the payload's only copy is the kernel's,
 * into the page cache), COMMIT with the XXH64 of the stored bytes; ABORT on
 * any failure so nothing leaks.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lib.h"
#include "syscall.h"

/* Padding between array parts: every part starts on a page boundary. */
static const uint8_t sc_zero_page[SC_PAGE];

static int sc_reserve(struct scratch *s, uint64_t stored_len, uint32_t nr_parts,
		      struct scratch_id *id, uint64_t *off)
{
	struct scratch_reserve r = {
		.size = sizeof(r), .stored_len = stored_len, .nr_parts = nr_parts,
	};
	int ret = __sys_ioctl(s->fd, SCRATCH_IOC_RESERVE, &r);

	if (ret < 0)
		return ret;
	*id = r.id;
	*off = r.offset;
	return 0;
}

static int sc_commit(struct scratch *s, struct scratch_id id, uint64_t length, uint64_t xxh,
		     uint16_t type, uint16_t atom_flags)
{
	struct scratch_commit c = {
		.size = sizeof(c), .id = id, .length = length, .xxh64 = xxh,
		.type = type, .atom_flags = atom_flags,
	};
	int ret = __sys_ioctl(s->fd, SCRATCH_IOC_COMMIT, &c);

	return ret < 0 ? ret : 0;
}

static void sc_abort(struct scratch *s, struct scratch_id id)
{
	struct scratch_abort a = { .size = sizeof(a), .id = id };

	__sys_ioctl(s->fd, SCRATCH_IOC_ABORT, &a);
}

/*
 * Write @iov (consumed as it goes) at space offset @off.  Each pwritev takes
 * at most IOV_MAX entries and, when it cannot take all, ends on a page
 * boundary: the module wants every write to start on one.
 */
static int sc_write_all(int fd, struct iovec *iov, int cnt, uint64_t off)
{
	while (cnt > 0) {
		int k = cnt < IOV_MAX ? cnt : IOV_MAX, i, cut = 0;
		uint64_t sum = 0;
		ssize_t n;

		if (k < cnt) {
			for (i = 0; i < k; i++) {
				sum += iov[i].iov_len;
				if (!(sum & (SC_PAGE - 1)))
					cut = i + 1;
			}
			if (!cut)
				return -EINVAL;
			k = cut;
		}
		n = __sys_pwritev(fd, iov, k, (off_t)off);
		if (n < 0)
			return (int)n;
		if (!n)
			return -EIO;
		off += (uint64_t)n;
		/* Skip what was written; a short write ends on a page boundary. */
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* RESERVE, write, COMMIT; ABORT if anything fails after the reservation. */
static int sc_store(struct scratch *s, struct iovec *iov, int cnt, uint64_t stored_len,
		    uint32_t nr_parts, uint64_t length, uint64_t xxh, uint16_t type,
		    uint16_t atom_flags, unsigned int flags, struct scratch_id *id)
{
	struct scratch_id rid;
	uint64_t off;
	int ret;

	ret = sc_reserve(s, stored_len, nr_parts, &rid, &off);
	if (ret)
		return ret;
	ret = sc_write_all(s->fd, iov, cnt, off);
	if (!ret)
		ret = sc_commit(s, rid, length, xxh, type, atom_flags);
	if (ret) {
		sc_abort(s, rid);
		return ret;
	}
	/* Committed: the id is the caller's even if the sync below fails. */
	*id = rid;
	if (flags & SCRATCH_PUT_SYNC)
		return scratch_space_sync(s);
	return 0;
}

static int sc_level(unsigned int flags)
{
	int level = (int)SCRATCH_PUT_LEVEL_OF(flags);

	if (!level)
		return SC_ZSTD_LEVEL_DEFAULT;
	return level > ZSTD_maxCLevel() ? ZSTD_maxCLevel() : level;
}

__scratch_export
int scratch_atom_putv(struct scratch *s, const struct iovec *iov, int iovcnt, uint16_t type,
		      unsigned int flags, struct scratch_id *id)
{
	struct iovec one, *stored = NULL;
	uint64_t total = 0, zlen;
	uint16_t atom_flags = 0;
	void *z = NULL;
	int i, ret, cnt = iovcnt;

	if (!s || !id || iovcnt < 0 || iovcnt > IOV_MAX || (iovcnt && !iov) ||
	    __scratch_check_flags(flags, SCRATCH_PUT_ALL))
		return -EINVAL;
	if (!(s->features & SCRATCH_F_WRITE))
		return -EOPNOTSUPP;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len && !iov[i].iov_base)
			return -EINVAL;
		if (iov[i].iov_len > SCRATCH_ATOM_MAX - total)
			return -EFBIG;
		total += iov[i].iov_len;
	}
	if (!total) {
		/* The module stores at least one byte; the logical length says 0. */
		one = (struct iovec){ (void *)sc_zero_page, 1 };
		return sc_store(s, &one, 1, 1, 0, 0, __scratch_xxh64v(&one, 1), type, 0,
				flags, id);
	}
	if (flags & SCRATCH_PUT_ZSTD) {
		zlen = total - 1;	/* stored raw unless it shrinks */
		ret = __scratch_compress(iov, iovcnt, total, sc_level(flags), &z, &zlen);
		if (ret && ret != -ENOSPC)
			return ret;
		if (!ret) {
			one = (struct iovec){ z, (size_t)zlen };
			stored = &one;
			cnt = 1;
			atom_flags = SCRATCH_ATOM_ZSTD;
		}
	}
	if (!stored) {
		/* pwritev consumes its iovec: a copy, never of the payload. */
		stored = malloc(sizeof(*stored) * (size_t)iovcnt);
		if (!stored)
			return -ENOMEM;
		memcpy(stored, iov, sizeof(*stored) * (size_t)iovcnt);
		zlen = total;
	}
	ret = sc_store(s, stored, cnt, zlen, 0, total, __scratch_xxh64v(stored, cnt), type,
		       atom_flags, flags, id);
	if (stored != &one)
		free(stored);
	free(z);
	return ret;
}

__scratch_export
int scratch_atom_put(struct scratch *s, const void *buf, size_t len, uint16_t type,
		     unsigned int flags, struct scratch_id *id)
{
	struct iovec iov = { (void *)buf, len };

	return scratch_atom_putv(s, &iov, 1, type, flags, id);
}

/* ---- arrays ------------------------------------------------------------------ */

/* The parts as they go to the drive: raw, or each a zstd frame of its own. */
struct sc_parts {
	struct iovec	*stored;	/* nr_parts */
	void		**frames;	/* nr_parts, NULL unless compressed */
};

static void sc_parts_free(struct sc_parts *p, uint32_t n)
{
	uint32_t i;

	if (p->frames)
		for (i = 0; i < n; i++)
			free(p->frames[i]);
	free(p->frames);
	free(p->stored);
}

static int sc_parts_prepare(const struct iovec *parts, uint32_t n, unsigned int flags,
			    struct sc_parts *p)
{
	uint32_t i;
	int ret;

	p->stored = calloc(n, sizeof(*p->stored));
	p->frames = (flags & SCRATCH_PUT_ZSTD) ? calloc(n, sizeof(*p->frames)) : NULL;
	if (!p->stored || ((flags & SCRATCH_PUT_ZSTD) && !p->frames))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t zlen = ZSTD_compressBound(parts[i].iov_len);

		if (parts[i].iov_len && !parts[i].iov_base)
			return -EINVAL;
		if (parts[i].iov_len > SCRATCH_ATOM_MAX)
			return -EFBIG;
		if (!p->frames) {
			p->stored[i] = parts[i];
			continue;
		}
		/* Always a frame: the frame header is where a part's length lives. */
		ret = __scratch_compress(&parts[i], 1, parts[i].iov_len, sc_level(flags),
					 &p->frames[i], &zlen);
		if (ret)
			return ret == -ENOSPC ? -ENOMEM : ret;
		p->stored[i] = (struct iovec){ p->frames[i], (size_t)zlen };
	}
	return 0;
}

/*
 * Lay out the array: the part table (padded to a page), then each part on a
 * page boundary.  Fills @table and the write list @w (1 + 2 * n entries).
 */
static int sc_parts_layout(const struct sc_parts *p, uint32_t n, struct scratch_disk_part *table,
			   struct iovec *w, int *wcnt, uint64_t *stored_len)
{
	uint64_t off = __scratch_part_table_bytes(n), end = off;
	uint32_t i;
	int k = 1;

	w[0] = (struct iovec){ table, (size_t)off };
	for (i = 0; i < n; i++) {
		uint64_t len = p->stored[i].iov_len, pad;

		off = SC_PAGE_UP(end);
		if (i && end != off) {
			pad = off - end;
			w[k++] = (struct iovec){ (void *)sc_zero_page, (size_t)pad };
		}
		table[i].off = htole64(off);
		table[i].len = htole64(len);
		table[i].xxh64 = htole64(__scratch_xxh64v(&p->stored[i], 1));
		if (len)
			w[k++] = p->stored[i];
		end = off + len;
		if (end > SCRATCH_ATOM_MAX)
			return -EFBIG;
	}
	*wcnt = k;
	*stored_len = end;
	return 0;
}

__scratch_export
int scratch_array_put(struct scratch *s, const struct iovec *parts, uint32_t nr_parts,
		      uint16_t type, unsigned int flags, struct scratch_id *id)
{
	struct scratch_disk_part *table = NULL;
	struct sc_parts p = { NULL, NULL };
	struct iovec *w = NULL;
	uint64_t stored_len;
	int ret, wcnt;

	if (!s || !id || !parts || !nr_parts || nr_parts > SCRATCH_MAX_PARTS ||
	    __scratch_check_flags(flags, SCRATCH_PUT_ALL))
		return -EINVAL;
	if (!(s->features & SCRATCH_F_ARRAY) || !(s->features & SCRATCH_F_WRITE))
		return -EOPNOTSUPP;
	ret = sc_parts_prepare(parts, nr_parts, flags, &p);
	if (ret)
		goto out;
	table = calloc(1, (size_t)__scratch_part_table_bytes(nr_parts));
	w = calloc(1 + 2 * (size_t)nr_parts, sizeof(*w));
	if (!table || !w) {
		ret = -ENOMEM;
		goto out;
	}
	ret = sc_parts_layout(&p, nr_parts, table, w, &wcnt, &stored_len);
	if (ret)
		goto out;
	{
		struct iovec t = { table, (size_t)nr_parts * sizeof(*table) };

		/* The record's checksum covers the table; the table, each part. */
		ret = sc_store(s, w, wcnt, stored_len, nr_parts, stored_len,
			       __scratch_xxh64v(&t, 1), type,
			       (flags & SCRATCH_PUT_ZSTD) ? SCRATCH_ATOM_ZSTD : 0, flags, id);
	}
out:
	free(w);
	free(table);
	sc_parts_free(&p, nr_parts);
	return ret;
}
