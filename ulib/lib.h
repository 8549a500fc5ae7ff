/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libscratch's private declarations: the handle, the read plan shared by the
 * synchronous, batch and queued reads, and the framing helpers of frame.c.
 */
#ifndef LIBSCRATCH_LIB_H
#define LIBSCRATCH_LIB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scratch.h"
#include "scratch_format.h"

#define SC_PAGE			4096ULL
#define SC_PAGE_UP(x)		(((x) + SC_PAGE - 1) & ~(SC_PAGE - 1))
/* Largest read the library hands the kernel at once (io_uring lengths are 32-bit). */
#define SC_READ_CHUNK		(1ULL << 30)
#define SC_ZSTD_LEVEL_DEFAULT	3
/* ZSTD_FRAMEHEADERSIZE_MAX, which zstd.h shows to static linking only. */
#define SC_ZSTD_HEADER_MAX	18

#define __scratch_export	__attribute__((visibility("default")))

/*
 * An open space.  fd, tenant, flags, features and qd are written once by
 * scratch_space_open(); only the queue pool changes afterwards, under
 * pool_lock, which is why every synchronous call may run from any thread.
 */
struct scratch {
	int			fd;
	uint32_t		tenant;
	unsigned int		flags;		/* SCRATCH_OPEN_* */
	unsigned int		qd;
	uint64_t		features;	/* SCRATCH_F_* of the module */
	pthread_mutex_t		pool_lock;
	struct scratch_queue	*pool;		/* idle queues of batch reads */
};

/* What one read must fetch, and how to turn the stored bytes into the result. */
struct sc_plan {
	struct scratch_id	id;
	uint64_t		offset;		/* space offset of the stored bytes */
	uint64_t		stored_len;
	uint64_t		length;		/* logical; unknown (0) for a zstd part */
	uint64_t		xxh64;
	uint16_t		atom_flags;
	bool			part;
	bool			verify;		/* hash the stored bytes here */
};

/*
 * A struct the caller gave with its @size: zeroed, then filled with what both sides
 * know.  The first release's sizes are the smallest a caller may pass.
 */
#define SC_SIZE_TO(type, last)	(offsetof(type, last) + sizeof(((type *)0)->last))
#define SC_INFO_SIZE_1_0	SC_SIZE_TO(struct scratch_info, write_errors)
#define SC_ATOM_INFO_SIZE_1_0	SC_SIZE_TO(struct scratch_atom_info, reserved)
static inline void __scratch_copy_out(void *dst, size_t size, const void *src, size_t have)
{
	memset(dst, 0, size);
	memcpy(dst, src, size < have ? size : have);
}

/* Ids (id.c): the part index sits above bit 32 of hi; nothing else decodes an id. */
#define SC_ID_PART_SHIFT	32
static inline bool __scratch_id_is_part(struct scratch_id id)
{
	return (id.hi >> SC_ID_PART_SHIFT) != 0;
}

/* frame.c: pure logic, no system calls (also built into the unit tests). */
int __scratch_plan(const struct scratch_stat *st, struct scratch_id id,
		   bool verify, struct sc_plan *p);
int __scratch_finish(const struct sc_plan *p, const void *stored, void *buf,
		     uint64_t cap, uint64_t *len);
bool __scratch_in_place(const struct sc_plan *p, uint64_t cap);
int __scratch_compress(const struct iovec *iov, int iovcnt, uint64_t total,
		       int level, void **out, uint64_t *out_len);
uint64_t __scratch_xxh64v(const struct iovec *iov, int iovcnt);
uint64_t __scratch_part_table_bytes(uint32_t nr_parts);
int __scratch_check_flags(unsigned int flags, unsigned int all);

/* space.c */
int __scratch_get_features(int fd, struct scratch_features *k);
int __scratch_stat(struct scratch *s, struct scratch_id id, struct scratch_stat *st);
int __scratch_gone(struct scratch *s, struct scratch_id id, int err);
bool __scratch_verify(const struct scratch *s, unsigned int flags);

/* queue.c: the pool of batch-read queues of a handle */
void __scratch_pool_drain(struct scratch *s);

#endif /* LIBSCRATCH_LIB_H */
