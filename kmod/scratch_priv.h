/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private declarations shared by the files of scratch.ko: the space, its
 * regions and segments, per-fd state, and the functions each file exports to
 * the others.
 */
#ifndef SCRATCH_PRIV_H
#define SCRATCH_PRIV_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/errseq.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include "core.h"

/*
 * What this module knows of each UAPI flags word: GET_FEATURES reports
 * SCRATCH_F_ALL, and a request with a bit outside its word's mask is EINVAL.
 * Kept out of the UAPI header (as ublk keeps UBLK_F_ALL in its driver): a
 * program built against a newer header must ask the module, not assume.
 */
#define SCRATCH_F_ALL		(SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_DIRECT |	\
				 SCRATCH_F_MMAP | SCRATCH_F_TENANT | SCRATCH_F_ARRAY |	\
				 SCRATCH_F_PRESENT | SCRATCH_F_MULTI_REGION |		\
				 SCRATCH_F_RELOAD | SCRATCH_F_VERIFY | SCRATCH_F_HORIZON |	\
				 SCRATCH_F_EVICTIONS)
#define SCRATCH_ATTACH_ALL	(SCRATCH_ATTACH_FORMAT)
#define SCRATCH_VERIFY_ALL	(SCRATCH_VERIFY_RECHECK)
#define SCRATCH_SCRUB_ALL	(SCRATCH_SCRUB_RECHECK)
#define SCRATCH_EVENTS_ALL	(SCRATCH_EVENTS_FROM_START)

#define SC_MAX_SPACES		256
#define SC_LABEL_MAX		32	/* with its NUL */
#define SC_INITIAL_SLOTS	8	/* index entries of a newly opened segment */

/* Slot states of struct sc_atom.state (low two bits). */
#define SC_A_EMPTY		0	/* never used, aborted, or dropped by scrub */
#define SC_A_RESERVED		1	/* handed to a writer, not committed */
#define SC_A_LIVE		2	/* committed: visible to readers */
#define SC_A_STATE		0x03
/*
 * Verification of LIVE atoms.  Atoms committed since attach are trusted
 * (the writer hashed them); reloaded ones start UNVERIFIED.  The first read,
 * mapping, VERIFY or SCRUB hashes them from the page cache: VERIFYING marks
 * the one task doing it (others wait on the segment: wake_up_var(seg)), and
 * the result is either "verified" (no bit) or BAD (EBADMSG from then on).
 */
#define SC_A_UNVERIFIED		0x04
#define SC_A_VERIFYING		0x08
#define SC_A_BAD		0x40
/* Durability: the record's way to the segment table (sync.c). */
#define SC_A_FLUSHING		0x10	/* payload flushed by a sync under way */
#define SC_A_DURABLE		0x20	/* record written by a completed sync */
/* RESERVED: a write error may have hit its pages; commit fails (EIO). */
#define SC_A_LOST		0x80
/*
 * LIVE (the same bit as LOST, which only RESERVED slots carry): committed
 * since attach, and the drive's copy not yet read back.  Its cached pages
 * are what the writer wrote; the first time a read needs a page from the
 * drive, the drive's copy is hashed first (verify.c): a drive that dropped
 * the writes and reported success must not hand back a previous occupant's
 * bytes.
 */
#define SC_A_FRESH		0x80

/*
 * An atom as one caller sees it at one moment: the entry, and its meta once
 * scratch_atom_meta() has filled it (from RAM, or from the table page).
 */
struct sc_atom_snap {
	struct sc_atom a;
	struct sc_atom_meta m;
	u64 seq;
	u32 gen;
	u32 slot;
	bool have_meta;
};

/* A range of slots, lo..hi inclusive; lo > hi: empty. */
struct sc_range {
	u32 lo;
	u32 hi;
};

static inline bool sc_range_empty(const struct sc_range *r)
{
	return r->lo > r->hi;
}

static inline void sc_range_clear(struct sc_range *r)
{
	r->lo = 1;
	r->hi = 0;
}

static inline void sc_range_add(struct sc_range *r, u32 lo, u32 hi)
{
	if (sc_range_empty(r)) {
		r->lo = lo;
		r->hi = hi;
	} else {
		r->lo = min(r->lo, lo);
		r->hi = max(r->hi, hi);
	}
}

