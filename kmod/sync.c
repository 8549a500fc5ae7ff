// SPDX-License-Identifier: GPL-2.0
/*
 * Sync: committed atoms become durable in two flushes, payload first, then
 * the table records that point to it; concurrent syncs share them (group
 * commit); and what a writeback error costs.
 *
 * A sync is all or nothing for what it collected: the records it could not
 * make durable (its caller was killed, a write failed, memory ran out) go
 * back to the segments' dirty ranges, and the next sync writes them.  An
 * atom is DURABLE only once its record has been flushed.
 *
 * Writeback errors are found through the errseq of each region's device
 * file (sampled when attach opened it), never through the mapping's error
 * flags: those are test-and-clear and shared with every opener of the
 * device.  An error says that some page of the region written since the last
 * check did not reach the drive, not which one; the drive still holds the
 * previous bytes there (another atom's, maybe another tenant's), and they
 * would be served once the page cache lets the written copy go.  So every
 * atom of the region that is not yet durable is dropped (missing from then
 * on), every reservation in it fails its commit, and mappings of dropped
 * atoms fault with SIGBUS.  The error is recorded in the space's own errseq,
 * which each fd samples at open: every fd's next SYNC or fsync reports it
 * once, as fsync(2) does for files.
 */
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include "scratch_priv.h"

/*
 * Drop what a writeback error on @seg's region may have hit: live atoms
 * not yet durable, and reservations (their commit fails).  Caller holds
 * s->lock.  Returns the number of atoms dropped.
 */
static u32 sc_seg_lose_unsynced_locked(struct sc_space *s, struct sc_segment *seg)
{
	u32 i, n = 0, end = min(seg->nr_used, seg->cap);

	lockdep_assert_held(&s->lock);
	for (i = 0; i < end; i++) {
		struct sc_atom *a = &seg->atoms[i];

		switch (a->state & SC_A_STATE) {
		case SC_A_RESERVED:
			a->state |= SC_A_LOST;
			break;
		case SC_A_LIVE:
			if (a->state & SC_A_DURABLE)
				break;
			scratch_atom_drop_locked(s, seg, i);
			n++;
			break;
		}
	}
	/* From now on faults of its mappings check that their atom lives. */
	if (n)
		WRITE_ONCE(seg->lost, true);
	return n;
}

static void sc_region_lose_unsynced(struct sc_space *s, u32 ri, int err)
{
	struct sc_region *r = &s->regions[ri];
	u64 i;
	u32 n = 0;

	for (i = r->first_seg; i < r->first_seg + r->nr_segs; i++) {
		struct sc_segment *seg = &s->segs[i];

		spin_lock(&s->lock);
		if (seg->state == SC_SEG_OPEN || seg->state == SC_SEG_SEALED)
			n += sc_seg_lose_unsynced_locked(s, seg);
		spin_unlock(&s->lock);
		cond_resched();
	}
	errseq_set(&s->wb_err, err);
	atomic64_inc(&s->wb_errors);
	atomic64_inc(&r->write_errors);
	pr_warn_ratelimited("scratch%d: %pD: write error %d: %u atom(s) not yet synced dropped\n",
			    s->id, r->file, err, n);
}

/*
 * Has a writeback error reached region @ri since it was last checked?  If
 * so, drop what it may have hit.  Returns the error (0: none).  Readers of
 * atoms that are not durable call it too, so that a page re-read from the
 * drive after a failed writeback is never served.
 */
int scratch_region_wb_check(struct sc_space *s, u32 ri)
{
	int err = file_check_and_advance_wb_err(s->regions[ri].file);

	if (err)
		sc_region_lose_unsynced(s, ri, err);
	return err;
}

/*
 * Everything written to region @ri so far (payload, headers, tables) to the
 * drive.  A writeback or flush error means lost data: what was not durable
 * is dropped and the error returned.  *@retry is set for a failure that lost
 * nothing (writeback could not be started): the caller must not rely on the
 * flush, and a later sync tries again.
 */
