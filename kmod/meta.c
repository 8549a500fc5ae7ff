// SPDX-License-Identifier: GPL-2.0
/*
 * The two halves of the atom index.  Every atom has a 16-byte entry in RAM
 * (struct sc_atom): all that lookups, reads, mappings, presence checks,
 * accounting and eviction need.  The rest of its record (length, XXH64,
 * type, flags: struct sc_atom_meta, 16 more bytes) is needed only by STAT,
 * by a check of the atom's bytes and by the sync that writes the record.
 *
 * So meta[] is kept in RAM only while its segment may hold a record that is
 * not durable: while it is open, has a reservation, or has a commit not yet
 * synced.  Once the segment is sealed and every record in it is durable
 * (settled), scratch_segs_compact() frees it, and the meta of an atom is read
 * back from its table page through the page cache.  At scale nearly every
 * segment is settled, so the index costs 16 bytes per atom.
 *
 * A record read back speaks for the atom only if it is whole (magic,
 * checksum), of this incarnation of the segment (gen, seq) and says what the
 * entry says (page, stored length, tenant, parts: sc_rec_of_atom()).  One
 * that does not means the table page was damaged or lost on the drive: the
 * atom's bytes can no longer be vouched for, and the caller gets EBADMSG.
 */
#include <linux/fs.h>
#include "scratch_priv.h"

/* @sn: @seg's entry @slot, and its meta if in RAM.  Caller holds s->lock. */
void scratch_atom_snap_locked(struct sc_segment *seg, u32 slot, struct sc_atom_snap *sn)
{
	lockdep_assert_held(&seg->space->lock);
	sn->a = seg->atoms[slot];
	sn->gen = seg->gen;
	sn->seq = seg->seq;
	sn->slot = slot;
	sn->have_meta = seg->meta;
	if (sn->have_meta)
		sn->m = seg->meta[slot];
}

/*
 * Fill @sn's meta from its record when it was not in RAM.  The caller holds
 * a pin on @seg (so this incarnation stays) and no lock.  0, -EBADMSG (the
 * record is not the atom's), or the error of reading the table page.
 */
int scratch_atom_meta(struct sc_space *s, struct sc_segment *seg, struct sc_atom_snap *sn)
{
	struct scratch_disk_atom rec;
	struct sc_rec_info ri;
	u64 pos;
	int ret;

	if (sn->have_meta)
		return 0;
	pos = sc_table_pos(s, seg, sn->slot / SC_RECS_PER_PAGE) +
	      (u64)(sn->slot % SC_RECS_PER_PAGE) * sizeof(rec);
	ret = scratch_region_peek(sc_seg_region(s, seg), pos, &rec, sizeof(rec));
	if (ret)
		return ret;
	if (sc_rec_decode(&rec, &s->geom, sn->gen, sn->seq, &ri) ||
	    !sc_rec_of_atom(&ri, &sn->a, &sn->m)) {
		pr_warn_ratelimited("scratch%d: segment %u slot %u: record unreadable from its table\n",
				    s->id, seg->idx, sn->slot);
		return -EBADMSG;
	}
	sn->have_meta = true;
	return 0;
}

/*
 * Table page @tpage of settled @seg (generation @gen) for a sync: as it is
 * on the disk, less the records of atoms no longer live (dropped since).
 * Every live atom of a settled segment is durable: its record is kept as
 * read, if it is still the atom's.  0, 1 if the segment was evicted
 * meanwhile (nothing to write), or the error of reading the page.
 */
int scratch_table_page_keep(struct sc_space *s, struct sc_segment *seg, u32 gen, u32 tpage,
			    struct scratch_disk_atom *recs)
{
	struct sc_atom_meta m;
	struct sc_rec_info ri;
	u32 i, slot, end;
	int ret;

	ret = scratch_region_peek(sc_seg_region(s, seg), sc_table_pos(s, seg, tpage),
				  recs, SC_PAGE);
	if (ret)
		return ret;
	spin_lock(&s->lock);
	if (seg->gen != gen || (seg->state != SC_SEG_OPEN && seg->state != SC_SEG_SEALED)) {
		spin_unlock(&s->lock);
		return 1;
	}
	end = min(seg->nr_used, seg->cap);
	for (i = 0; i < SC_RECS_PER_PAGE; i++) {
		struct sc_atom *a;

		slot = tpage * SC_RECS_PER_PAGE + i;
		a = slot < end ? &seg->atoms[slot] : NULL;
		if (a && (a->state & SC_A_STATE) == SC_A_LIVE &&
		    (a->state & (SC_A_FLUSHING | SC_A_DURABLE)) &&
		    !sc_rec_decode(&recs[i], &s->geom, gen, seg->seq, &ri) &&
		    sc_rec_of_atom(&ri, a, &m))
			continue;
		memset(&recs[i], 0, sizeof(recs[i]));
	}
	spin_unlock(&s->lock);
	return 0;
}
