// SPDX-License-Identifier: GPL-2.0
/*
 * Segments: the unit of allocation and eviction.  Opening a free segment for
 * writes, sealing a full one, evicting the oldest unpinned one (FIFO) and the
 * background refill of the free pool.  Rebuilding them at attach is reload.c.
 *
 * Life of a segment: FREE -> OPEN -> SEALED -> DYING -> FREE.  Its generation
 * advances when it becomes DYING, which makes every id handed out for it stale
 * at once.  Both transitions reach the disk before anything depends on them:
 * the FREE header (new generation) before the page cache is dropped, so a
 * crash cannot bring evicted atoms back; the OPEN header before the first id
 * is handed out, so a crash cannot make a generation's ids name other atoms.
 */
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include "scratch_priv.h"

static int sc_seg_write_header(struct sc_space *s, struct sc_segment *seg,
			       u32 state, u32 gen, u64 seq, u32 nr_used)
{
	struct sc_seg_info si = {
		.seg = seg->idx, .gen = gen, .state = state, .seq = seq, .nr_used = nr_used,
	};
	void *page;
	int ret;

	page = kzalloc(SC_PAGE, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	memcpy(si.uuid, s->uuid, sizeof(si.uuid));
	sc_seg_encode(page, &si);
	ret = scratch_region_write(sc_seg_region(s, seg), sc_seg_dev_pos(s, seg),
				   page, SC_PAGE);
	kfree(page);
	return ret;
}

/*
 * The FREE header of a new generation, durable: a crash from then on
 * reloads the segment as free, so evicted atoms never come back.
 */
static int sc_seg_write_free(struct sc_space *s, struct sc_segment *seg, u32 gen)
{
	struct sc_region *r = sc_seg_region(s, seg);
	u64 start = sc_seg_dev_pos(s, seg);
	int ret;

	ret = sc_seg_write_header(s, seg, SCRATCH_SEG_FREE, gen, 0, 0);
	if (!ret)
		ret = filemap_write_and_wait_range(r->file->f_mapping, start, start + SC_PAGE - 1);
	if (!ret)
		ret = blkdev_issue_flush(r->bdev);
	return ret;
}

static void sc_seg_make_free_locked(struct sc_space *s, struct sc_segment *seg)
{
	struct sc_region *r = sc_seg_region(s, seg);

	lockdep_assert_held(&s->lock);
	seg->state = SC_SEG_FREE;
	seg->seq = 0;
	list_add_tail(&seg->node, &r->free);
	r->nr_free++;
	s->nr_free++;
}

/* No slot used, nothing to sync: a fill starts over.  Caller holds s->lock. */
static void sc_seg_clear_fill_locked(struct sc_space *s, struct sc_segment *seg)
{
	lockdep_assert_held(&s->lock);
	seg->nr_used = 0;
	seg->nr_live = 0;
	seg->live_pages = 0;
	sc_range_clear(&seg->dirty);
	sc_range_clear(&seg->syncing);
	seg->shrink = false;
}

int scratch_segs_init(struct sc_space *s)
{
	u32 i, j;

	s->segs = kvcalloc(s->nr_segs, sizeof(*s->segs), GFP_KERNEL);
	if (!s->segs)
		return -ENOMEM;
	for (i = 0; i < s->nr_regions; i++) {
		struct sc_region *r = &s->regions[i];

		INIT_LIST_HEAD(&r->free);
		for (j = 0; j < r->nr_segs; j++) {
			struct sc_segment *seg = &s->segs[r->first_seg + j];

			seg->space = s;
			seg->idx = r->first_seg + j;
			seg->region = i;
			seg->gen = 1;
			sc_range_clear(&seg->dirty);
			sc_range_clear(&seg->syncing);
			/* The space is private yet: the lock only satisfies the helper's rule. */
			spin_lock(&s->lock);
			sc_seg_make_free_locked(s, seg);
			spin_unlock(&s->lock);
		}
	}
	s->free_target = clamp_t(u32, s->nr_segs / 16, 1, 8);
	/* Not 1: see sc_seq_origin(). */
	s->next_seq = sc_seq_origin(s->uuid);
	scratch_rate_init(s);
	return scratch_events_init(s);
}

void scratch_segs_free(struct sc_space *s)
{
	u64 i;

	scratch_events_free(s);
	if (!s->segs)
		return;
	for (i = 0; i < s->nr_segs; i++) {
		kvfree(s->segs[i].atoms);
		kvfree(s->segs[i].meta);
	}
	kvfree(s->segs);
	s->segs = NULL;
}

/* Caller holds s->lock.  The segment takes no more reservations. */
void scratch_seg_seal_locked(struct sc_space *s, struct sc_segment *seg)
{
	struct sc_region *r = sc_seg_region(s, seg);

	lockdep_assert_held(&s->lock);
	seg->state = SC_SEG_SEALED;
	if (r->open == seg)
		r->open = NULL;
	seg->shrink = true;
}

/*
 * @seg may have become settled (a sync made its records durable, a
 * reservation went away): the next compaction looks at it.  True if there
 * is one to run.  Caller holds s->lock.
 */
bool scratch_seg_may_settle_locked(struct sc_space *s, struct sc_segment *seg)
{
	lockdep_assert_held(&s->lock);
	if (seg->state != SC_SEG_SEALED || !seg->meta)
		return false;
	seg->shrink = true;
	return true;
}

/*
 * Sealed @seg is settled when no record of it is on its way to the disk:
 * no reservation, nothing dirty or being synced, every live atom durable.
 * The records on the disk then say all that meta[] says.  Caller holds
 * s->lock.
 */
static bool sc_seg_settled_locked(struct sc_segment *seg)
{
	u32 i, end = min(seg->nr_used, seg->cap);

	if (seg->state != SC_SEG_SEALED || !sc_range_empty(&seg->dirty) ||
	    !sc_range_empty(&seg->syncing))
		return false;
	for (i = 0; i < end; i++) {
		u8 st = seg->atoms[i].state;

		if ((st & SC_A_STATE) == SC_A_RESERVED ||
		    ((st & SC_A_STATE) == SC_A_LIVE && !(st & SC_A_DURABLE)))
			return false;
	}
	return true;
}

/*
 * Open a free segment of some region for writes, evicting the oldest segment
 * if none is free.  Returns 0 when the caller should retry its reservation,
 * -ENOSPC when everything is pinned.
 */
int scratch_seg_open_next(struct sc_space *s, u32 hint)
{
	struct sc_segment *seg = NULL;
	struct sc_atom_meta *meta;
	struct sc_atom *atoms;
	struct sc_region *r;
	u32 i, gen;
	u64 seq;
	int ret;

	/* Eviction waits on I/O: a caller being killed does not wait for it. */
	if (mutex_lock_killable(&s->alloc_mutex))
		return -EINTR;
	for (;;) {
		spin_lock(&s->lock);
		for (i = 0; i < s->nr_regions; i++) {
			r = &s->regions[(hint + i) % s->nr_regions];
			if (r->open) {
				/* Someone opened one meanwhile: retry there. */
				spin_unlock(&s->lock);
				ret = 0;
				goto out;
			}
			if (r->nr_free) {
				seg = list_first_entry(&r->free, struct sc_segment, node);
				list_del_init(&seg->node);
				r->nr_free--;
				s->nr_free--;
				seg->state = SC_SEG_DYING;	/* in hand: invisible */
				break;
			}
		}
		spin_unlock(&s->lock);
		if (seg)
			break;
		ret = scratch_evict_one(s);
		if (ret)
			goto out;
	}

	r = sc_seg_region(s, seg);
	atoms = kvcalloc(SC_INITIAL_SLOTS, sizeof(*atoms), GFP_KERNEL);
	meta = kvcalloc(SC_INITIAL_SLOTS, sizeof(*meta), GFP_KERNEL);
	ret = -ENOMEM;
	if (!atoms || !meta)
		goto err_atoms;
	spin_lock(&s->lock);
	seq = s->next_seq++;
	gen = seg->gen;
	spin_unlock(&s->lock);
	/*
	 * Durable before the first id of this generation is handed out: else
	 * a crash leaves the disk saying FREE at this generation, the reload
	 * reopens the segment at the same one, and ids given out before the
	 * crash name new atoms (found by the power-cut test).
	 */
	ret = sc_seg_write_header(s, seg, SCRATCH_SEG_OPEN, gen, seq, 0);
	if (!ret)
		ret = filemap_write_and_wait_range(r->file->f_mapping, sc_seg_dev_pos(s, seg),
						   sc_seg_dev_pos(s, seg) + SC_PAGE - 1);
	if (!ret)
		ret = blkdev_issue_flush(r->bdev);
	if (ret)
		goto err_atoms;

	spin_lock(&s->lock);
	sc_seg_set_index_locked(s, seg, atoms, meta, SC_INITIAL_SLOTS);
	seg->seq = seq;
	seg->next_page = s->geom.first_page;
	sc_seg_clear_fill_locked(s, seg);
	seg->hdr_sealed = false;
	seg->lost = false;
	seg->state = SC_SEG_OPEN;
	list_add_tail(&seg->node, &s->fifo);
	r->open = seg;
	if (s->nr_free < s->free_target)
		queue_work(system_unbound_wq, &s->refill_work);
	spin_unlock(&s->lock);
	ret = 0;
	goto out;

err_atoms:
	kvfree(meta);
	kvfree(atoms);
	spin_lock(&s->lock);
	sc_seg_make_free_locked(s, seg);
	spin_unlock(&s->lock);
out:
	mutex_unlock(&s->alloc_mutex);
	return ret;
}

/*
 * Replace @seg's index by one of @cap entries, with meta[] (@meta) or
 * without, if it is still in @state and the change still goes the asked way
 * (@grow: more entries; else fewer, or meta[] dropped from a settled
 * segment).  The arrays are allocated outside the lock and swapped under it.
 */
static int sc_seg_resize(struct sc_space *s, struct sc_segment *seg, u32 cap,
			 u8 state, bool grow, bool meta)
{
	struct sc_atom_meta *nmeta = NULL, *old_meta = NULL;
	struct sc_atom *atoms, *old = NULL;
	bool ok;

	atoms = kvmalloc_array(max(cap, 1U), sizeof(*atoms), GFP_KERNEL);
	if (meta)
		nmeta = kvmalloc_array(max(cap, 1U), sizeof(*nmeta), GFP_KERNEL);
	if (!atoms || (meta && !nmeta)) {
		kvfree(atoms);
		kvfree(nmeta);
		return -ENOMEM;
	}
	spin_lock(&s->lock);
	ok = seg->state == state && seg->atoms && seg->nr_used <= cap;
	if (grow)
		ok = ok && seg->cap < cap && seg->meta;
	else if (meta)
		ok = ok && seg->cap > cap && seg->meta;
	else
		ok = ok && (seg->cap > cap || seg->meta) && sc_seg_settled_locked(seg);
	if (ok) {
		memcpy(atoms, seg->atoms, seg->nr_used * sizeof(*atoms));
		if (meta)
			memcpy(nmeta, seg->meta, seg->nr_used * sizeof(*nmeta));
		old = seg->atoms;
		old_meta = seg->meta;
		sc_seg_set_index_locked(s, seg, atoms, nmeta, cap);
		atoms = NULL;
		nmeta = NULL;
	}
	spin_unlock(&s->lock);
	kvfree(atoms);
	kvfree(nmeta);
	kvfree(old);
	kvfree(old_meta);
	return 0;
}

/*
 * Double the index of an open segment that ran out of entries but not of
 * slots: open segments cost RAM in proportion to what they hold, not to
 * what they could hold.
 */
int scratch_seg_grow(struct sc_space *s, struct sc_segment *seg)
{
	u32 cap;

	spin_lock(&s->lock);
	cap = min(seg->cap * 2, s->geom.nr_slots);
	spin_unlock(&s->lock);
	return sc_seg_resize(s, seg, cap, SC_SEG_OPEN, true, true);
}

void scratch_seg_unpin(struct sc_space *s, struct sc_segment *seg)
{
	spin_lock(&s->lock);
	sc_seg_unpin_locked(s, seg);
	spin_unlock(&s->lock);
}

/* Unpin the segment of @pin; is its atom still live? */
bool scratch_pin_put(struct sc_space *s, const struct sc_pin *pin)
{
	struct sc_segment *seg = pin->seg;
	bool live;

	spin_lock(&s->lock);
	sc_seg_unpin_locked(s, seg);
	live = (seg->atoms[pin->slot].state & SC_A_STATE) == SC_A_LIVE;
	spin_unlock(&s->lock);
	return live;
}

/*
 * Evict the oldest sealed, unpinned segment.  Caller holds alloc_mutex.
 * Returns 0, -ENOSPC when every candidate is pinned or still open, or the
 * error that kept its FREE header from the drive (the segment then waits in
 * s->limbo, out of use, for the refill work to write it).
 */
int scratch_evict_one(struct sc_space *s)
{
	struct address_space *mapping;
	struct sc_segment *seg, *victim = NULL;
	struct sc_atom_meta *meta;
	struct sc_atom *atoms;
	u32 gen, used;
	u64 start;
	int ret;

	lockdep_assert_held(&s->alloc_mutex);
	spin_lock(&s->lock);
	list_for_each_entry(seg, &s->fifo, node) {
		if (seg->state == SC_SEG_SEALED && !seg->pins) {
			victim = seg;
			break;
		}
	}
	if (!victim) {
		spin_unlock(&s->lock);
		return -ENOSPC;
	}
	seg = victim;
	/* From here on no lookup finds it and no id of it is valid. */
	list_del_init(&seg->node);
	seg->state = SC_SEG_DYING;
	scratch_events_record_locked(s, seg->idx, seg->gen);
	seg->gen = sc_gen_next(seg->gen);
	gen = seg->gen;
	s->nr_atoms -= seg->nr_live;
	s->used_pages -= seg->live_pages;
	s->nr_unverified -= seg->nr_unverified;
	seg->nr_unverified = 0;
	atoms = seg->atoms;
	meta = seg->meta;
	used = min(seg->nr_used, seg->cap);
	sc_seg_set_index_locked(s, seg, NULL, NULL, 0);
	sc_seg_clear_fill_locked(s, seg);
	spin_unlock(&s->lock);
	scratch_tstat_evict(s, atoms, used);
	kvfree(atoms);
	kvfree(meta);
	scratch_events_wake(s);

	/* The new generation reaches the disk first, then the RAM goes back. */
	mapping = sc_seg_region(s, seg)->file->f_mapping;
	start = sc_seg_dev_pos(s, seg);
	ret = sc_seg_write_free(s, seg, gen);
	/* Dirty or clean, these pages are garbage. */
	filemap_invalidate_lock(mapping);
	truncate_inode_pages_range(mapping, start, start + (1ULL << s->geom.seg_shift) - 1);
	filemap_invalidate_unlock(mapping);
	atomic64_inc(&s->evictions);

	spin_lock(&s->lock);
	if (ret) {
		/* Not reusable until its FREE header is durable: the refill work retries. */
		list_add_tail(&seg->node, &s->limbo);
		queue_work(system_unbound_wq, &s->refill_work);
	} else {
		sc_seg_make_free_locked(s, seg);
	}
	spin_unlock(&s->lock);
	if (ret)
		pr_warn_ratelimited("scratch%d: segment %u: free header not written: %d\n",
				    s->id, seg->idx, ret);
	return ret;
}

/*
 * Retry the FREE headers that eviction could not write (its task was being
 * killed, or the drive failed).  Caller holds alloc_mutex.
 */
void scratch_segs_retry_limbo(struct sc_space *s)
{
	struct sc_segment *seg;
	u32 gen;

	lockdep_assert_held(&s->alloc_mutex);
	for (;;) {
		spin_lock(&s->lock);
		seg = list_first_entry_or_null(&s->limbo, struct sc_segment, node);
		if (seg)
			list_del_init(&seg->node);
		gen = seg ? seg->gen : 0;
		spin_unlock(&s->lock);
		if (!seg)
			return;
		if (sc_seg_write_free(s, seg, gen)) {
			spin_lock(&s->lock);
			list_add(&seg->node, &s->limbo);
			spin_unlock(&s->lock);
			return;
		}
		spin_lock(&s->lock);
		sc_seg_make_free_locked(s, seg);
		spin_unlock(&s->lock);
	}
}

/*
 * Make the index of sealed segments small: trimmed to the slots they used,
 * and without meta[] once settled (meta.c).  A segment not settled yet is
 * trimmed and keeps its flag: the sync that settles it, or the reservation
 * that goes away, comes back here.  Runs after each sync and in the refill
 * work; resizes are safe against each other and against eviction.
 */
void scratch_segs_compact(struct sc_space *s)
{
	struct sc_segment *seg, *batch[16];
	bool keep[16];
	u32 cap[16];
	int n, k;

	do {
		n = 0;
		spin_lock(&s->lock);
		list_for_each_entry(seg, &s->fifo, node) {
			if (!seg->shrink || seg->state != SC_SEG_SEALED)
				continue;
			keep[n] = seg->meta && !sc_seg_settled_locked(seg);
			seg->shrink = keep[n];
			if (seg->cap == seg->nr_used && keep[n])
				continue;	/* nothing to do before it settles */
			batch[n] = seg;
			cap[n] = seg->nr_used;
			if (++n == ARRAY_SIZE(batch))
				break;
		}
		spin_unlock(&s->lock);
		for (k = 0; k < n; k++)
			if (sc_seg_resize(s, batch[k], cap[k], SC_SEG_SEALED, false, keep[k]))
				return;
	} while (n == ARRAY_SIZE(batch));
}

/*
 * Give sealed segments their SEALED header (gen, seq, slots used), so that a
 * reload reads only the table pages in use.  Into the page cache only: the
 * next sync or writeback makes it durable, and until then the OPEN header on
 * the disk makes a reload read the whole table, which is merely slower.
 * Under alloc_mutex, so that no eviction (whose FREE header must come last)
 * runs between the check and the write.
 */
void scratch_segs_write_sealed(struct sc_space *s)
{
	struct sc_segment *seg, *batch[16];
	u32 gen[16], used[16];
	u64 seq[16];
	int n, k, ret;

	lockdep_assert_held(&s->alloc_mutex);
	do {
		n = 0;
		spin_lock(&s->lock);
		list_for_each_entry(seg, &s->fifo, node) {
			if (seg->state != SC_SEG_SEALED || seg->hdr_sealed)
				continue;
			seg->hdr_sealed = true;
			batch[n] = seg;
			gen[n] = seg->gen;
			seq[n] = seg->seq;
			used[n] = seg->nr_used;
			if (++n == ARRAY_SIZE(batch))
				break;
		}
		spin_unlock(&s->lock);
		for (k = 0; k < n; k++) {
			ret = sc_seg_write_header(s, batch[k], SCRATCH_SEG_SEALED, gen[k],
						  seq[k], used[k]);
			if (ret)
				pr_warn_ratelimited("scratch%d: segment %u: sealed header not written: %d\n",
						    s->id, batch[k]->idx, ret);
		}
	} while (n == ARRAY_SIZE(batch));
}

void scratch_refill_work(struct work_struct *work)
{
	struct sc_space *s = container_of(work, struct sc_space, refill_work);
	bool low;

	for (;;) {
		spin_lock(&s->lock);
		low = s->nr_free < s->free_target && !s->dead;
		spin_unlock(&s->lock);
		if (!low)
			break;
		mutex_lock(&s->alloc_mutex);
		if (scratch_evict_one(s)) {
			mutex_unlock(&s->alloc_mutex);
			break;
		}
		mutex_unlock(&s->alloc_mutex);
	}
	mutex_lock(&s->alloc_mutex);
	scratch_segs_retry_limbo(s);
	scratch_segs_write_sealed(s);
	mutex_unlock(&s->alloc_mutex);
	scratch_segs_compact(s);
}
