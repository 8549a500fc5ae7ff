/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * scratch: the ABI between scratch.ko and userspace.
 *
 * This is the only header both sides share.  It uses fixed-width types only,
 * carries no pointers (user addresses travel as __u64), and compiles alone as
 * C90 and as C++.  Every struct passed by ioctl starts with a size field so it
 * can grow.  The size must be at least the struct's size in the first version
 * of this ABI (for every struct, its size today: none has grown yet), or the
 * call fails with EINVAL, and at most 4096, or E2BIG.  Bytes past the struct
 * the module knows must be zero (E2BIG otherwise): a newer program runs on an
 * older module as long as it leaves the newer fields zero.  A struct that
 * grows keeps its fields in place, and a shorter (older) struct is then taken
 * as if its missing fields were zero.  Reserved fields and unknown flag bits
 * must be zero, or the call fails with EINVAL.  Which bits are known is the
 * module's to say, so the masks are not here: the feature and flag masks
 * (SCRATCH_F_ALL, SCRATCH_*_ALL) live in kmod/scratch_priv.h and the atom
 * flags the on-disk format keeps in kmod/scratch_format.h.  Userspace asks
 * GET_FEATURES instead of compiling a mask in.
 *
 * Errnos seen by userspace, with their meaning everywhere in this ABI:
 *   ENOENT   the atom is missing: never written, evicted, aborted, owned by
 *            another tenant (indistinguishable on purpose), or dropped because
 *            a write error on its drive came before it was synced.
 *   EBADMSG  the atom exists but its bytes do not match its XXH64: found by
 *            the module's verification (read, mmap, STAT, VERIFY) or, for an
 *            array's part table, at COMMIT.
 *   ENOSPC   no segment can take the reservation: every candidate is pinned.
 *   EDQUOT   RESERVE or mmap past the fd's tenant's share: distinct segments
 *            pinned (mappings, open reservations) or bytes reserved, limits in
 *            sysfs (tenant_max_segments, tenant_max_reserved; half the space
 *            by default, 0 for none).
 *   EFBIG    the atom is larger than a segment's payload area or 4 GiB - 1.
 *   ENOTBLK  the path to attach is not a block device.
 *   EINVAL   a malformed request: bad size field, unknown flag, non-zero
 *            reserved field, unaligned or out-of-range offset or length.
 *   EFAULT   a user address in the request cannot be read or written.
 *   EBUSY    detach while the space is open or mapped; a device already in
 *            use; commit while writes to the reservation are in flight.
 *   EPERM    attach/detach/SCRUB without CAP_SYS_ADMIN; tenant rebound after
 *            I/O; on a broker space (sysfs broker_tenants), SET_TENANT without
 *            CAP_SYS_ADMIN, or any call on an fd no broker has bound.
 *   EACCES   a writable mapping of an atom was asked for.
 *   EROFS    the device to attach is read-only.
 *   ENODEV   no such space.
 *   EUCLEAN  the region holds a scratch format that does not match (foreign
 *            space, wrong region order, damaged superblocks).
 *   EMEDIUMTYPE  the region holds no scratch format and FORMAT was not asked.
 *   E2BIG    the region is too small for two segments; a struct's size field
 *            above 4096, or non-zero bytes past the struct the module knows.
 *   EAGAIN   a non-blocking read would block (io_uring retries it), which
 *            includes the first read of an atom not yet verified.
 *   EINTR    a verification, a SYNC or a reservation was cut short by a fatal
 *            signal; what the SYNC had not made durable waits for the next.
 *   EIO      the drive failed a read (the atom stays unverified); a write or
 *            flush failed since this fd's last SYNC or fsync (reported once
 *            per fd, as fsync(2) reports writeback errors: every atom of that
 *            drive not yet synced is dropped); COMMIT of a reservation whose
 *            pages a write error may have hit (the reservation is gone).
 *   ENOTTY   unknown ioctl.
 */