static int sc_region_sync_data(struct sc_space *s, u32 ri, bool *retry)
{
	struct sc_region *r = &s->regions[ri];
	struct address_space *m = r->file->f_mapping;
	loff_t end = r->dev_off + r->len - 1;
	int ret, err;

	ret = filemap_fdatawrite_range(m, r->dev_off, end);
	filemap_fdatawait_range_keep_errors(m, r->dev_off, end);
	err = scratch_region_wb_check(s, ri);
	if (err)
		return err;
	if (ret) {
		*retry = true;
		return ret;
	}
	err = blkdev_issue_flush(r->bdev);
	if (err) {
		/* The drive's volatile cache may have lost any of it. */
		sc_region_lose_unsynced(s, ri, err);
	}
	return err;
}

/* Every region's data to the drive: the first error, *@retry as above. */
static int sc_sync_data(struct sc_space *s, bool *retry)
{
	int ret = 0, err;
	u32 i;

	*retry = false;
	for (i = 0; i < s->nr_regions; i++) {
		err = sc_region_sync_data(s, i, retry);
		if (!ret)
			ret = err;
	}
	return ret;
}

/*
 * Take the dirty records of every live segment for this sync: their
 * payload is covered by the flush that follows (commit came after the last
 * write of each of them).
 */
static void sc_sync_collect(struct sc_space *s)
{
	struct sc_segment *seg;
	u32 i;

	spin_lock(&s->lock);
	list_for_each_entry(seg, &s->fifo, node) {
		if (sc_range_empty(&seg->dirty))
			continue;
		for (i = seg->dirty.lo; i <= seg->dirty.hi && i < seg->cap; i++)
			if ((seg->atoms[i].state & SC_A_STATE) == SC_A_LIVE)
				seg->atoms[i].state |= SC_A_FLUSHING;
		sc_range_merge(&seg->syncing, &seg->dirty);
		sc_range_clear(&seg->dirty);
	}
	spin_unlock(&s->lock);
}

/*
 * End of a sync: on success what it wrote is durable; otherwise its ranges
 * go back to dirty for the next sync.  Evicted segments have no range left
 * (eviction clears it), so only live ones are found here.
 */
static void sc_sync_finish(struct sc_space *s, bool ok)
{
	struct sc_segment *seg;
	u32 i;

	spin_lock(&s->lock);
	list_for_each_entry(seg, &s->fifo, node) {
		if (sc_range_empty(&seg->syncing))
			continue;
		for (i = seg->syncing.lo; i <= seg->syncing.hi && i < seg->cap; i++) {
			u8 *st = &seg->atoms[i].state;

			if (!(*st & SC_A_FLUSHING))
				continue;
			*st &= ~SC_A_FLUSHING;
			if (ok && (*st & SC_A_STATE) == SC_A_LIVE)
				*st |= SC_A_DURABLE;
		}
		if (!ok)
			sc_range_merge(&seg->dirty, &seg->syncing);
		sc_range_clear(&seg->syncing);
		if (ok)
			scratch_seg_may_settle_locked(s, seg);
	}
	spin_unlock(&s->lock);
}

/*
 * Build one table page of @seg: records whose payload a flush has made
 * durable, and nothing else.  From RAM while the segment has its meta[];
 * a settled one's page is the disk's less the atoms dropped since (meta.c).
 * Returns 0, 1 if the segment was evicted (nothing to write), or an error.
 */
static int sc_sync_fill_page(struct sc_space *s, struct sc_segment *seg, u32 tpage,
			     struct scratch_disk_atom *recs)
{
	struct sc_rec_info ri;
	u32 i, slot, gen;

