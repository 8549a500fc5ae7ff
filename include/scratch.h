/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libscratch: the userspace library of scratch, a blob store on raw NVMe
 * drives (see scratch(7) for the model, and one man page per function).
 *
 * Conventions, everywhere in this header:
 *   - Functions return 0 (or a count) on success and -errno on failure.  They
 *     never set errno and never print.
 *   - Handles are opaque and caller-owned; the library has no global state.
 *   - Thread safety is stated per function: "any thread" means the call may
 *     run concurrently with any other call on the same handle, except
 *     scratch_space_close(); "one thread" means the object must not be used
 *     by two threads at the same time.
 *   - An atom that is missing (never written, evicted, torn by a crash, or
 *     owned by another tenant) is -ENOENT; one whose bytes fail their XXH64
 *     is -EBADMSG.  No call ever hands back wrong bytes.
 *
 * Compiles as C90 and as C++.
 */
#ifndef LIBSCRATCH_H
#define LIBSCRATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "scratch_version.h"
#include "uapi/scratch.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this header is in scratch_version.h (generated from the tree's
 * VERSION file): LIBSCRATCH_VERSION_MAJOR, _MINOR, _PATCH, LIBSCRATCH_VERSION and
 * LIBSCRATCH_VERSION_AT_LEAST(major, minor) for compile-time checks.  The library's
 * own version, at run time (any thread):
 */
const char *scratch_version(void);
int scratch_version_major(void);
int scratch_version_minor(void);

/* An open space (/dev/scratchN) bound to one tenant. */
struct scratch;
/* A read-only mapping of one atom; outlives the space handle. */
struct scratch_map;
/* An asynchronous read queue: one io_uring, used by one thread. */
struct scratch_queue;

/* ---- spaces --------------------------------------------------------------- */

/* Verify every atom's XXH64 in userspace, even where the module vouches. */
#define SCRATCH_OPEN_VERIFY		(1U << 0)
#define SCRATCH_OPEN_ALL		(SCRATCH_OPEN_VERIFY)

/* Queue depth of batch reads when scratch_space_open() is given 0. */
#define SCRATCH_DEFAULT_QD		64
#define SCRATCH_MAX_QD			4096

/* Any thread; close only when no other call (and no queue) uses the handle. */
int scratch_space_open(const char *path, uint32_t tenant, unsigned int flags,
		       unsigned int queue_depth, struct scratch **sp);
void scratch_space_close(struct scratch *s);
/* Any thread. */
int scratch_space_fd(const struct scratch *s);
int scratch_space_features(const struct scratch *s, uint64_t *features);
/*
 * Structs the library fills are passed with their size (sizeof in the caller's build):
 * the library zeroes @size bytes and fills what both it and the caller know, so a
 * program built against an older header runs with a newer library and the other way
 * round.  Sizes below a struct's first release are -EINVAL.
 */
int scratch_space_info(struct scratch *s, struct scratch_info *info, size_t size);
int scratch_space_sync(struct scratch *s);

/* ---- writing -------------------------------------------------------------- */

/*
 * Compress with zstd (at SCRATCH_PUT_LEVEL(n), 1..22, default 3).  An atom
 * that does not shrink is stored raw; the flag only allows compression.
 */
#define SCRATCH_PUT_ZSTD		(1U << 0)
/* Make the atom durable before returning (a space-wide sync). */
#define SCRATCH_PUT_SYNC		(1U << 1)
#define SCRATCH_PUT_LEVEL(n)		(((unsigned int)(n) & 0x1fU) << 8)
#define SCRATCH_PUT_LEVEL_OF(f)		(((f) >> 8) & 0x1fU)
#define SCRATCH_PUT_ALL			(SCRATCH_PUT_ZSTD | SCRATCH_PUT_SYNC | \
					 SCRATCH_PUT_LEVEL(0x1f))

/* Largest atom (logical and stored) the library accepts: 4 GiB - 1. */
#define SCRATCH_ATOM_MAX		0xffffffffULL

/* Any thread.  With SCRATCH_PUT_SYNC, *id is set even if the sync fails. */
int scratch_atom_put(struct scratch *s, const void *buf, size_t len,
		     uint16_t type, unsigned int flags, struct scratch_id *id);