#ifndef _UAPI_LINUX_SCRATCH_H
#define _UAPI_LINUX_SCRATCH_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SCRATCH_ABI_VERSION		1
#define SCRATCH_CONTROL_NAME		"scratch-control"

/* ---------------------------------------------------------------------- */
/* Atom identifiers                                                        */
/* ---------------------------------------------------------------------- */

/*
 * An atom id is opaque to users: 128 bits, compared as two words.  The module
 * encodes lo = segment | generation << 32 and hi = slot | part << 32, where
 * part 0 names a whole atom or array and part i + 1 names part i of an array.
 * Generation 0 is never used, so the all-zero id is never valid.
 */
struct scratch_id {
	__u64	lo;
	__u64	hi;
};

/* ---------------------------------------------------------------------- */
/* Feature bits (SCRATCH_IOC_GET_FEATURES)                                 */
/* ---------------------------------------------------------------------- */

/* reserve -> pwrite -> commit write protocol */
#define SCRATCH_F_WRITE			(1ULL << 0)
/*
 * read/pread/io_uring reads through the page cache, IOCB_NOWAIT inline.  A
 * read is all or nothing: it returns the requested bytes clipped at the
 * atom's end, or fails having returned none (a retry at an advanced offset
 * never mixes two atoms).
 */
#define SCRATCH_F_READ			(1ULL << 1)
/* O_DIRECT reads of atoms */
#define SCRATCH_F_DIRECT		(1ULL << 2)
/* mmap(PROT_READ, MAP_SHARED) of atoms from the device page cache */
#define SCRATCH_F_MMAP			(1ULL << 3)
/* per-fd tenants */
#define SCRATCH_F_TENANT		(1ULL << 4)
/* atom arrays: nparts in RESERVE/COMMIT, part ids, part STAT */
#define SCRATCH_F_ARRAY			(1ULL << 5)
/* batch presence check without I/O */
#define SCRATCH_F_PRESENT		(1ULL << 6)
/* spaces spanning several regions */
#define SCRATCH_F_MULTI_REGION		(1ULL << 7)
/* attaching a formatted region reloads its committed, synced atoms */
#define SCRATCH_F_RELOAD		(1ULL << 8)
/*
 * Reloaded atoms are verified by the module (XXH64 from the page cache) on
 * their first read or mapping, or by VERIFY and SCRUB; a bad one is EBADMSG.
 * Atoms committed since attach are hashed the first time a read or mapping
 * needs their bytes from the drive (a range not all cached, or O_DIRECT).
 * STAT reports SCRATCH_STAT_VERIFIED; INFO and sysfs count verifications.
 */
#define SCRATCH_F_VERIFY		(1ULL << 9)

/*
 * HORIZON: how many bytes of new writes each id's segment has before it is
 * evicted, and the space's write rate (SCRATCH_IOC_HORIZON).
 */
#define SCRATCH_F_HORIZON		(1ULL << 10)
/*
 * Eviction events: an events fd (SCRATCH_IOC_EVENTS_FD) that poll() and
 * epoll report readable when segments were evicted, and the evicted
 * (segment, generation) pairs since a cursor (SCRATCH_IOC_EVICTIONS on it).
 */
#define SCRATCH_F_EVICTIONS		(1ULL << 11)

/* ---------------------------------------------------------------------- */
/* Control device: /dev/scratch-control                                    */
/* ---------------------------------------------------------------------- */

/* One region of a space: a block device, or a byte range of one. */
struct scratch_region_spec {
	__u64	path_addr;	/* user address of the device path */
	__u32	path_len;	/* bytes, without a terminating NUL; < 4096 */
	__u32	reserved0;
	__u64	offset;		/* byte offset in the device, 1 MiB aligned */
	__u64	length;		/* bytes; 0 = to the end of the device */
	__u64	reserved[2];
};

/* Format the regions (erasing any scratch space on them). */
#define SCRATCH_ATTACH_FORMAT		(1U << 0)