static inline void sc_range_merge(struct sc_range *r, const struct sc_range *add)
{
	if (!sc_range_empty(add))
		sc_range_add(r, add->lo, add->hi);
}

enum sc_seg_state {
	SC_SEG_FREE,		/* on its region's free list, header says FREE */
	SC_SEG_OPEN,		/* taking reservations; on the FIFO */
	SC_SEG_SEALED,		/* full; on the FIFO, evictable when unpinned */
	SC_SEG_DYING,		/* being evicted: invisible, off every list */
};

/*
 * One segment.  Every field is protected by space->lock; atoms[] may be
 * replaced (grown while open, trimmed once sealed) whenever that lock is not
 * held, so nobody keeps a pointer into it across an unlock.
 */
struct sc_segment {
	struct sc_space *space;	/* constant */
	struct list_head node;	/* space->fifo (OPEN, SEALED) or region->free */
	struct sc_atom *atoms;	/* cap entries; NULL when FREE */
	/*
	 * cap entries, slot for slot with atoms[], while the segment may hold
	 * a record that is not durable (OPEN, a reservation, a commit not yet
	 * synced); NULL once it is settled (scratch_segs_compact()): then each
	 * live atom's record is on the disk (and in the page cache), and the
	 * meta of an atom is read from its table page.  Never comes back for
	 * the same generation: a sealed segment takes no new atoms.
	 */
	struct sc_atom_meta *meta;
	u64 seq;		/* fill order: the FIFO key, persisted */
	u32 idx;		/* space-wide index */
	u32 gen;		/* generation, in every id of this segment */
	u32 pins;		/* mappings, reads in flight, reservations */
	u32 next_page;		/* allocation cursor (OPEN) */
	u32 cap;		/* entries in atoms[] */
	u32 nr_used;		/* slots handed out */
	u32 nr_live;		/* committed atoms */
	struct sc_range dirty;	/* slots whose records a sync must write */
	struct sc_range syncing; /* taken by the sync under way (and sync_mutex) */
	u32 live_pages;		/* pages of committed atoms */
	u32 nr_unverified;	/* LIVE atoms with SC_A_UNVERIFIED */
	u8 state;		/* enum sc_seg_state */
	u8 region;
	/*
	 * Sealed, and its index may get smaller: trimmed to nr_used, and
	 * meta[] freed once settled (scratch_segs_compact()).
	 */
	bool shrink;
	bool hdr_sealed;	/* SEALED header written (alloc_mutex and lock) */
	bool lost;		/* atoms dropped after a write error: faults check */
};

struct sc_region {
	struct file *file;	/* O_RDWR|O_EXCL: the claim, I/O, page cache */
	struct file *ro_file;	/* O_RDONLY: the vm_file of user mappings */
	struct block_device *bdev;
	u64 dev_off;		/* byte offset of the region in its device */
	u64 len;		/* bytes of the device the region covers */
	u64 first_seg;		/* space-wide index of its first segment */
	u64 nr_segs;
	/* I/O errors the region returned since attach (sysfs members): */
	atomic64_t read_errors;	/* reads of atoms and their checks */
	atomic64_t write_errors; /* writebacks that failed (each dropped unsynced atoms) */
	/* Under space->lock: */
	struct list_head free;	/* FREE segments, ready for reuse */
	u32 nr_free;
	struct sc_segment *open; /* where reservations go; may be NULL */
};

/* What a tenant has and did (tenant.c); atomics, read without a lock. */
struct sc_tstat {
	atomic64_t atoms;	/* live atoms and arrays */
	atomic64_t stored_pages; /* their stored pages */
	atomic64_t written;	/* bytes written since attach */
	atomic64_t read;	/* bytes read since attach (reads, not mappings) */
};

struct sc_space {
	struct device dev;	/* /sys/class/scratch/scratchN; owns the memory */
	struct cdev cdev;	/* /dev/scratchN */
	struct file *anchor;	/* one reference per mapping: pins the module */
	int id;
	struct sc_geom geom;
	u8 uuid[16];
	u32 nr_regions;
	struct sc_region *regions;
	u64 nr_segs;
	struct sc_segment *segs;

