// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The library's framing, as pure logic with no system calls: how a stored
 * atom becomes what a get returns (checksum, zstd, lengths), how an atom is
 * compressed on its way in, and the array layout.  The unit tests link this
 * file alone.
 *
 * The frame is the module's: an atom's record carries its logical length,
 * its stored length, the XXH64 of the stored bytes and SCRATCH_ATOM_ZSTD.  A
 * zstd atom's stored bytes are one zstd frame; an array with the flag holds
 * one frame per part, whose header carries the part's logical length (the
 * part table only knows stored lengths).  An empty atom is stored as one zero
 * byte with logical length 0, since the module stores at least one byte.
 */
#define XXH_STATIC_LINKING_ONLY
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "lib.h"

int __scratch_check_flags(unsigned int flags, unsigned int all)
{
	return (flags & ~all) ? -EINVAL : 0;
}

uint64_t __scratch_part_table_bytes(uint32_t nr_parts)
{
	return SC_PAGE_UP((uint64_t)nr_parts * sizeof(struct scratch_disk_part));
}

uint64_t __scratch_xxh64v(const struct iovec *iov, int iovcnt)
{
	XXH64_state_t st;
	int i;

	XXH64_reset(&st, 0);
	for (i = 0; i < iovcnt; i++)
		XXH64_update(&st, iov[i].iov_base, iov[i].iov_len);
	return XXH64_digest(&st);
}

/*
 * Turn the module's STAT of @id into a read plan.  An array id has no bytes
 * of its own to return: its parts are read by their ids.
 */
int __scratch_plan(const struct scratch_stat *st, struct scratch_id id,
		   bool verify, struct sc_plan *p)
{
	bool part = __scratch_id_is_part(id);

	if (st->nr_parts)
		return -EISDIR;
	/* Only a part can be empty: an atom stores at least one byte. */
	if ((!st->stored_len && !part) || st->stored_len > SCRATCH_ATOM_MAX)
		return -EBADMSG;
	/* A raw atom's logical bytes are a prefix of its stored ones. */
	if (!(st->atom_flags & SCRATCH_ATOM_ZSTD) && st->length > st->stored_len)
		return -EBADMSG;
	*p = (struct sc_plan){
		.id = id,
		.offset = st->offset,
		.stored_len = st->stored_len,
		.length = (part && (st->atom_flags & SCRATCH_ATOM_ZSTD)) ? 0 : st->length,
		.xxh64 = st->xxh64,
		.atom_flags = st->atom_flags,
		.part = part,
		/* An empty part is never read, so the module never checks it: we do. */
		.verify = verify || !st->stored_len,
	};
	return 0;
}

/* Can the stored bytes be read straight into the caller's buffer? */
bool __scratch_in_place(const struct sc_plan *p, uint64_t cap)
{
	return !(p->atom_flags & SCRATCH_ATOM_ZSTD) && p->length == p->stored_len &&
	       cap >= p->stored_len;
}

static int sc_unzstd(const struct sc_plan *p, const void *stored, void *buf,
		     uint64_t cap, uint64_t *len)
{
	unsigned long long n = ZSTD_getFrameContentSize(stored, p->stored_len);
	size_t r;

	if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN || n > SCRATCH_ATOM_MAX)
		return -EBADMSG;
	if (p->length && n != p->length)
		return -EBADMSG;
	*len = n;
	if (n > cap)
		return -ENOBUFS;
	r = ZSTD_decompress(buf, (size_t)cap, stored, (size_t)p->stored_len);
	if (ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
		return -ENOMEM;
	if (ZSTD_isError(r) || r != n)
		return -EBADMSG;
	return 0;
}

/*
 * The stored bytes of @p are at @stored (which is @buf for a read in place):
 * check them and leave the logical bytes in @buf.  *len is set whenever the
 * logical length is known, so -ENOBUFS tells the caller what it needs.
 */
int __scratch_finish(const struct sc_plan *p, const void *stored, void *buf,
		     uint64_t cap, uint64_t *len)
{
	if (p->verify && XXH64(stored, (size_t)p->stored_len, 0) != p->xxh64)
		return -EBADMSG;
	if (p->atom_flags & SCRATCH_ATOM_ZSTD)
		return sc_unzstd(p, stored, buf, cap, len);
	*len = p->length;
	if (p->length > cap)
		return -ENOBUFS;
	if (stored != buf && p->length)
		memcpy(buf, stored, (size_t)p->length);
	return 0;
}

/*
 * zstd-compress @iov (@total bytes) into a new buffer of at most @cap bytes.
 * Returns 0 with *out (the caller frees it) and *out_len, -ENOSPC if the
 * frame would not fit in @cap, or -ENOMEM.
 */
int __scratch_compress(const struct iovec *iov, int iovcnt, uint64_t total,
		       int level, void **out, uint64_t *out_len)
{
	uint64_t cap = *out_len;
	ZSTD_outBuffer ob;
	ZSTD_CCtx *cc;
	size_t r = 0;
	int i, ret = 0;

	if (!cap)
		return -ENOSPC;
	cc = ZSTD_createCCtx();
	ob = (ZSTD_outBuffer){ .dst = malloc((size_t)cap), .size = (size_t)cap };
	if (!cc || !ob.dst) {
		ret = -ENOMEM;
		goto out;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cc, total))) {
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i <= iovcnt; i++) {
		bool last = i == iovcnt;
		ZSTD_inBuffer ib = {
			.src = last ? NULL : iov[i].iov_base,
			.size = last ? 0 : iov[i].iov_len,
		};

		do {
			r = ZSTD_compressStream2(cc, &ob, &ib, last ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(r)) {
				ret = ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ?
				      -ENOMEM : -EINVAL;
				goto out;
			}
			/* A full output buffer with work left: the frame does not fit. */
			if (ob.pos == ob.size && (r || ib.pos < ib.size)) {
				ret = -ENOSPC;
				goto out;
			}
		} while (last ? r != 0 : ib.pos < ib.size);
	}
	*out = ob.dst;
	*out_len = ob.pos;
	ob.dst = NULL;
out:
	free(ob.dst);
	ZSTD_freeCCtx(cc);
	return ret;
}