#define SCRATCH_MAX_REGIONS		16
#define SCRATCH_SEG_SHIFT_MIN		20	/* 1 MiB */
#define SCRATCH_SEG_SHIFT_MAX		34	/* 16 GiB */

struct scratch_attach {
	__u32	size;		/* sizeof(struct scratch_attach) */
	__u32	flags;		/* SCRATCH_ATTACH_* */
	__u32	nr_regions;	/* 1 .. SCRATCH_MAX_REGIONS */
	__u32	seg_shift;	/* log2 segment size; FORMAT only, else 0 */
	__u64	regions_addr;	/* user address of nr_regions specs */
	__u32	space_id;	/* out: N of /dev/scratchN */
	__u32	reserved0;
	__u64	reserved[4];
};

struct scratch_detach {
	__u32	size;
	__u32	flags;		/* none defined: 0 */
	__u32	space_id;
	__u32	reserved0;
	__u64	reserved[2];
};

struct scratch_list {
	__u32	size;
	__u32	flags;		/* none defined: 0 */
	__u32	capacity;	/* entries at ids_addr */
	__u32	count;		/* out: spaces attached (may exceed capacity) */
	__u64	ids_addr;	/* user address of capacity __u32 space ids */
	__u64	reserved[2];
};

/* ---------------------------------------------------------------------- */
/* A space: /dev/scratchN                                                  */
/* ---------------------------------------------------------------------- */

struct scratch_features {
	__u32	size;
	__u32	abi_version;	/* out: SCRATCH_ABI_VERSION */
	__u64	features;	/* out: SCRATCH_F_* */
	__u32	page_size;	/* out: alignment unit of offsets and writes */
	__u32	max_parts;	/* out: SCRATCH_MAX_PARTS */
	__u64	reserved[4];
};

/* Bind the fd to a tenant; allowed once, before any other atom ioctl or I/O. */
struct scratch_tenant {
	__u32	size;
	__u32	tenant;
	__u64	reserved[1];
};

#define SCRATCH_MAX_PARTS		65536

/*
 * Reserve room for an atom of exactly stored_len bytes (for an array, the
 * part table and all parts).  The caller then writes the bytes with
 * pwrite/io_uring at offset .. offset + stored_len on the same fd.  Each write
 * must start on a page boundary and end on one, or at offset + stored_len;
 * COMMIT checks that every page was written.  An uncommitted reservation is
 * freed by ABORT or when the fd is closed.
 */
struct scratch_reserve {
	__u32	size;
	__u32	flags;		/* none defined: 0 */
	__u64	stored_len;	/* 1 .. min(segment payload, 4 GiB - 1) */
	__u32	nr_parts;	/* 0 for a plain atom, 1..SCRATCH_MAX_PARTS */
	__u32	reserved0;
	struct scratch_id id;	/* out */
	__u64	offset;		/* out: space offset of the atom's first byte */
	__u64	reserved[2];
};

/*
 * Atom flags, stored and reported but not interpreted by the module, except
 * where noted.  The library uses them for its framing.
 */
#define SCRATCH_ATOM_ZSTD		(1U << 0)	/* stored bytes are zstd */

/*
 * Make a reservation visible: after COMMIT the atom can be read, mapped and
 * checked by its id; after COMMIT and SYNC it survives a crash.  xxh64 is the
 * XXH64 (seed 0) of the stored bytes; for an array, of the part table.
 */
struct scratch_commit {
	__u32	size;
	__u32	flags;		/* none defined: 0 */
	struct scratch_id id;
	__u64	length;		/* logical (uncompressed) length, < 4 GiB */
	__u64	xxh64;
	__u16	type;		/* user type tag */
	__u16	atom_flags;	/* SCRATCH_ATOM_* */
	__u32	reserved0;
	__u64	reserved[2];
};

struct scratch_abort {
	__u32	size;
	__u32	flags;		/* none defined: 0 */
	struct scratch_id id;
	__u64	reserved[1];
};