int scratch_atom_putv(struct scratch *s, const struct iovec *iov, int iovcnt,
		      uint16_t type, unsigned int flags, struct scratch_id *id);
int scratch_array_put(struct scratch *s, const struct iovec *parts,
		      uint32_t nr_parts, uint16_t type, unsigned int flags,
		      struct scratch_id *id);

/* ---- ids ------------------------------------------------------------------ */

/* Characters of an id's text form, with the terminating NUL. */
#define SCRATCH_ID_STRLEN		33

/* Pure functions: any thread. */
struct scratch_id scratch_array_part_id(struct scratch_id array, uint32_t i);
int scratch_id_equal(struct scratch_id a, struct scratch_id b);
/* 1 if @id names one part of an array (scratch_array_part_id()), else 0. */
int scratch_id_is_part(struct scratch_id id);
void scratch_id_format(struct scratch_id id, char buf[SCRATCH_ID_STRLEN]);
int scratch_id_parse(const char *str, struct scratch_id *id);

/* ---- reading -------------------------------------------------------------- */

/* Check the XXH64 in userspace even where the module vouches for the bytes. */
#define SCRATCH_GET_VERIFY		(1U << 0)
#define SCRATCH_GET_ALL			(SCRATCH_GET_VERIFY)

struct scratch_atom_info {
	uint64_t	length;		/* logical bytes: what a get returns */
	uint64_t	stored_len;	/* bytes on the drive */
	uint64_t	xxh64;		/* of the stored bytes */
	uint32_t	nr_parts;	/* parts of an array, 0 for an atom */
	uint16_t	type;		/* user type tag */
	uint16_t	atom_flags;	/* SCRATCH_ATOM_* */
	uint32_t	status;		/* SCRATCH_STAT_*: VERIFIED once checked */
	uint32_t	reserved;
};

/* Any thread. */
int scratch_atom_stat(struct scratch *s, struct scratch_id id,
		      struct scratch_atom_info *info, size_t size);
int scratch_atom_present(struct scratch *s, const struct scratch_id *ids,
			 unsigned int n, uint8_t *present);
int scratch_atom_verify(struct scratch *s, struct scratch_id id, unsigned int flags);
int scratch_atom_get(struct scratch *s, struct scratch_id id, void *buf,
		     uint64_t cap, unsigned int flags, uint64_t *len);

/* One read of a batch: the caller fills id, buf and cap; res and len are out. */
struct scratch_get {
	struct scratch_id	id;
	void			*buf;
	uint64_t		cap;
	uint64_t		len;	/* out: logical bytes read */
	int32_t			res;	/* out: 0 or -errno */
	uint32_t		reserved;
};

/* Any thread: each call takes a queue of its own from the handle's pool. */
int scratch_atom_get_batch(struct scratch *s, struct scratch_get *reqs,
			   unsigned int n, unsigned int flags);

/* ---- mapping -------------------------------------------------------------- */

/* Any thread.  A map outlives scratch_space_close(); release it once. */
int scratch_atom_map(struct scratch *s, struct scratch_id id,
		     unsigned int flags, struct scratch_map **mp);
const void *scratch_map_data(const struct scratch_map *m);
uint64_t scratch_map_len(const struct scratch_map *m);
int scratch_map_is_copy(const struct scratch_map *m);
void scratch_map_release(struct scratch_map *m);

/* ---- asynchronous reads ----------------------------------------------------- */

struct scratch_completion {
	uint64_t	user_data;
	uint64_t	len;	/* logical bytes read */
	int32_t		res;	/* 0 or -errno */
	uint32_t	reserved;
};

/*
 * init: any thread.  The other calls: one thread at a time per queue.  Exit
 * every queue before closing its space.
 */
int scratch_queue_init(struct scratch *s, unsigned int depth,
		       unsigned int flags, struct scratch_queue **qp);
void scratch_queue_exit(struct scratch_queue *q);
int scratch_queue_get(struct scratch_queue *q, struct scratch_id id, void *buf,
		      uint64_t cap, unsigned int flags, uint64_t user_data);
int scratch_queue_submit(struct scratch_queue *q);
int scratch_queue_reap(struct scratch_queue *q, struct scratch_completion *out,
		       unsigned int max, unsigned int wait_nr);