	/*
	 * lock protects the segments (see struct sc_segment), the regions'
	 * free lists and open segments, the FIFO and the counters below it.
	 * It is a spinlock held for short, non-sleeping sections only.
	 *
	 * Lock order, outermost first:
	 *   sc_spaces_mutex (space.c) -> alloc_mutex -> lock
	 *   sync_mutex -> lock
	 * sc_file.lock is never held together with lock; tenant_mutex is a
	 * leaf, taken with nothing of ours held (under the caller's mmap_lock
	 * in mmap, ->open and ->close).  The refill and check-ahead works take
	 * alloc_mutex and lock only: detach cancels them under sc_spaces_mutex.
	 */
	spinlock_t lock;
	struct list_head fifo;	/* OPEN and SEALED segments, oldest first */
	struct list_head limbo;	/* DYING segments whose FREE header failed */
	u64 next_seq;
	u32 rr;			/* round-robin cursor over regions */
	u32 nr_free;
	u32 free_target;	/* refill keeps this many segments free */
	u64 nr_atoms;
	u64 used_pages;
	u64 nr_unverified;	/* sum of the segments' nr_unverified */
	u64 nr_slots;		/* sum of the segments' cap (index RAM) */
	u64 nr_meta;		/* sum of the cap of segments with meta[] */
	u32 nr_pinned;		/* segments with pins */
	u32 nr_open;		/* open fds of /dev/scratchN */
	u32 nr_maps;		/* live mappings (VMAs) */
	bool dead;		/* detached: no new opens */
	/*
	 * Tenants are bound by a privileged broker only (sysfs
	 * broker_tenants): SET_TENANT needs CAP_SYS_ADMIN, and an fd opened
	 * without it has no tenant until a broker gives it one.
	 */
	bool broker_tenants;
	/* The host's name for the space (sysfs label, udev's /dev/scratch/NAME); under lock. */
	char label[SC_LABEL_MAX];

	/* Per-tenant pins and reservations, and their limits (tenant.c). */
	struct mutex tenant_mutex;
	struct xarray tenants;
	struct xarray tpins;
	/* Per-tenant accounting (tenant.c): entries live until detach. */
	struct xarray tstats;
	u32 nr_tstats;
	struct sc_tstat tstat_other;
	u32 tenant_max_segs;	/* distinct segments a tenant may pin; 0: no limit */
	u64 tenant_max_reserved; /* bytes a tenant may have reserved; 0: no limit */

	/* Serialises segment open and eviction (they sleep on I/O). */
	struct mutex alloc_mutex;
	/* Serialises syncs. */
	struct mutex sync_mutex;
	atomic64_t sync_started;	/* syncs that collected (group commit, sync.c) */
	u64 sync_done;		/* the last of them that succeeded; under sync_mutex */
	atomic64_t syncs_shared; /* syncs another one's flushes covered */
	struct work_struct refill_work;
	/*
	 * Check-ahead (verify.c): the next atom's check, run while a reader
	 * going through a segment in order copies this one.  Under lock; only
	 * ahead_seg holds a pin, the other two are remembered positions.
	 */
	struct work_struct ahead_work;
	struct sc_segment *ahead_seg;	/* the check queued, or NULL */
	struct mem_cgroup *ahead_memcg;	/* its reader's: charged for its pages */
	struct sc_segment *ahead_last;	/* the last check a read needed */
	struct sc_segment *ahead_mark;	/* checked ahead, not yet reached */
	u32 ahead_slot;
	u32 ahead_last_slot;
	u32 ahead_mark_slot;

	/*
	 * Eviction events (events.c), under lock: the last ev_size evictions,
	 * ev_head of them since attach; ev_wq woken after each.
	 */
	struct scratch_eviction *ev_ring;
	u32 ev_size;
	u64 ev_head;
	wait_queue_head_t ev_wq;
	/* Write-rate marks (horizon.c), under lock; rate_j1 read without it. */
	u64 rate_j0, rate_b0;
	u64 rate_j1, rate_b1;

	atomic64_t bytes_written;
	atomic64_t bytes_read;
	atomic64_t evictions;
	atomic64_t verified;	/* verifications passed since attach */
	atomic64_t bad;		/* atoms found bad since attach */
	atomic64_t wb_errors;	/* write errors that dropped unsynced atoms */
	errseq_t wb_err;	/* the same, for each fd's SYNC to report once */
	u64 reload_us;
};