/*
 * Stat an atom, an array, or one part of an array.  For a part, offset,
 * stored_len and xxh64 are the part's own (from the array's part table, which
 * may need one read of the table page); length equals stored_len.  Once an
 * atom's record is durable in a sealed segment, the module keeps only part
 * of it in RAM and reads the rest back from the segment's table (one page
 * read, shared by 64 atoms, when not cached); a record found damaged there
 * is EBADMSG.
 *
 * STAT does no verification: an atom reloaded at attach and not yet read,
 * mapped or verified is reported without SCRATCH_STAT_VERIFIED; one that
 * failed verification is EBADMSG.  Output fields are not checked on input,
 * so a struct can be passed again as it came back.
 */
#define SCRATCH_STAT_VERIFIED		(1U << 0)	/* bytes match xxh64 */

struct scratch_stat {
	__u32	size;
	__u32	flags;		/* none defined: 0 */
	struct scratch_id id;	/* in */
	__u64	offset;		/* out: space offset of the first stored byte */
	__u64	stored_len;	/* out */
	__u64	length;		/* out: logical length */
	__u64	xxh64;		/* out */
	__u16	type;		/* out */
	__u16	atom_flags;	/* out */
	__u32	nr_parts;	/* out: parts of the array, 0 for an atom */
	__u32	status;		/* out: SCRATCH_STAT_* */
	__u32	reserved0;
	__u64	reserved[1];
};

/*
 * Presence of many ids in one call, without I/O.  For each id the module
 * writes one byte at results_addr: 1 present, 0 missing.  Returns the number
 * present.  count <= SCRATCH_PRESENT_MAX.  "Present" means the id still names
 * a stored atom (not evicted, aborted or dropped by scrub): an atom not yet
 * verified is present, and so is one that failed verification (its reads are
 * EBADMSG) until a scrub drops it.  So a reader whose read failed can tell
 * damage (still present) from an eviction under the read (missing).
 */
#define SCRATCH_PRESENT_MAX		(1U << 20)
struct scratch_present {
	__u32	size;
	__u32	flags;		/* none defined: 0 */
	__u32	count;
	__u32	reserved0;
	__u64	ids_addr;	/* user address of count struct scratch_id */
	__u64	results_addr;	/* user address of count __u8 */
	__u64	reserved[2];
};

struct scratch_info {
	__u32	size;
	__u32	space_id;
	__u32	nr_regions;
	__u32	seg_shift;
	__u64	capacity;	/* payload bytes over all segments */
	__u64	nr_segments;
	__u64	free_segments;
	__u64	pinned_segments;
	__u64	used_bytes;	/* stored bytes of live atoms, page-rounded */
	__u64	atoms;		/* live atoms and arrays */
	__u64	evictions;	/* segments evicted since attach */
	__u64	bytes_written;
	__u64	bytes_read;
	__u64	reload_us;	/* time the last attach took to reload */
	__u64	atom_ram_bytes;	/* RAM of the atom index */
	__u64	unverified;	/* live atoms reloaded and not yet verified */
	__u64	verified;	/* verifications passed since attach (RECHECK counts again) */
	__u64	bad;		/* atoms that failed verification since attach */
	__u64	write_errors;	/* write errors since attach (each dropped the unsynced atoms of its region) */
};

/*
 * Verify one atom now: hash its stored bytes (an array: its part table and
 * every part, whatever part the id names) from the page cache, reading the
 * drive as needed.  Returns 0 (good, or already verified: no I/O), EBADMSG,
 * ENOENT (missing or another tenant's), EIO, EINTR.  An atom found bad stays
 * EBADMSG for reads, mappings and STAT until SCRUB drops it or it is evicted.
 */
#define SCRATCH_VERIFY_RECHECK		(1U << 0)	/* hash it even if verified */

struct scratch_verify {
	__u32	size;
	__u32	flags;		/* SCRATCH_VERIFY_* */
	struct scratch_id id;
	__u64	reserved[2];
};