unsigned int scratch_queue_inflight(const struct scratch_queue *q);
int scratch_queue_fd(const struct scratch_queue *q);

/* ---- administration ------------------------------------------------------- */

/*
 * The control device (/dev/scratch-control, root only): attach, detach and
 * the module's features.  One handle, one file descriptor; any thread.
 */
struct scratch_ctl;

/* One region of a space to attach: a block device, or a byte range of one. */
struct scratch_region {
	const char	*path;		/* the block device */
	uint64_t	offset;		/* bytes into it, 1 MiB aligned */
	uint64_t	length;		/* bytes; 0: to the end of the device */
	uint64_t	reserved[2];	/* zero */
};

/* What the loaded module supports (see scratch_ctl_features(3)). */
struct scratch_module_features {
	uint64_t	features;	/* SCRATCH_F_* */
	uint32_t	abi_version;	/* SCRATCH_ABI_VERSION of the module */
	uint32_t	page_size;	/* alignment unit of offsets and writes */
	uint32_t	max_parts;	/* parts of an array, at most */
	uint32_t	reserved0;
	uint64_t	reserved[4];
};

/* path NULL: /dev/scratch-control.  flags: 0. */
int scratch_ctl_open(const char *path, unsigned int flags, struct scratch_ctl **cp);
void scratch_ctl_close(struct scratch_ctl *c);
int scratch_ctl_features(struct scratch_ctl *c, struct scratch_module_features *f,
			 size_t size);
/* flags: SCRATCH_ATTACH_FORMAT or 0; seg_shift: with FORMAT only (0: the module's). */
int scratch_ctl_attach(struct scratch_ctl *c, const struct scratch_region *regions,
		       unsigned int nr, unsigned int flags, unsigned int seg_shift,
		       uint32_t *space_id);
int scratch_ctl_detach(struct scratch_ctl *c, uint32_t space_id);

/* Capacity, use and counters of an attached space, read without opening it. */
struct scratch_space_status {
	uint32_t	space_id;	/* N of /dev/scratchN */
	uint32_t	nr_regions;
	uint32_t	seg_shift;	/* log2 of the segment size */
	uint32_t	reserved0;
	uint64_t	capacity;	/* payload bytes over all segments */
	uint64_t	nr_segments;
	uint64_t	free_segments;
	uint64_t	pinned_segments;
	uint64_t	used_bytes;	/* stored bytes of live atoms, page-rounded */
	uint64_t	atoms;		/* live atoms and arrays */
	uint64_t	evictions;	/* segments evicted since attach */
	uint64_t	bytes_written;
	uint64_t	bytes_read;
	uint64_t	reload_us;	/* time the last attach took to reload */
	uint64_t	atom_ram_bytes;	/* RAM of the atom index */
	uint64_t	unverified;	/* reloaded atoms not yet verified */
	uint64_t	verified;	/* verifications passed since attach */
	uint64_t	bad;		/* atoms that failed verification since attach */
	uint64_t	write_errors;	/* write errors since attach */
	uint8_t		uuid[16];	/* the space's (zero from a module without it) */
	char		label[32];	/* the host's name for it, "" if none */
	uint64_t	reserved[2];
};

/* One member (region) of a space. */
struct scratch_member {
	uint32_t	index;		/* its position in the space */
	uint32_t	major;		/* of its block device */
	uint32_t	minor;
	uint32_t	reserved0;
	uint64_t	offset;		/* bytes into the device */
	uint64_t	length;		/* bytes of the device it uses */
	uint64_t	read_errors;	/* I/O errors it returned since attach */
	uint64_t	write_errors;
	char		name[32];	/* the kernel's name of the device (nvme0n1) */
	uint64_t	reserved[4];
};

/*
 * Any thread, no handle: the attached spaces' ids, ascending (the control
 * device when the caller may open it, else sysfs); returns how many are
 * attached, which may exceed cap (call again with more room).
 */
int scratch_space_list(uint32_t *ids, unsigned int cap);
int scratch_space_status(uint32_t space_id, struct scratch_space_status *st, size_t size);
/*
 * Any thread, no handle: the members of a space in its order, each @size
 * bytes after the last (sizeof(*members)); returns how many it has, which may
 * exceed cap.
 */