/* Per open file of /dev/scratchN. */
struct sc_file {
	struct sc_space *space;
	spinlock_t lock;	/* protects resv and the reservations' counters */
	struct list_head resv;
	u32 tenant;
	bool bound;		/* tenant fixed: the fd has been used */
	bool need_tenant;	/* opened unprivileged on a broker space: unusable until bound */
	errseq_t wb_since;	/* space->wb_err seen by this fd's last SYNC (lock) */
};

/* An open reservation, owned by one struct sc_file. */
struct sc_resv {
	struct list_head node;
	struct sc_segment *seg;
	u64 off;		/* space offset of the first byte */
	u64 stored_len;
	u32 slot;
	u32 gen;		/* of seg, fixed while the reservation pins it */
	u32 tenant;		/* charged for it (tenant.c) */
	u32 nr_parts;
	u32 inflight;		/* writes under way (sc_file.lock) */
	unsigned long *written;	/* one bit per page, set once written */
};

/*
 * The fd is being used: its tenant can no longer change.  -EPERM for an fd
 * that has no tenant yet on a space whose tenants only a privileged broker
 * may bind (space->broker_tenants).
 */
static inline int scratch_file_use(struct sc_file *f)
{
	if (unlikely(READ_ONCE(f->need_tenant)))
		return -EPERM;
	if (!READ_ONCE(f->bound))
		WRITE_ONCE(f->bound, true);
	return 0;
}

/*
 * Pins keep a segment from eviction; s->nr_pinned counts the segments with
 * any.  Caller holds s->lock.
 */
static inline void sc_seg_pin_locked(struct sc_space *s, struct sc_segment *seg)
{
	lockdep_assert_held(&s->lock);
	if (!seg->pins++)
		s->nr_pinned++;
}

static inline void sc_seg_unpin_locked(struct sc_space *s, struct sc_segment *seg)
{
	lockdep_assert_held(&s->lock);
	if (WARN_ON_ONCE(!seg->pins))
		return;
	if (!--seg->pins)
		s->nr_pinned--;
}

/*
 * The index of @seg is now @atoms and @meta, @cap entries each (atom_ram).
 * Caller holds s->lock and frees the arrays it replaced.
 */
static inline void sc_seg_set_index_locked(struct sc_space *s, struct sc_segment *seg,
					   struct sc_atom *atoms, struct sc_atom_meta *meta,
					   u32 cap)
{
	lockdep_assert_held(&s->lock);
	s->nr_slots += cap;
	s->nr_slots -= seg->cap;
	if (meta)
		s->nr_meta += cap;
	if (seg->meta)
		s->nr_meta -= seg->cap;
	seg->atoms = atoms;
	seg->meta = meta;
	seg->cap = cap;
}

static inline bool sc_is_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

/* A field of an ioctl struct that must come in zero: reserved, or output only. */
struct sc_zero {
	u16 off;
	u16 len;
};

#define SC_ZERO(type, field)	{ offsetof(type, field), sizeof_field(type, field) }

static inline struct sc_space *dev_to_space(struct device *dev)
{
	return container_of(dev, struct sc_space, dev);
}

static inline u32 sc_seg_of(const struct sc_space *s, u64 off)
{
	return (u32)(off >> s->geom.seg_shift);
}

static inline struct sc_region *sc_seg_region(struct sc_space *s,
					      const struct sc_segment *seg)
{
	return &s->regions[seg->region];
}

/* Byte offset in the region's device of a segment's first byte. */
static inline u64 sc_seg_dev_pos(struct sc_space *s, const struct sc_segment *seg)
{
	const struct sc_region *r = &s->regions[seg->region];

	return r->dev_off + SCRATCH_DISK_DATA_OFF +
	       ((u64)(seg->idx - r->first_seg) << s->geom.seg_shift);
}

/* Device position of space offset @off, which lies in @seg. */
static inline u64 sc_dev_pos(struct sc_space *s, const struct sc_segment *seg, u64 off)
{
	return sc_seg_dev_pos(s, seg) + (off & ((1ULL << s->geom.seg_shift) - 1));
}

/* Device position of the first stored byte of atom @a of @seg. */
static inline u64 sc_atom_dev_pos(struct sc_space *s, const struct sc_segment *seg,
				  const struct sc_atom *a)
{
	return sc_seg_dev_pos(s, seg) + ((u64)a->page << SC_PAGE_SHIFT);
}

