// SPDX-License-Identifier: GPL-2.0
/*
 * Verification of reloaded atoms: their stored bytes are hashed (XXH64)
 * straight from the backing device's page cache, the first time they are
 * read or mapped, or when VERIFY or SCRUB asks.  A bad atom is EBADMSG from
 * then on; scrub drops it (missing).  Atoms committed since attach are
 * trusted while their pages are the writer's, in the page cache; the first
 * read that needs one of their pages from the drive hashes the drive's copy
 * first (SC_A_FRESH), once: a drive that dropped writes and said they were
 * done is caught there, not served.
 *
 * Nothing is copied: the pages are read into the device's page cache (with
 * readahead, as a read would) and hashed through kmap_local_folio().  The
 * segment is pinned throughout, so eviction cannot truncate the pages or
 * reuse the slot; the verdict is published under space->lock.
 */
#include <linux/capability.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/wait_bit.h>
#include <linux/xxhash.h>
#include "scratch_priv.h"

/* Readahead window while hashing: atoms are read whole, so read big. */
#define SC_VERIFY_RA_PAGES	(SZ_16M / PAGE_SIZE)
/* Slots a scrub looks at per hold of space->lock. */
#define SC_SCRUB_SCAN		1024

/*
 * A walk over a range of one region's page cache.  Its readahead is its own:
 * up to SC_VERIFY_RA_PAGES ahead of the cursor, topped up when half is
 * consumed, never past the walk's end (the next atom's pages are not ours
 * to read: its own check would drop them again).
 */
struct sc_pc {
	struct file *file;
	struct file_ra_state ra;
	pgoff_t ra_next;	/* first page not yet read ahead */
	pgoff_t last;		/* last page of the whole walk */
};

static void sc_pc_init(struct sc_pc *pc, struct sc_region *r, u64 pos, u64 len)
{
	pc->file = r->file;
	file_ra_state_init(&pc->ra, r->file->f_mapping);
	pc->ra_next = pos >> PAGE_SHIFT;
	pc->last = (pos + len - 1) >> PAGE_SHIFT;
}

/*
 * The uptodate folio holding page @index, with a reference.  Pages already
 * cached are skipped by the readahead; one it could not allocate is read by
 * read_mapping_folio(), which also waits for the readahead's I/O.
 */
static struct folio *sc_pc_folio(struct sc_pc *pc, pgoff_t index)
{
	struct address_space *mapping = pc->file->f_mapping;
	struct folio *folio;

	if (pc->ra_next <= pc->last && pc->ra_next <= index + SC_VERIFY_RA_PAGES / 2) {
		pgoff_t start = max(pc->ra_next, index);
		unsigned long nr = min(pc->last + 1, index + SC_VERIFY_RA_PAGES) - start;
		DEFINE_READAHEAD(ractl, pc->file, &pc->ra, mapping, start);

		page_cache_ra_unbounded(&ractl, nr, 0);
		pc->ra_next = start + nr;
	}
	/* NULL on a miss up to 6.2, ERR_PTR(-ENOENT) after. */
	folio = filemap_get_folio(mapping, index);
	if (!IS_ERR_OR_NULL(folio)) {
		if (folio_test_uptodate(folio))
			return folio;
		folio_put(folio);
	}
	return read_mapping_folio(mapping, index, pc->file);
}

/*
 * Feed [pos, pos + len) of the region's device to @state (hash) or copy it
 * to @buf: one page at a time through kmap_local_folio().  Killable.
 */
