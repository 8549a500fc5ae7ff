// SPDX-License-Identifier: GPL-2.0
/*
 * Reload: attaching a formatted space reads it back.  The superblocks must
 * match the regions given; then every segment header, and the table pages in
 * use of each segment that is not free, rebuild the index, the FIFO and the
 * free lists as they were at the last sync.  Records are trusted once their
 * checksum matches; the atoms' bytes are verified on first use (verify.c).
 */
#include <linux/fadvise.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "scratch_priv.h"

static int sc_cmp_seq(const void *a, const void *b)
{
	const struct sc_segment *x = *(struct sc_segment * const *)a;
	const struct sc_segment *y = *(struct sc_segment * const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Rebuild one used segment's index from the first @npages pages of its table
 * (all of them for an OPEN header, those below nr_used for a SEALED one).
 * Damaged records, and records overlapping an earlier one, are dropped: their
 * atoms are missing.
 */
static int sc_reload_table(struct sc_space *s, struct sc_segment *seg, void **tablep,
			   u32 *cap, u32 npages)
{
	u32 i, top = 0, next = s->geom.first_page, nr = npages * SC_RECS_PER_PAGE;
	const struct scratch_disk_atom *recs;
	struct sc_rec_info ri;
	struct sc_atom *atoms;
	void *table;
	int ret;

	/*
	 * The buffer grows to the largest table read: a page for most, a
	 * whole table (4 MiB for 1 GiB segments) only when an OPEN one needs
	 * it, since allocating that costs more than reading a page.
	 */
	if (npages > *cap) {
		table = kvmalloc((size_t)npages * SC_PAGE, GFP_KERNEL);
		if (!table)
			return -ENOMEM;
		kvfree(*tablep);
		*tablep = table;
		*cap = npages;
	}
	table = *tablep;
	recs = table;
	if (npages) {
		ret = scratch_region_read(sc_seg_region(s, seg), sc_seg_dev_pos(s, seg) + SC_PAGE,
					  table, (size_t)npages * SC_PAGE);
		if (ret)
			return ret;
	}
	for (i = 0; i < nr; i++)
		if (!sc_rec_decode(&recs[i], &s->geom, seg->gen, seg->seq, &ri))
			top = i + 1;
	atoms = kvcalloc(max(top, 1U), sizeof(*atoms), GFP_KERNEL);
	if (!atoms)
		return -ENOMEM;
	for (i = 0; i < top; i++) {
		struct sc_atom *a = &atoms[i];

		/* Empty slots keep the page order that lookups rely on. */
		a->page = next;
		if (sc_rec_decode(&recs[i], &s->geom, seg->gen, seg->seq, &ri) ||
		    ri.page < next)
			continue;
		a->page = ri.page;
		a->stored_len = ri.stored_len;
		a->tenant = ri.tenant;
		sc_atom_set_parts(a, ri.nr_parts);
		/*
		 * Its record is whole (and the rest of it, meta, is read from
		 * the table when needed: a reloaded segment is settled); its
		 * bytes are checked on first use.
		 */
		a->state = SC_A_LIVE | SC_A_DURABLE | SC_A_UNVERIFIED;
		next = ri.page + sc_pages(ri.stored_len);
		seg->nr_unverified++;
		seg->nr_live++;
		seg->live_pages += sc_pages(ri.stored_len);
		scratch_tstat_make(s, a->tenant);
		scratch_tstat_atom(s, a->tenant, 1, sc_pages(ri.stored_len));
	}
	seg->atoms = atoms;
	/* The space is not attached yet: no lock needed. */
	seg->cap = top;
	s->nr_slots += top;
	seg->nr_used = top;
	seg->next_page = next;
	return 0;
}

/*
 * Segments whose header reads are in flight ahead of the one being decoded:
 * each is a page-cache readahead of the header and the first table page (one
 * I/O), so the drive sees many reads at once instead of one synchronous read
 * at a time.  256 segments: 2 MiB of page cache.
 */
#define SC_RELOAD_AHEAD		256

static void sc_reload_ahead(struct sc_space *s, u64 i)
{
	struct sc_segment *seg;

	if (i >= s->nr_segs)
		return;
	seg = &s->segs[i];
	/* Only a hint: an error shows in the read that follows. */
	vfs_fadvise(sc_seg_region(s, seg)->file, sc_seg_dev_pos(s, seg),
		    s->geom.table_pages ? 2 * SC_PAGE : SC_PAGE, POSIX_FADV_WILLNEED);
}

/*
 * Rebuild the space from the segment headers and tables: O(segments + table
 * pages in use), never a scan of payload.  A SEALED header bounds the table
 * pages to read; an OPEN one (the segments open at a crash, or sealed without
 * their SEALED header durable yet) costs its whole table.
 */
static int sc_segs_reload(struct sc_space *s)
{
	struct sc_segment **open, *seg;
	struct scratch_disk_seg *hdr;
	struct sc_seg_info si;
	u64 i, nr_open = 0;
	u32 max_gen = 1, table_cap = 0;
	ktime_t t0 = ktime_get();
	void *table = NULL;
	int ret = -ENOMEM;

	hdr = kmalloc(sizeof(*hdr), GFP_KERNEL);
	open = kvmalloc_array(s->nr_segs, sizeof(*open), GFP_KERNEL);
	if (!hdr || !open)
		goto out;

	for (i = 0; i < SC_RELOAD_AHEAD; i++)
		sc_reload_ahead(s, i);
	for (i = 0; i < s->nr_segs; i++) {
		sc_reload_ahead(s, i + SC_RELOAD_AHEAD);
		seg = &s->segs[i];
		ret = scratch_region_read(sc_seg_region(s, seg), sc_seg_dev_pos(s, seg),
					  hdr, sizeof(*hdr));
		if (ret)
			goto out;
		if (sc_seg_decode(hdr, s->uuid, seg->idx, &si)) {
			seg->gen = 0;	/* never written, or damaged: fixed below */
			continue;
		}
		seg->gen = si.gen;
		max_gen = max(max_gen, si.gen);
		if (si.state == SCRATCH_SEG_FREE)
			continue;
		seg->seq = si.seq;
		ret = sc_reload_table(s, seg, &table, &table_cap,
				      sc_table_pages_used(&s->geom, &si));
		if (ret)
			goto out;
		/* An OPEN one gets its SEALED header from the refill work. */
		seg->hdr_sealed = si.state == SCRATCH_SEG_SEALED;
		open[nr_open++] = seg;
	}

	spin_lock(&s->lock);
	for (i = 0; i < s->nr_segs; i++) {
		seg = &s->segs[i];
		/* Unknown history: a generation no id handed out can carry. */
		if (!seg->gen)
			seg->gen = sc_gen_next(max_gen);
	}
	spin_unlock(&s->lock);

	sort(open, nr_open, sizeof(*open), sc_cmp_seq, NULL);
	spin_lock(&s->lock);
	for (i = 0; i < nr_open; i++) {
		seg = open[i];
		list_del_init(&seg->node);
		sc_seg_region(s, seg)->nr_free--;
		s->nr_free--;
		seg->state = SC_SEG_SEALED;
		list_add_tail(&seg->node, &s->fifo);
		s->nr_atoms += seg->nr_live;
		s->used_pages += seg->live_pages;
		s->nr_unverified += seg->nr_unverified;
		s->next_seq = max(s->next_seq, seg->seq + 1);
	}
	/* Also writes the SEALED headers of segments reloaded OPEN. */
	queue_work(system_unbound_wq, &s->refill_work);
	spin_unlock(&s->lock);
	ret = 0;
out:
	s->reload_us = ktime_us_delta(ktime_get(), t0);
	kvfree(open);
	kvfree(table);
	kfree(hdr);
	return ret;
}

/*
 * Attach of a formatted space: the regions given must be exactly the space's,
 * in its order (EUCLEAN otherwise); then its segments are read back.
 */
int scratch_space_reload(struct sc_space *s)
{
	struct sc_super_info si, first;
	u32 i;
	int ret;

	for (i = 0; i < s->nr_regions; i++) {
		struct sc_region *r = &s->regions[i];

		ret = scratch_region_read_super(r, &si);
		if (ret)
			return ret;
		if (i == 0)
			first = si;
		if (memcmp(si.uuid, first.uuid, sizeof(si.uuid)) ||
		    si.nr_regions != s->nr_regions || si.region_idx != i ||
		    si.seg_shift != first.seg_shift || si.space_segs != first.space_segs ||
		    si.region_len > r->len)
			return -EUCLEAN;
		r->len = si.region_len;
		r->nr_segs = si.nr_segs;
		r->first_seg = si.first_seg;
		if (i == 0 ? si.first_seg : si.first_seg != s->nr_segs)
			return -EUCLEAN;
		s->nr_segs += si.nr_segs;
	}
	if (s->nr_segs != first.space_segs)
		return -EUCLEAN;
	memcpy(s->uuid, first.uuid, sizeof(s->uuid));
	ret = sc_geom_init(&s->geom, first.seg_shift);
	if (!ret)
		ret = scratch_segs_init(s);
	if (!ret)
		ret = sc_segs_reload(s);
	return ret;
}