/* Device position of table page @tpage of @seg (after its header page). */
static inline u64 sc_table_pos(struct sc_space *s, const struct sc_segment *seg, u32 tpage)
{
	return sc_seg_dev_pos(s, seg) + (1ULL + tpage) * SC_PAGE;
}

static inline u64 sc_space_off(const struct sc_space *s, u32 seg, u32 page)
{
	return ((u64)seg << s->geom.seg_shift) + ((u64)page << SC_PAGE_SHIFT);
}

/* main.c */
extern struct class scratch_class;
extern dev_t scratch_devt;

/* control.c */
int scratch_control_init(void);
void scratch_control_exit(void);

/* space.c */
int scratch_space_attach(struct scratch_region_spec *specs, char **paths,
			 u32 nr, u32 flags, u32 seg_shift, int *id);
int scratch_space_detach(int id);
int scratch_space_list(u32 *ids, u32 cap, u32 *count);
extern const struct file_operations scratch_space_fops;
void scratch_space_get_info(struct sc_space *s, struct scratch_info *info);
int scratch_get_features(void __user *arg);
int scratch_info_ioctl(struct sc_file *f, void __user *arg);
int scratch_space_get_open(struct sc_space *s);
void scratch_space_put_open(struct sc_space *s);

/* region.c */
int scratch_region_open(struct sc_region *r, const char *path, u64 off, u64 len);
void scratch_region_close(struct sc_region *r);
int scratch_region_read(struct sc_region *r, u64 pos, void *buf, size_t len);
int scratch_region_peek(struct sc_region *r, u64 pos, void *buf, size_t len);

/*
 * The block layer fails a write past the device's end with ENOSPC.  Ours are
 * inside the region, so the device shrank under us: a removed drive has size
 * 0.  That is an I/O error, not a full space.
 */
static inline ssize_t sc_dev_err(ssize_t err)
{
	return err == -ENOSPC ? -EIO : err;
}

int scratch_region_write(struct sc_region *r, u64 pos, const void *buf, size_t len);
u64 scratch_region_cached_upto(struct sc_region *r, u64 pos, u64 len);
int scratch_region_read_super(struct sc_region *r, struct sc_super_info *si);
int scratch_region_write_super(struct sc_region *r, const struct sc_super_info *si);

/* reload.c */
int scratch_space_reload(struct sc_space *s);

/* segment.c */
int scratch_segs_init(struct sc_space *s);
void scratch_segs_free(struct sc_space *s);
int scratch_seg_open_next(struct sc_space *s, u32 region);
int scratch_seg_grow(struct sc_space *s, struct sc_segment *seg);
void scratch_segs_compact(struct sc_space *s);
bool scratch_seg_may_settle_locked(struct sc_space *s, struct sc_segment *seg);
void scratch_seg_unpin(struct sc_space *s, struct sc_segment *seg);
int scratch_evict_one(struct sc_space *s);
void scratch_refill_work(struct work_struct *work);
void scratch_segs_write_sealed(struct sc_space *s);
void scratch_segs_retry_limbo(struct sc_space *s);
void scratch_seg_seal_locked(struct sc_space *s, struct sc_segment *seg);
struct sc_pin;
bool scratch_pin_put(struct sc_space *s, const struct sc_pin *pin);

/* A pinned atom, found by offset (scratch_atom_pin). */
struct sc_pin {
	struct sc_segment *seg;	/* pinned: release with scratch_seg_unpin() */
	u64 avail;		/* bytes of the atom from the offset on */
	u32 slot;
	u8 state;		/* the atom's state when pinned */
};

/*
 * ioctl.c: the table of /dev/scratchN's ioctls (the handlers are in the files
 * below), and the copy-in every handler of both nodes starts with.
 */
long scratch_space_ioctl(struct file *file, unsigned int cmd, unsigned long uarg);
int scratch_ioctl_in(void *k, size_t ksize, void __user *arg, const u32 *flags,
		     u32 known, const struct sc_zero *zero, unsigned int nr_zero);