	memset(recs, 0, SC_PAGE);
	spin_lock(&s->lock);
	if (seg->state != SC_SEG_OPEN && seg->state != SC_SEG_SEALED) {
		spin_unlock(&s->lock);
		return 1;
	}
	if (!seg->meta) {
		gen = seg->gen;
		spin_unlock(&s->lock);
		return scratch_table_page_keep(s, seg, gen, tpage, recs);
	}
	for (i = 0; i < SC_RECS_PER_PAGE; i++) {
		struct sc_atom *a;

		slot = tpage * SC_RECS_PER_PAGE + i;
		if (slot >= seg->nr_used || slot >= seg->cap)
			break;
		a = &seg->atoms[slot];
		if ((a->state & SC_A_STATE) != SC_A_LIVE ||
		    !(a->state & (SC_A_FLUSHING | SC_A_DURABLE)))
			continue;
		sc_rec_of_entry(&ri, a, &seg->meta[slot], seg->gen, seg->seq);
		sc_rec_encode(&recs[i], &ri);
	}
	spin_unlock(&s->lock);
	return 0;
}

/* Write the table pages of every range collected; into the page cache. */
static int sc_sync_tables(struct sc_space *s, void *page)
{
	struct sc_segment *seg;
	struct sc_range r;
	u32 tp;
	u64 i;
	int ret;

	for (i = 0; i < s->nr_segs; i++) {
		seg = &s->segs[i];
		spin_lock(&s->lock);
		r = seg->syncing;
		spin_unlock(&s->lock);
		if (sc_range_empty(&r))
			continue;
		for (tp = r.lo / SC_RECS_PER_PAGE; tp <= r.hi / SC_RECS_PER_PAGE; tp++) {
			ret = sc_sync_fill_page(s, seg, tp, page);
			if (ret < 0)
				return ret;
			if (ret)
				break;
			ret = scratch_region_write(sc_seg_region(s, seg),
						   sc_table_pos(s, seg, tp),
						   page, SC_PAGE);
			if (ret)
				return ret;
		}
		cond_resched();
	}
	return 0;
}

/*
 * Make every atom committed before the call durable.  Order matters: payload
 * (and segment headers) reach the disk before any record that points to them,
 * so after a crash an unsynced atom is gone, never torn.  @since is the
 * caller's cursor in the space's error sequence (NULL: none); an error
 * recorded after it is reported, and the cursor advanced past it.
 */
int scratch_sync_space(struct sc_space *s, errseq_t *since, spinlock_t *since_lock)
{
	bool retry;
	void *page;
	u64 want, mine;
	int ret, err;

	/*
	 * Group commit: a sync that collects after this point covers whatever
	 * the caller committed or deleted before the call, so when one such
	 * sync has succeeded by the time we hold sync_mutex, there is nothing
	 * left to do.  The barrier orders the caller's commits (s->lock
	 * released) before the read; atomic64_inc_return() below, fully
	 * ordered, orders the count before the collect: either the collect
	 * sees the commits or this read sees the count.
	 */
	smp_mb();
	want = atomic64_read(&s->sync_started) + 1;
	page = kmalloc(SC_PAGE, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	ret = mutex_lock_killable(&s->sync_mutex);
	if (ret)
		goto out_free;
	if (s->sync_done >= want) {
		mutex_unlock(&s->sync_mutex);
		atomic64_inc(&s->syncs_shared);
		goto out_free;
	}
	mine = atomic64_inc_return(&s->sync_started);
	sc_sync_collect(s);
	/*
	 * A region that lost data had its unsynced atoms dropped: the records
	 * of the others are written all the same, and the error reported.
	 */
	ret = sc_sync_data(s, &retry);
	err = retry ? ret : sc_sync_tables(s, page);
	if (!err)
		err = sc_sync_data(s, &retry);
	sc_sync_finish(s, !err);
	if (!ret)
		ret = err;
	if (!ret)
		s->sync_done = mine;
	mutex_unlock(&s->sync_mutex);
	/* Segments this sync settled give their meta[] back (meta.c). */
	if (!err)
		scratch_segs_compact(s);
out_free:
	kfree(page);
	if (since) {
		spin_lock(since_lock);
		err = errseq_check_and_advance(&s->wb_err, since);
		spin_unlock(since_lock);
		if (!ret)
			ret = err;
	}
	return ret;
}