/*
 * Scrub: walk the space's atoms (every tenant's: CAP_SYS_ADMIN only) from a
 * cursor, verify each one not yet verified (every one with RECHECK), and drop
 * the bad ones: they become missing (ENOENT), and the next SYNC removes their
 * records from the drive.  One call checks atoms until max_bytes stored
 * bytes were hashed (at least one atom; 0: no limit), bad_ids_cap bad ids were
 * written, the space ends, or a signal arrives; it then returns 0 and the
 * cursor to pass next.  Userspace paces the calls (scratchctl scrub --rate).
 * The cursor is a position (segment, slot): atoms committed behind it during
 * the walk are new and need no check.  Output fields are not checked on input.
 */
#define SCRATCH_SCRUB_RECHECK		(1U << 0)	/* verified atoms too */
#define SCRATCH_SCRUB_END		(~(__u64)0)	/* cursor: walk complete */

struct scratch_scrub {
	__u32	size;
	__u32	flags;		/* SCRATCH_SCRUB_* */
	__u64	cursor;		/* in/out: 0 to start; SCRATCH_SCRUB_END when done */
	__u64	max_bytes;	/* in: stored bytes to hash in this call; 0: no limit */
	__u64	bad_ids_addr;	/* in: user address of bad_ids_cap struct scratch_id */
	__u32	bad_ids_cap;	/* in: 0: ids not reported */
	__u32	nr_bad;		/* out: bad atoms dropped; ids written: min(nr_bad, cap) */
	__u64	checked;	/* out: atoms hashed */
	__u64	bytes;		/* out: stored bytes hashed */
	__u64	errors;		/* out: atoms the drive failed to read (left unverified) */
	__u64	reserved[4];
};

/*
 * Eviction horizon of many ids in one call, without I/O.  Eviction is FIFO
 * by segment: for each id the module writes at results_addr the bytes of
 * new writes (payload, over all writers of the space) the space can take
 * before the id's segment is evicted, if pins and deletes stay as they are:
 * the room left in the open segments and in the free segments beyond the
 * pool that eviction keeps free, plus one segment's payload per unpinned
 * segment older than the id's.  0: the segment goes with the next segment
 * opened.  SCRATCH_HORIZON_MISSING for an id that is not present (as
 * PRESENT says), SCRATCH_HORIZON_PINNED for one whose segment is pinned
 * (mapped, read or written right now): it is not evicted while pinned.
 * Also the bytes written per second over the last 10 to 20 seconds, to turn
 * bytes into time.  Returns the number of ids present.  count <=
 * SCRATCH_HORIZON_MAX.  Output fields are not checked on input.
 */
#define SCRATCH_HORIZON_MAX		(1U << 20)
#define SCRATCH_HORIZON_MISSING		(~(__u64)0)
#define SCRATCH_HORIZON_PINNED		(~(__u64)0 - 1)
struct scratch_horizon {
	__u32	size;
	__u32	flags;		/* none defined: 0 */
	__u32	count;
	__u32	reserved0;
	__u64	ids_addr;	/* user address of count struct scratch_id */
	__u64	results_addr;	/* user address of count __u64 */
	__u64	write_rate;	/* out: bytes written per second, recent */
	__u64	rate_window_ms;	/* out: the time write_rate was measured over */
	__u64	segment_bytes;	/* out: payload bytes of one segment (the step of the FIFO) */
	__u64	reserved[2];
};

/*
 * Eviction events.  EVENTS_FD on a space's fd returns a new fd (O_CLOEXEC;
 * O_NONBLOCK is ignored: nothing blocks) for that space.  poll()/epoll on it
 * report EPOLLIN while segments were evicted past the cursor of its last
 * EVICTIONS call (past the eviction count when it was created, until then).
 * EVICTIONS on the events fd copies the evictions from the caller's cursor
 * on: each is a segment and the generation its ids carried (every id with
 * that segment and generation is gone; ids of later generations of the
 * segment are not).  The cursor counts evictions since attach; the module
 * keeps the most recent ring_size of them: a cursor older than that skips
 * to the oldest kept and reports how many were lost (then check the ids
 * with PRESENT).  A cursor past the count is EINVAL.  Output fields are not
 * checked on input.
 */