/* atom.c */
int scratch_reserve_ioctl(struct sc_file *f, void __user *arg);
int scratch_commit_ioctl(struct sc_file *f, void __user *arg);
int scratch_abort_ioctl(struct sc_file *f, void __user *arg);
int scratch_stat_ioctl(struct sc_file *f, void __user *arg);
int scratch_present_ioctl(struct sc_file *f, void __user *arg);
int scratch_set_tenant_ioctl(struct sc_file *f, void __user *arg);
int scratch_atom_pin(struct sc_space *s, u32 tenant, u64 off, struct sc_pin *pin);
bool scratch_seg_page_live(struct sc_space *s, struct sc_segment *seg, u32 page);
u32 scratch_seg_page_tenant(struct sc_space *s, struct sc_segment *seg, u32 page);
struct sc_segment *scratch_atom_pin_id(struct sc_space *s, u32 tenant,
				       const struct sc_idparts *p);
void scratch_atom_drop_locked(struct sc_space *s, struct sc_segment *seg, u32 slot);
void scratch_resv_release_all(struct sc_file *f);
struct sc_atom *scratch_find_id_locked(struct sc_space *s, u32 tenant,
				       const struct sc_idparts *p, struct sc_segment **segp);

/* meta.c */
void scratch_atom_snap_locked(struct sc_segment *seg, u32 slot, struct sc_atom_snap *sn);
int scratch_atom_meta(struct sc_space *s, struct sc_segment *seg, struct sc_atom_snap *sn);
int scratch_table_page_keep(struct sc_space *s, struct sc_segment *seg, u32 gen, u32 tpage,
			    struct scratch_disk_atom *recs);

/* events.c */
int scratch_events_init(struct sc_space *s);
void scratch_events_free(struct sc_space *s);
void scratch_events_record_locked(struct sc_space *s, u32 seg, u32 gen);
void scratch_events_wake(struct sc_space *s);
int scratch_events_fd_ioctl(struct sc_file *f, void __user *arg);

/* horizon.c */
void scratch_rate_init(struct sc_space *s);
void scratch_rate_tick(struct sc_space *s);
int scratch_horizon_ioctl(struct sc_file *f, void __user *arg);

/* sync.c */
int scratch_sync_space(struct sc_space *s, errseq_t *since, spinlock_t *since_lock);
int scratch_region_wb_check(struct sc_space *s, u32 ri);

/* A writeback error on region @ri not yet seen by scratch_region_wb_check()? */
static inline bool scratch_region_wb_new(const struct sc_space *s, u32 ri)
{
	const struct file *f = s->regions[ri].file;

	return errseq_check(&f->f_mapping->wb_err, READ_ONCE(f->f_wb_err));
}

/* verify.c */
#define SC_V_NOWAIT		(1U << 0)	/* -EAGAIN instead of I/O or a wait */
#define SC_V_RECHECK		(1U << 1)	/* hash it even if verified */
#define SC_V_FRESH		(1U << 2)	/* a fresh atom too (its drive copy) */
int scratch_atom_pin_read(struct sc_space *s, u32 tenant, u64 off, u64 len,
			  struct sc_pin *pin, unsigned int how);
void scratch_ahead_work(struct work_struct *work);
void scratch_ahead_stop(struct sc_space *s);
int scratch_verify_ioctl(struct sc_file *f, void __user *arg);
int scratch_scrub_ioctl(struct sc_file *f, void __user *arg);

/* io.c */
ssize_t scratch_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t scratch_write_iter(struct kiocb *iocb, struct iov_iter *from);

/* mmap.c */
int scratch_mmap(struct file *file, struct vm_area_struct *vma);

/* tenant.c */
void scratch_tenants_init(struct sc_space *s);
void scratch_tenants_free(struct sc_space *s);
int scratch_tenant_pin(struct sc_space *s, u32 tenant, u32 seg, u64 bytes);
void scratch_tenant_pin_again(struct sc_space *s, u32 tenant, u32 seg);
void scratch_tenant_unpin(struct sc_space *s, u32 tenant, u32 seg, u64 bytes);
struct sc_tstat *scratch_tstat(struct sc_space *s, u32 tenant);
void scratch_tstat_make(struct sc_space *s, u32 tenant);
void scratch_tstat_atom(struct sc_space *s, u32 tenant, int n, u32 pages);
void scratch_tstat_evict(struct sc_space *s, const struct sc_atom *atoms, u32 n);
ssize_t scratch_tenants_text(struct sc_space *s, char **out);

/* sysfs.c */
extern const struct attribute_group *scratch_space_groups[];

#endif /* SCRATCH_PRIV_H */