static int sc_pc_walk(struct sc_pc *pc, u64 pos, u64 len, struct xxh64_state *state,
		      void *buf)
{
	while (len) {
		struct folio *folio = sc_pc_folio(pc, pos >> PAGE_SHIFT);
		size_t off, n;

		if (IS_ERR(folio))
			return PTR_ERR(folio);
		off = pos - folio_pos(folio);
		n = min_t(u64, len, folio_size(folio) - off);
		pos += n;
		len -= n;
		while (n) {
			size_t chunk = min_t(size_t, n, PAGE_SIZE - offset_in_page(off));
			void *p = kmap_local_folio(folio, off);

			if (state) {
				xxh64_update(state, p, chunk);
			} else {
				memcpy(buf, p, chunk);
				buf += chunk;
			}
			kunmap_local(p);
			off += chunk;
			n -= chunk;
		}
		folio_put(folio);
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/* 0 if [pos, pos + len) hashes to @want, -EBADMSG if not, or an I/O error. */
static int sc_pc_check(struct sc_region *r, u64 pos, u64 len, u64 want)
{
	struct xxh64_state state;
	struct sc_pc pc;
	int ret = 0;

	xxh64_reset(&state, 0);
	if (len) {
		sc_pc_init(&pc, r, pos, len);
		ret = sc_pc_walk(&pc, pos, len, &state, NULL);
	}
	if (ret)
		return ret;
	return xxh64_digest(&state) == want ? 0 : -EBADMSG;
}

/*
 * Check the bytes of atom @sn of pinned segment @seg, whose meta it holds.
 * A plain atom: its stored bytes against its xxh64.  An array: its part table against its
 * xxh64, every entry against the layout rules (as COMMIT checked them), and
 * every part against its entry's xxh64.  Arrays are checked whole, whichever
 * part is asked for: the verdict is one bit per atom (struct sc_atom has no
 * room for one per part), and the shuffle's consumers read every part anyway.
 */
static int sc_check_atom(struct sc_space *s, struct sc_segment *seg,
			 const struct sc_atom_snap *sn)
{
	const struct sc_atom *a = &sn->a;
	struct sc_region *r = sc_seg_region(s, seg);
	u64 pos = sc_atom_dev_pos(s, seg, a);
	u32 i, nr_parts = sc_atom_nr_parts(a);
	struct scratch_disk_part part;
	struct sc_pc pc;
	u64 next;
	int ret;

	if (!nr_parts)
		return sc_pc_check(r, pos, a->stored_len, sn->m.xxh64);
	ret = sc_pc_check(r, pos, (u64)nr_parts * sizeof(part), sn->m.xxh64);
	if (ret)
		return ret;
	next = sc_part_table_bytes(nr_parts);
	sc_pc_init(&pc, r, pos, a->stored_len);
	for (i = 0; i < nr_parts; i++) {
		/* 32-byte entries never straddle a page: a small copy, not a buffer. */
		ret = sc_pc_walk(&pc, pos + (u64)i * sizeof(part), sizeof(part), NULL, &part);
		if (ret)
			return ret;
		if (sc_part_next(&part, &next, a->stored_len))
			return -EBADMSG;
		ret = sc_pc_check(r, pos + le64_to_cpu(part.off), le64_to_cpu(part.len),
				  le64_to_cpu(part.xxh64));
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Before hashing a fresh atom: its pages reach the drive (writeback waited
 * for), then every one of them leaves the page cache, mapped or in use
 * (invalidate_inode_pages2_range() unmaps them, and waits for pages under
 * read), so that the hash reads the drive's copy.  True if so; false if a
 * page stayed (dirtied again: only root writing the raw device does that)
 * or the writeback failed, and the verdict then does not speak for the
 * drive's copy.  A reader that holds one of the dropped pages copies the
 * writer's bytes, which are the atom's.
 */
static bool sc_fresh_uncache(struct sc_space *s, struct sc_segment *seg, const struct sc_atom *a)
{
	struct address_space *mapping = sc_seg_region(s, seg)->file->f_mapping;
	u64 pos = sc_atom_dev_pos(s, seg, a);
	u64 end = pos + max_t(u64, a->stored_len, 1) - 1;

	if (filemap_fdatawrite_range(mapping, pos, end) ||
	    filemap_fdatawait_range_keep_errors(mapping, pos, end))
		return false;
	return !invalidate_inode_pages2_range(mapping, pos >> PAGE_SHIFT, end >> PAGE_SHIFT);
}

/*
 * The device ends before the atom does: it shrank under the walk, whose
 * page-cache reads then returned zeros past the end (a removed drive has
 * size 0).  That is an I/O error, not a bad atom.
 */
static bool sc_past_dev_end(struct sc_space *s, struct sc_segment *seg, const struct sc_atom *a)
{
	struct inode *dev = sc_seg_region(s, seg)->file->f_mapping->host;
	u64 end = sc_atom_dev_pos(s, seg, a) + a->stored_len;

	return end > (u64)i_size_read(dev);
}

static bool sc_verifying(struct sc_space *s, struct sc_segment *seg, u32 slot)
{
	bool busy;

	spin_lock(&s->lock);
	busy = seg->atoms[slot].state & SC_A_VERIFYING;
	spin_unlock(&s->lock);
	return busy;
}

/*
 * Verify the atom in @slot of @seg, which the caller has pinned.  Returns 0
 * (good, or already verified), -EBADMSG (bad), -ENOENT (dropped meanwhile),
 * -EAGAIN (SC_V_NOWAIT and it would need I/O or a wait), or the error that
 * kept the check from finishing (-EIO, -EINTR, -ENOMEM: still unverified).
 * One task hashes an atom at a time; the others wait for its verdict.
 */
static int scratch_verify_atom(struct sc_space *s, struct sc_segment *seg, u32 slot,
			       unsigned int how)
{
	struct sc_atom_snap sn;
	bool cold = false;
	struct sc_atom a;
	u8 *state;
	int ret;

	spin_lock(&s->lock);
	for (;;) {
		/* Pinned: the slot stays; atoms[] may move, so no pointer is kept. */
		scratch_atom_snap_locked(seg, slot, &sn);
		a = sn.a;
		ret = -ENOENT;
		if ((a.state & SC_A_STATE) != SC_A_LIVE)
			goto unlock;
		ret = -EBADMSG;
		if (a.state & SC_A_BAD)
			goto unlock;
		ret = 0;
		if (!(a.state & SC_A_UNVERIFIED) && !(how & SC_V_RECHECK) &&
		    !((how & SC_V_FRESH) && (a.state & SC_A_FRESH)))
			goto unlock;
		ret = -EAGAIN;
		if (how & SC_V_NOWAIT)
			goto unlock;
		if (!(a.state & SC_A_VERIFYING))
			break;
		spin_unlock(&s->lock);
		if (wait_var_event_killable(seg, !sc_verifying(s, seg, slot)))
			return -EINTR;
		spin_lock(&s->lock);
	}
	seg->atoms[slot].state |= SC_A_VERIFYING;
	spin_unlock(&s->lock);

	/* Its XXH64: from RAM, or from its record (a settled segment). */
	ret = scratch_atom_meta(s, seg, &sn);
	if (!ret && (a.state & SC_A_FRESH))
		cold = sc_fresh_uncache(s, seg, &a);
	if (!ret)
		ret = sc_check_atom(s, seg, &sn);
	if (ret == -EBADMSG && sc_past_dev_end(s, seg, &a))
		ret = -EIO;
	if (ret == -EIO)
		atomic64_inc(&sc_seg_region(s, seg)->read_errors);

	spin_lock(&s->lock);
	state = &seg->atoms[slot].state;
	*state &= ~SC_A_VERIFYING;
	if (ret == 0 || ret == -EBADMSG) {
		if (*state & SC_A_UNVERIFIED) {
			*state &= ~SC_A_UNVERIFIED;
			seg->nr_unverified--;
			s->nr_unverified--;
		}
		if (ret)
			*state |= SC_A_BAD;
		else if (cold)
			*state &= ~SC_A_FRESH;
	}
	spin_unlock(&s->lock);
	wake_up_var(seg);
	if (!ret) {
		atomic64_inc(&s->verified);
	} else if (ret == -EBADMSG) {
		atomic64_inc(&s->bad);
		pr_warn_ratelimited("scratch%d: segment %u slot %u: stored bytes fail their checksum\n",
				    s->id, seg->idx, slot);
	}
	return ret;
unlock:
	spin_unlock(&s->lock);
	return ret;
}

/*
 * The check a read of [dpos, dpos + len) of atom @slot (@state when pinned)
 * needs before its bytes may be served: a reloaded atom's, or a fresh one's
 * when any of the range must come from the drive (not all cached, or
 * SC_V_FRESH: O_DIRECT reads the drive whatever is cached).  *@needed says
 * whether there was one to do or to wait for.
 */
static int sc_read_check(struct sc_space *s, struct sc_segment *seg, u32 slot, u8 state,
			 u64 dpos, u64 len, unsigned int how, bool *needed)
{
	struct sc_region *r = sc_seg_region(s, seg);
	int ret = 0;

	*needed = state & SC_A_UNVERIFIED;
	if (state & (SC_A_UNVERIFIED | SC_A_BAD))
		ret = scratch_verify_atom(s, seg, slot, how & ~SC_V_FRESH);
	if (ret || !(state & SC_A_FRESH) || !len)
		return ret;
	if (!(how & SC_V_FRESH) && scratch_region_cached_upto(r, dpos, len) == dpos + len)
		return 0;
	*needed = true;
	return scratch_verify_atom(s, seg, slot, how | SC_V_FRESH);
}

/*
 * Check-ahead.  A read that needs a check waits for a pass over the whole
 * atom before its first byte; a reader going through a segment's atoms in
 * order would wait so on each of them, the drive idle while it copies the
 * one before.  So, as readahead does for pages: when reads needed the
 * checks of two neighbouring slots in a row, the check of the slot after
 * them runs in the background while the reader copies, and a read that
 * reaches a slot checked ahead starts the next (after a segment's last
 * slot, the next segment in fill order's first).  Only the reader's own
 * tenant's atoms, one check queued per space; the queued check pins its
 * segment and charges the pages it reads to the reader's memory cgroup.
 */
static void sc_ahead_queue_locked(struct sc_space *s, struct sc_segment *seg, u32 slot,
				  u32 tenant)
{
	const struct sc_atom *a;

	lockdep_assert_held(&s->lock);
	if (s->dead || s->ahead_seg)
		return;
	/* Past a sealed segment's last slot: the first of the segment filled next. */
	if (slot >= seg->nr_used) {
		if (seg->state != SC_SEG_SEALED || list_is_last(&seg->node, &s->fifo))
			return;
		seg = list_next_entry(seg, node);
		slot = 0;
		if (!seg->nr_used)
			return;
	}
	a = &seg->atoms[slot];
	if ((a->state & SC_A_STATE) != SC_A_LIVE || a->tenant != tenant ||
	    (a->state & (SC_A_BAD | SC_A_VERIFYING)) ||
	    !(a->state & (SC_A_UNVERIFIED | SC_A_FRESH)))
		return;
	sc_seg_pin_locked(s, seg);
	s->ahead_seg = seg;
	s->ahead_slot = slot;
	s->ahead_memcg = get_mem_cgroup_from_mm(current->mm);
	queue_work(system_unbound_wq, &s->ahead_work);
}

/* A read needed the check of @pin's atom (@reached: or found it checked ahead). */
static void sc_ahead_note(struct sc_space *s, const struct sc_pin *pin, u32 tenant,
			  bool reached)
{
	spin_lock(&s->lock);
	if (reached) {
		if (s->ahead_mark != pin->seg || s->ahead_mark_slot != pin->slot)
			goto unlock;
		WRITE_ONCE(s->ahead_mark, NULL);
	}
	if (reached || (s->ahead_last == pin->seg && s->ahead_last_slot + 1 == pin->slot))
		sc_ahead_queue_locked(s, pin->seg, pin->slot + 1, tenant);
	s->ahead_last = pin->seg;
	s->ahead_last_slot = pin->slot;
unlock:
	spin_unlock(&s->lock);
}

void scratch_ahead_work(struct work_struct *work)
{
	struct sc_space *s = container_of(work, struct sc_space, ahead_work);
	struct mem_cgroup *memcg, *old;
	struct sc_segment *seg;
	struct sc_atom a;
	bool needed;
	u32 slot;
	int ret;

	spin_lock(&s->lock);
	seg = s->ahead_seg;
	slot = s->ahead_slot;
	memcg = s->ahead_memcg;
	s->ahead_seg = NULL;
	s->ahead_memcg = NULL;
	if (seg)
		a = seg->atoms[slot];
	spin_unlock(&s->lock);
	if (!seg)
		return;
	/* The pages it reads are the reader's page cache, in the reader's cgroup. */
	old = set_active_memcg(memcg);
	ret = sc_read_check(s, seg, slot, a.state, sc_atom_dev_pos(s, seg, &a),
			    a.stored_len, 0, &needed);
	set_active_memcg(old);
	mem_cgroup_put(memcg);
	spin_lock(&s->lock);
	if (!ret && needed) {
		WRITE_ONCE(s->ahead_mark, seg);
		WRITE_ONCE(s->ahead_mark_slot, slot);
	}
	sc_seg_unpin_locked(s, seg);
	spin_unlock(&s->lock);
}

/* Detach: no check ahead runs or stays queued once this returns (s->dead is set). */
void scratch_ahead_stop(struct sc_space *s)
{
	struct mem_cgroup *memcg;
	struct sc_segment *seg;

	cancel_work_sync(&s->ahead_work);
	spin_lock(&s->lock);
	seg = s->ahead_seg;
	memcg = s->ahead_memcg;
	s->ahead_seg = NULL;
	s->ahead_memcg = NULL;
	if (seg)
		sc_seg_unpin_locked(s, seg);
	spin_unlock(&s->lock);
	mem_cgroup_put(memcg);
}

/*
 * scratch_atom_pin() for a reader or a mapping: the atom's bytes may be
 * served once it returns 0.  A write error not yet handled on its region is
 * handled first (it drops atoms not yet durable, maybe this one: their bytes
 * on the drive are not theirs), then the atom is checked if it must be
 * (sc_read_check(), @how).
 */
int scratch_atom_pin_read(struct sc_space *s, u32 tenant, u64 off, u64 len,
			  struct sc_pin *pin, unsigned int how)
{
	int ret = scratch_atom_pin(s, tenant, off, pin);
	bool needed;

	if (ret)
		return ret;
	if (!(pin->state & SC_A_DURABLE) && scratch_region_wb_new(s, pin->seg->region)) {
		scratch_seg_unpin(s, pin->seg);
		scratch_region_wb_check(s, pin->seg->region);
		ret = scratch_atom_pin(s, tenant, off, pin);
		if (ret)
			return ret;
	}
	/* Unlocked peek (sc_ahead_note() looks again under the lock): no lock per read. */
	if (unlikely(READ_ONCE(s->ahead_mark) == pin->seg &&
		     READ_ONCE(s->ahead_mark_slot) == pin->slot))
		sc_ahead_note(s, pin, tenant, true);
	ret = sc_read_check(s, pin->seg, pin->slot, pin->state, sc_dev_pos(s, pin->seg, off),
			    min(len, pin->avail), how, &needed);
	if (ret)
		scratch_seg_unpin(s, pin->seg);
	else if (needed)
		sc_ahead_note(s, pin, tenant, false);
	return ret;
}

static const struct sc_zero sc_verify_zero[] = {
	SC_ZERO(struct scratch_verify, reserved),
};

int scratch_verify_ioctl(struct sc_file *f, void __user *arg)
{
	struct sc_space *s = f->space;
	struct scratch_verify req;
	struct sc_segment *seg;
	struct sc_idparts p;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, SCRATCH_VERIFY_ALL,
			       sc_verify_zero, ARRAY_SIZE(sc_verify_zero));
	if (ret)
		return ret;
	/* The lookup of STAT: another tenant's atom is missing. */
	p = sc_id_decode(&req.id);
	seg = scratch_atom_pin_id(s, f->tenant, &p);
	if (!seg)
		return -ENOENT;
	ret = scratch_verify_atom(s, seg, p.slot,
				  req.flags & SCRATCH_VERIFY_RECHECK ? SC_V_RECHECK : 0);
	scratch_seg_unpin(s, seg);
	return ret;
}

/* The atom a scrub is at: pinned segment, slot, and what it knew of it. */
struct sc_scrub_pos {
	u64 seg;
	u32 slot;
	u32 gen;
	u32 len;
	u8 state;
};

/*
 * Advance @pos to the next atom the scrub must look at and pin its segment:
 * 1, with the rest of @pos filled; 0 at the end of the space; -EINTR when a
 * signal is pending (the position so far is kept).  Scans at most
 * SC_SCRUB_SCAN slots per hold of the lock.
 */
static int sc_scrub_next(struct sc_space *s, struct sc_scrub_pos *pos, bool recheck)
{
	struct sc_segment *seg;
	u32 end, n;

	while (pos->seg < s->nr_segs) {
		if (signal_pending(current))
			return -EINTR;
		seg = &s->segs[pos->seg];
		spin_lock(&s->lock);
		end = 0;
		if (seg->state == SC_SEG_OPEN || seg->state == SC_SEG_SEALED)
			end = min(seg->nr_used, seg->cap);
		for (n = 0; pos->slot < end && n < SC_SCRUB_SCAN; n++, pos->slot++) {
			const struct sc_atom *a = &seg->atoms[pos->slot];

			if ((a->state & SC_A_STATE) != SC_A_LIVE)
				continue;
			if (recheck || (a->state & (SC_A_UNVERIFIED | SC_A_BAD))) {
				sc_seg_pin_locked(s, seg);
				pos->gen = seg->gen;
				pos->len = a->stored_len;
				pos->state = a->state;
				spin_unlock(&s->lock);
				return 1;
			}
		}
		spin_unlock(&s->lock);
		if (pos->slot >= end) {
			pos->seg++;
			pos->slot = 0;
		}
		cond_resched();
	}
	return 0;
}

/* Drop a bad atom found by scrub; its id goes to userspace first. */
static int sc_scrub_drop(struct sc_space *s, struct sc_segment *seg,
			 const struct sc_scrub_pos *pos, struct scratch_scrub *req)
{
	struct sc_idparts p = { .seg = seg->idx, .gen = pos->gen, .slot = pos->slot };
	struct scratch_id id = sc_id_encode(&p);
	u32 slot = pos->slot;

	if (req->bad_ids_cap) {
		void __user *to = u64_to_user_ptr(req->bad_ids_addr +
						  (u64)req->nr_bad * sizeof(id));

		/* Not reported, not dropped: the caller can see it again. */
		if (copy_to_user(to, &id, sizeof(id)))
			return -EFAULT;
	}
	spin_lock(&s->lock);
	if (seg->atoms[slot].state & SC_A_BAD)
		scratch_atom_drop_locked(s, seg, slot);
	spin_unlock(&s->lock);
	req->nr_bad++;
	return 0;
}

/* The outputs are not checked: a struct can be passed again as it came back. */
static const struct sc_zero sc_scrub_zero[] = {
	SC_ZERO(struct scratch_scrub, reserved),
};

int scratch_scrub_ioctl(struct sc_file *f, void __user *arg)
{
	struct sc_space *s = f->space;
	struct sc_scrub_pos pos = { 0 };
	struct scratch_scrub req;
	struct sc_segment *seg;
	bool recheck;
	int ret;

	/* Every tenant's atoms, and their ids: an administrator's tool. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, SCRATCH_SCRUB_ALL,
			       sc_scrub_zero, ARRAY_SIZE(sc_scrub_zero));
	if (ret)
		return ret;
	recheck = req.flags & SCRATCH_SCRUB_RECHECK;
	req.nr_bad = 0;
	req.checked = 0;
	req.bytes = 0;
	req.errors = 0;
	pos.seg = req.cursor == SCRATCH_SCRUB_END ? s->nr_segs : req.cursor >> 32;
	pos.slot = (u32)req.cursor;

	/*
	 * A signal ends the call early with what was done (the cursor says
	 * where to resume); a failure to finish an atom other than a drive
	 * error fails the call, which the caller can repeat from its cursor.
	 * An atom a reader already found bad is dropped without I/O.
	 */
	while (sc_scrub_next(s, &pos, recheck) > 0) {
		seg = &s->segs[pos.seg];
		ret = -EBADMSG;
		if (!(pos.state & SC_A_BAD)) {
			ret = scratch_verify_atom(s, seg, pos.slot, recheck ? SC_V_RECHECK : 0);
			if (!ret || ret == -EBADMSG) {
				req.checked++;
				req.bytes += pos.len;
			}
		}
		if (ret == -EBADMSG)
			ret = sc_scrub_drop(s, seg, &pos, &req);
		scratch_seg_unpin(s, seg);
		if (ret == -EIO)
			req.errors++;
		else if (ret && ret != -ENOENT)
			return ret;
		pos.slot++;
		if ((req.max_bytes && req.bytes >= req.max_bytes) ||
		    (req.bad_ids_cap && req.nr_bad >= req.bad_ids_cap))
			break;
	}
	req.cursor = pos.seg >= s->nr_segs ? SCRATCH_SCRUB_END : pos.seg << 32 | pos.slot;
	return copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : 0;
}