#define SCRATCH_EVENTS_FROM_START	(1U << 0)	/* poll: ready from cursor 0 */
struct scratch_events_fd {
	__u32	size;
	__u32	flags;		/* SCRATCH_EVENTS_* */
	__s32	fd;		/* out: the events fd */
	__u32	reserved0;
	__u64	cursor;		/* out: evictions so far (the cursor of "now") */
	__u64	reserved[2];
};
struct scratch_eviction {
	__u32	segment;
	__u32	generation;
};
struct scratch_evictions {
	__u32	size;
	__u32	flags;		/* none defined: 0 */
	__u64	cursor;		/* in: first eviction wanted; out: the next one */
	__u64	events_addr;	/* user address of capacity struct scratch_eviction */
	__u32	capacity;
	__u32	count;		/* out: evictions written */
	__u64	lost;		/* out: evictions skipped, older than the ring */
	__u64	head;		/* out: evictions so far */
	__u32	ring_size;	/* out: evictions the module keeps */
	__u32	reserved0;
	__u64	reserved[2];
};

#define SCRATCH_IOC_MAGIC		0xB5

#define SCRATCH_IOC_GET_FEATURES	_IOWR(SCRATCH_IOC_MAGIC, 0x00, struct scratch_features)
#define SCRATCH_IOC_ATTACH		_IOWR(SCRATCH_IOC_MAGIC, 0x01, struct scratch_attach)
#define SCRATCH_IOC_DETACH		_IOW(SCRATCH_IOC_MAGIC, 0x02, struct scratch_detach)
#define SCRATCH_IOC_LIST		_IOWR(SCRATCH_IOC_MAGIC, 0x03, struct scratch_list)
#define SCRATCH_IOC_SET_TENANT		_IOW(SCRATCH_IOC_MAGIC, 0x10, struct scratch_tenant)
#define SCRATCH_IOC_RESERVE		_IOWR(SCRATCH_IOC_MAGIC, 0x11, struct scratch_reserve)
#define SCRATCH_IOC_COMMIT		_IOW(SCRATCH_IOC_MAGIC, 0x12, struct scratch_commit)
#define SCRATCH_IOC_ABORT		_IOW(SCRATCH_IOC_MAGIC, 0x13, struct scratch_abort)
#define SCRATCH_IOC_STAT		_IOWR(SCRATCH_IOC_MAGIC, 0x14, struct scratch_stat)
#define SCRATCH_IOC_PRESENT		_IOWR(SCRATCH_IOC_MAGIC, 0x15, struct scratch_present)
#define SCRATCH_IOC_SYNC		_IO(SCRATCH_IOC_MAGIC, 0x16)
#define SCRATCH_IOC_INFO		_IOWR(SCRATCH_IOC_MAGIC, 0x17, struct scratch_info)
#define SCRATCH_IOC_VERIFY		_IOW(SCRATCH_IOC_MAGIC, 0x18, struct scratch_verify)
#define SCRATCH_IOC_SCRUB		_IOWR(SCRATCH_IOC_MAGIC, 0x19, struct scratch_scrub)
#define SCRATCH_IOC_HORIZON		_IOWR(SCRATCH_IOC_MAGIC, 0x1a, struct scratch_horizon)
#define SCRATCH_IOC_EVENTS_FD		_IOWR(SCRATCH_IOC_MAGIC, 0x1b, struct scratch_events_fd)
#define SCRATCH_IOC_EVICTIONS		_IOWR(SCRATCH_IOC_MAGIC, 0x1c, struct scratch_evictions)

#endif /* _UAPI_LINUX_SCRATCH_H */