int scratch_space_members(uint32_t space_id, struct scratch_member *members, unsigned int cap,
			  size_t size);
/* Root: name the space (1 to 31 of [A-Za-z0-9._-]; "" clears it): /dev/scratch/NAME. */
int scratch_space_set_label(uint32_t space_id, const char *label);

/* One step of a scrub (CAP_SYS_ADMIN): what it checked and dropped. */
struct scratch_scrub_stats {
	uint64_t	checked;	/* atoms hashed */
	uint64_t	bytes;		/* stored bytes hashed */
	uint64_t	errors;		/* atoms the drive failed to read (left unverified) */
	uint64_t	segment;	/* progress: the segment the walk is in (0 at its end) */
	uint32_t	nr_bad;		/* bad atoms dropped; ids written: min(nr_bad, cap) */
	uint32_t	reserved0;
	uint64_t	reserved[4];
};

/*
 * Any thread.  *cursor: 0 to start, SCRATCH_SCRUB_END when the walk is done;
 * flags: SCRATCH_SCRUB_RECHECK or 0; max_bytes: stored bytes to hash (0: all).
 */
int scratch_space_scrub(struct scratch *s, uint64_t *cursor, uint64_t max_bytes,
			unsigned int flags, struct scratch_id *bad_ids, unsigned int bad_cap,
			struct scratch_scrub_stats *st, size_t size);

/* What one tenant of a space has and did (sysfs "tenants"). */
struct scratch_tenant_stat {
	uint32_t	tenant;
	uint32_t	other;		/* 1: the counters that tenants past the first 4096 share */
	uint64_t	atoms;		/* live atoms and arrays */
	uint64_t	stored_bytes;	/* their stored bytes, page-rounded */
	uint64_t	bytes_written;	/* since attach */
	uint64_t	bytes_read;	/* since attach, by reads (not mappings) */
	uint64_t	pinned_segments; /* distinct segments it pins now */
	uint64_t	reserved_bytes;	/* of its open reservations */
	uint64_t	reserved[4];
};

/*
 * Any thread, no handle: the tenants of space space_id with counters,
 * ascending; returns how many there are, which may exceed cap.  size:
 * sizeof(struct scratch_tenant_stat).
 */
int scratch_space_tenants(uint32_t space_id, struct scratch_tenant_stat *t, unsigned int cap,
			  size_t size);

/* ---- ahead of eviction, and after it -------------------------------------- */

/*
 * Any thread.  bytes[i]: the bytes of new writes the space takes before the
 * segment of ids[i] is evicted (FIFO), SCRATCH_HORIZON_MISSING or
 * SCRATCH_HORIZON_PINNED; *write_rate (NULL: not wanted) the space's recent
 * bytes written per second.  Returns the number of ids present.
 */
int scratch_atom_horizon(struct scratch *s, const struct scratch_id *ids, unsigned int n,
			 uint64_t *bytes, uint64_t *write_rate);

/*
 * A watch of a space's evictions: its fd polls readable when segments were
 * evicted past the cursor of its last read.  One thread per watch; a watch
 * outlives scratch_space_close() of its handle.  flags: 0, or
 * SCRATCH_EVENTS_FROM_START (readable from cursor 0).
 */
struct scratch_watch;

int scratch_watch_open(struct scratch *s, unsigned int flags, struct scratch_watch **wp);
void scratch_watch_close(struct scratch_watch *w);
int scratch_watch_fd(const struct scratch_watch *w);
/*
 * The evictions from *cursor on (at most cap), *cursor advanced past them;
 * *lost (NULL: not wanted): evictions skipped because the module no longer
 * keeps them.  Returns how many were written to ev.
 */
int scratch_watch_read(struct scratch_watch *w, uint64_t *cursor, struct scratch_eviction *ev,
		       unsigned int cap, uint64_t *lost);
/*
 * Any thread, no I/O: gone[i] = 1 if an eviction in ev names the segment and
 * generation of ids[i].  Sorts ev in place.  Returns how many are gone.
 */
int scratch_watch_gone(struct scratch_eviction *ev, unsigned int n,
		       const struct scratch_id *ids, unsigned int nids, uint8_t *gone);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCRATCH_H */
