// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Reading one atom: into the caller's buffer (pread), or as a read-only
 * mapping of the module's page cache (mmap).  Both follow one rule: STAT,
 * fetch, then either the XXH64 matches (the bytes are the atom's, whatever
 * happened meanwhile) or the id is checked again, so that an atom evicted
 * under the read is -ENOENT and a damaged one -EBADMSG.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lib.h"
#include "syscall.h"

static int sc_pread_all(int fd, void *buf, uint64_t len, uint64_t off)
{
	while (len) {
		size_t k = len < SC_READ_CHUNK ? (size_t)len : (size_t)SC_READ_CHUNK;
		ssize_t n = __sys_pread(fd, buf, k, (off_t)off);

		if (n < 0)
			return (int)n;
		if (!n)
			return -EIO;
		buf = (char *)buf + n;
		len -= (uint64_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* STAT @id and plan its read; -ENOBUFS early when the length is known. */
static int sc_get_plan(struct scratch *s, struct scratch_id id, uint64_t cap,
		       unsigned int flags, struct sc_plan *p, uint64_t *len)
{
	struct scratch_stat st;
	int ret;

	ret = __scratch_stat(s, id, &st);
	if (!ret)
		ret = __scratch_plan(&st, id, __scratch_verify(s, flags), p);
	if (ret)
		return ret;
	if (p->length > cap) {
		*len = p->length;
		return -ENOBUFS;
	}
	return 0;
}

/*
 * The end of every read: unless the library hashed the bytes, the id must
 * still be present now that they are read, or they may be another atom's.
 */
static int sc_get_done(struct scratch *s, const struct sc_plan *p, int ret)
{
	if (ret == -EBADMSG || ret == -EIO || ret == -ENOENT)
		return __scratch_gone(s, p->id, ret);
	if (!ret && !p->verify)
		return __scratch_gone(s, p->id, 0);
	return ret;
}

__scratch_export
int scratch_atom_get(struct scratch *s, struct scratch_id id, void *buf, uint64_t cap,
		     unsigned int flags, uint64_t *len)
{
	struct sc_plan p;
	uint64_t got = 0;
	void *stored;
	int ret;

	if (!s || !len || (cap && !buf) || __scratch_check_flags(flags, SCRATCH_GET_ALL))
		return -EINVAL;
	*len = 0;
	ret = sc_get_plan(s, id, cap, flags, &p, len);
	if (ret)
		return ret;
	stored = __scratch_in_place(&p, cap) ? buf : malloc((size_t)p.stored_len);
	if (!stored && p.stored_len)
		return -ENOMEM;
	ret = sc_pread_all(s->fd, stored, p.stored_len, p.offset);
	if (!ret)
		ret = __scratch_finish(&p, stored, buf, cap, &got);
	if (stored != buf)
		free(stored);
	ret = sc_get_done(s, &p, ret);
	*len = got;
	return ret;
}

/* ---- mappings ------------------------------------------------------------------ */

/*
 * A mapping of an atom's pages, or, for a compressed atom, of private
 * memory holding its decompressed bytes (copy = true).  It does not refer to
 * the space handle: the kernel's VMA keeps the device file and the segment
 * pinned, so a mapping outlives scratch_space_close().
 */
struct scratch_map {
	void		*base;
	size_t		maplen;
	uint64_t	len;
	bool		copy;
};

static int sc_map_copy(const struct sc_plan *p, const void *stored, struct scratch_map *m)
{
	struct sc_plan peek = *p;
	uint64_t n = 0;
	void *dst;
	int ret;

	/* Learn the length first: zstd writes it in the frame header. */
	peek.verify = false;
	ret = __scratch_finish(&peek, stored, NULL, 0, &n);
	if (ret != -ENOBUFS && ret)
		return ret;
	m->maplen = n ? (size_t)SC_PAGE_UP(n) : SC_PAGE;
	ret = __sys_mmap(NULL, m->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0, &dst);
	if (ret)
		return ret;
	ret = __scratch_finish(&peek, stored, dst, n, &m->len);
	if (!ret)
		ret = __sys_mprotect(dst, m->maplen, PROT_READ);
	if (ret) {
		__sys_munmap(dst, m->maplen);
		return ret;
	}
	m->base = dst;
	m->copy = true;
	return 0;
}

__scratch_export
int scratch_atom_map(struct scratch *s, struct scratch_id id, unsigned int flags,
		     struct scratch_map **mp)
{
	struct scratch_map *m;
	struct sc_plan p;
	uint64_t unused;
	size_t maplen;
	void *addr;
	int ret;

	if (!s || !mp || __scratch_check_flags(flags, SCRATCH_GET_ALL))
		return -EINVAL;
	if (!(s->features & SCRATCH_F_MMAP))
		return -EOPNOTSUPP;
	ret = sc_get_plan(s, id, UINT64_MAX, flags, &p, &unused);
	if (ret)
		return ret;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (!p.stored_len) {
		/* An empty part has no page of its own to map. */
		ret = __scratch_gone(s, id, 0);
		if (!ret && p.verify && XXH64(NULL, 0, 0) != p.xxh64)
			ret = -EBADMSG;
		if (!ret)
			ret = sc_map_copy(&p, NULL, m);
		if (ret)
			goto err_free;
		*mp = m;
		return 0;
	}
	maplen = (size_t)SC_PAGE_UP(p.stored_len);
	ret = __sys_mmap(NULL, maplen, PROT_READ, MAP_SHARED, s->fd, (off_t)p.offset, &addr);
	if (ret)
		goto err_free;
	/* The mapping pins the segment: if the id is still present, it is ours. */
	ret = __scratch_gone(s, id, 0);
	if (!ret && p.verify && XXH64(addr, (size_t)p.stored_len, 0) != p.xxh64)
		ret = __scratch_gone(s, id, -EBADMSG);
	if (ret)
		goto err_unmap;
	if (p.atom_flags & SCRATCH_ATOM_ZSTD) {
		ret = sc_map_copy(&p, addr, m);
		__sys_munmap(addr, maplen);
		if (ret)
			goto err_free;
	} else {
		*m = (struct scratch_map){ .base = addr, .maplen = maplen, .len = p.length };
	}
	*mp = m;
	return 0;

err_unmap:
	__sys_munmap(addr, maplen);
err_free:
	free(m);
	return ret;
}

__scratch_export
const void *scratch_map_data(const struct scratch_map *m)
{
	return m ? m->base : NULL;
}

__scratch_export
uint64_t scratch_map_len(const struct scratch_map *m)
{
	return m ? m->len : 0;
}

__scratch_export
int scratch_map_is_copy(const struct scratch_map *m)
{
	return m && m->copy;
}

__scratch_export
void scratch_map_release(struct scratch_map *m)
{
	if (!m)
		return;
	__sys_munmap(m->base, m->maplen);
	free(m);
}
