// SPDX-License-Identifier: GPL-2.0
/*
 * Atoms: the write protocol (reserve, commit, abort), lookups by id and by
 * offset, presence checks and stat.
 */
#include <linux/capability.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "scratch_priv.h"

static int sc_copy_out(void __user *arg, const void *src, size_t ksize)
{
	return copy_to_user(arg, src, ksize) ? -EFAULT : 0;
}

static void sc_mark_dirty_locked(struct sc_segment *seg, u32 slot)
{
	lockdep_assert_held(&seg->space->lock);
	sc_range_add(&seg->dirty, slot, slot);
}

/*
 * The live atom named by @p for @tenant, or NULL.  Caller holds s->lock.
 * Another tenant's atom is exactly as missing as an evicted one.
 */
struct sc_atom *scratch_find_id_locked(struct sc_space *s, u32 tenant,
				       const struct sc_idparts *p, struct sc_segment **segp)
{
	struct sc_segment *seg;
	struct sc_atom *a;

	lockdep_assert_held(&s->lock);
	if (p->seg >= s->nr_segs)
		return NULL;
	seg = &s->segs[p->seg];
	if (seg->gen != p->gen ||
	    (seg->state != SC_SEG_OPEN && seg->state != SC_SEG_SEALED))
		return NULL;
	if (p->slot >= seg->nr_used || p->slot >= seg->cap)
		return NULL;
	a = &seg->atoms[p->slot];
	if ((a->state & SC_A_STATE) != SC_A_LIVE || a->tenant != tenant)
		return NULL;
	if (p->part && p->part > sc_atom_nr_parts(a))
		return NULL;
	*segp = seg;
	return a;
}

/*
 * The slot whose atom starts at or before page @page of @seg (pages from the
 * segment's start), whatever its state: slots are handed out in page order,
 * so this is a binary search.  -1 if the segment has none.  Caller holds
 * s->lock.
 */
static int sc_slot_at_locked(struct sc_space *s, struct sc_segment *seg, u32 page)
{
	u32 lo = 0, hi = min(seg->nr_used, seg->cap);

	lockdep_assert_held(&s->lock);
	if (!hi)
		return -1;
	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;

		if (seg->atoms[mid].page <= page)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The live atom whose stored bytes hold page @page of @seg, or NULL.  Caller holds s->lock. */
static struct sc_atom *sc_atom_at_locked(struct sc_space *s, struct sc_segment *seg, u32 page)
{
	struct sc_atom *a;
	int slot;

	lockdep_assert_held(&s->lock);
	if (seg->state != SC_SEG_OPEN && seg->state != SC_SEG_SEALED)
		return NULL;
	slot = sc_slot_at_locked(s, seg, page);
	if (slot < 0)
		return NULL;
	a = &seg->atoms[slot];
	if ((a->state & SC_A_STATE) != SC_A_LIVE || a->page > page ||
	    page >= a->page + sc_pages(a->stored_len))
		return NULL;
	return a;
}

/* Pin the segment of the live atom (or array) named by @p, or NULL. */
struct sc_segment *scratch_atom_pin_id(struct sc_space *s, u32 tenant,
				       const struct sc_idparts *p)
{
	struct sc_segment *seg = NULL;

	spin_lock(&s->lock);
	if (scratch_find_id_locked(s, tenant, p, &seg))
		sc_seg_pin_locked(s, seg);
	else
		seg = NULL;
	spin_unlock(&s->lock);
	return seg;
}

/*
 * Pin the segment of the live atom of @tenant that contains space offset
 * @off; pin->avail is what remains of the atom from @off.  Readers and
 * mappings hold the pin while they touch the atom's pages (and verify them),
 * so eviction skips the segment until they are done.  0 or -ENOENT.
 */
int scratch_atom_pin(struct sc_space *s, u32 tenant, u64 off, struct sc_pin *pin)
{
	struct sc_segment *seg;
	struct sc_atom *a;
	u32 idx = sc_seg_of(s, off), page;
	u64 start;

	if (off >> s->geom.seg_shift >= s->nr_segs)
		return -ENOENT;
	seg = &s->segs[idx];
	page = (off & ((1ULL << s->geom.seg_shift) - 1)) >> SC_PAGE_SHIFT;
	spin_lock(&s->lock);
	a = sc_atom_at_locked(s, seg, page);
	if (!a || a->tenant != tenant)
		goto missing;
	start = sc_space_off(s, idx, a->page);
	if (off >= start + a->stored_len)
		goto missing;
	pin->seg = seg;
	pin->avail = start + a->stored_len - off;
	pin->slot = a - seg->atoms;
	pin->state = a->state;
	sc_seg_pin_locked(s, seg);
	spin_unlock(&s->lock);
	return 0;
missing:
	spin_unlock(&s->lock);
	return -ENOENT;
}

/*
 * The tenant of the slot holding page @page of pinned @seg, whatever its state
 * (a mapping's atom may have been dropped since: the slot keeps its tenant).
 */
u32 scratch_seg_page_tenant(struct sc_space *s, struct sc_segment *seg, u32 page)
{
	u32 tenant;
	int slot;

	spin_lock(&s->lock);
	slot = sc_slot_at_locked(s, seg, page);
	tenant = slot < 0 ? 0 : seg->atoms[slot].tenant;
	spin_unlock(&s->lock);
	return tenant;
}

/* Is page @page of @seg (from its start) in a live atom?  For mappings of a segment that lost atoms. */
bool scratch_seg_page_live(struct sc_space *s, struct sc_segment *seg, u32 page)
{
	bool live;

	spin_lock(&s->lock);
	live = sc_atom_at_locked(s, seg, page);
	spin_unlock(&s->lock);
	return live;
}

/*
 * Caller holds s->lock.  A live atom becomes missing, as if aborted: its
 * pages stay unused until the segment is evicted, and the next sync writes
 * its table page without the record, so a reload does not bring it back.
 */
void scratch_atom_drop_locked(struct sc_space *s, struct sc_segment *seg, u32 slot)
{
	struct sc_atom *a = &seg->atoms[slot];
	u32 pages = sc_pages(a->stored_len);

	lockdep_assert_held(&s->lock);
	if ((a->state & SC_A_STATE) != SC_A_LIVE)
		return;
	if (a->state & SC_A_UNVERIFIED) {
		seg->nr_unverified--;
		s->nr_unverified--;
	}
	a->state = SC_A_EMPTY;
	seg->nr_live--;
	seg->live_pages -= pages;
	scratch_tstat_atom(s, a->tenant, -1, pages);
	s->nr_atoms--;
	s->used_pages -= pages;
	sc_mark_dirty_locked(seg, slot);
}

static struct sc_resv *sc_resv_find(struct sc_file *f, const struct scratch_id *id)
{
	struct sc_resv *r;
	struct sc_idparts p = sc_id_decode(id);

	list_for_each_entry(r, &f->resv, node)
		if (r->seg->idx == p.seg && r->slot == p.slot && r->gen == p.gen &&
		    !p.part)
			return r;
	return NULL;
}

static void sc_resv_free(struct sc_resv *r)
{
	kvfree(r->written);
	kfree(r);
}

/*
 * Drop an uncommitted reservation: its pages stay unused until eviction.
 * @charged: the tenant was charged for it (scratch_tenant_pin).
 */
static void sc_resv_drop(struct sc_space *s, struct sc_resv *res, bool charged)
{
	spin_lock(&s->lock);
	res->seg->atoms[res->slot].state = SC_A_EMPTY;
	sc_seg_unpin_locked(s, res->seg);
	/* Its last reservation gone, a sealed segment may be settled. */
	if (scratch_seg_may_settle_locked(s, res->seg))
		queue_work(system_unbound_wq, &s->refill_work);
	spin_unlock(&s->lock);
	if (charged)
		scratch_tenant_unpin(s, res->tenant, res->seg->idx, res->stored_len);
	sc_resv_free(res);
}

/* id and offset are outputs: zero coming in. */
static const struct sc_zero sc_reserve_zero[] = {
	SC_ZERO(struct scratch_reserve, reserved0),
	SC_ZERO(struct scratch_reserve, id),
	SC_ZERO(struct scratch_reserve, offset),
	SC_ZERO(struct scratch_reserve, reserved),
};

int scratch_reserve_ioctl(struct sc_file *f, void __user *arg)
{
	struct sc_space *s = f->space;
	struct scratch_reserve req;
	struct sc_idparts p = { 0 };
	struct sc_segment *seg;
	struct sc_region *rg;
	struct sc_resv *res;
	u32 pages, i, hint;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, 0,
			       sc_reserve_zero, ARRAY_SIZE(sc_reserve_zero));
	if (ret)
		return ret;
	if (!req.stored_len || req.nr_parts > SCRATCH_MAX_PARTS)
		return -EINVAL;
	if (req.nr_parts && sc_part_table_bytes(req.nr_parts) > req.stored_len)
		return -EINVAL;
	if (req.stored_len > U32_MAX || sc_pages(req.stored_len) > s->geom.payload_pages)
		return -EFBIG;
	pages = sc_pages(req.stored_len);
	scratch_tstat_make(s, f->tenant);

	/* Charged to the caller's memory cgroup: reservations are its to make. */
	res = kzalloc(sizeof(*res), GFP_KERNEL_ACCOUNT);
	if (!res)
		return -ENOMEM;
	res->written = kvcalloc(BITS_TO_LONGS(pages), sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!res->written) {
		kfree(res);
		return -ENOMEM;
	}
	res->stored_len = req.stored_len;
	res->nr_parts = req.nr_parts;
	res->tenant = f->tenant;

	for (;;) {
		spin_lock(&s->lock);
		hint = s->rr;
		for (i = 0; i < s->nr_regions; i++) {
			rg = &s->regions[(hint + i) % s->nr_regions];
			seg = rg->open;
			if (!seg)
				continue;
			if (seg->next_page + pages <= s->geom.seg_pages) {
				if (seg->nr_used < seg->cap)
					goto found;
				if (seg->cap < s->geom.nr_slots)
					break;
			}
			scratch_seg_seal_locked(s, seg);
			queue_work(system_unbound_wq, &s->refill_work);
		}
		spin_unlock(&s->lock);
		if (i < s->nr_regions) {
			ret = scratch_seg_grow(s, seg);
			if (ret) {
				sc_resv_free(res);
				return ret;
			}
			continue;
		}
		ret = scratch_seg_open_next(s, hint);
		if (ret) {
			sc_resv_free(res);
			return ret;
		}
	}
found:
	s->rr = (hint + i + 1) % s->nr_regions;
	res->seg = seg;
	res->slot = seg->nr_used++;
	res->gen = seg->gen;
	seg->atoms[res->slot] = (struct sc_atom) {
		.page = seg->next_page,
		.stored_len = req.stored_len,
		.tenant = f->tenant,
		.state = SC_A_RESERVED,
	};
	sc_atom_set_parts(&seg->atoms[res->slot], req.nr_parts);
	res->off = sc_space_off(s, seg->idx, seg->next_page);
	seg->next_page += pages;
	sc_seg_pin_locked(s, seg);
	p.seg = seg->idx;
	p.gen = seg->gen;
	p.slot = res->slot;
	spin_unlock(&s->lock);

	ret = scratch_tenant_pin(s, res->tenant, seg->idx, res->stored_len);
	if (ret) {
		sc_resv_drop(s, res, false);
		return ret;
	}
	spin_lock(&f->lock);
	list_add_tail(&res->node, &f->resv);
	spin_unlock(&f->lock);

	req.id = sc_id_encode(&p);
	req.offset = res->off;
	return sc_copy_out(arg, &req, sizeof(req));
}

void scratch_resv_release_all(struct sc_file *f)
{
	struct sc_resv *res, *tmp;

	/* The fd is going away: no writes can be in flight on it. */
	list_for_each_entry_safe(res, tmp, &f->resv, node) {
		list_del(&res->node);
		sc_resv_drop(f->space, res, true);
	}
}

/* An array's part table must describe its stored bytes and match xxh64. */
static int sc_check_parts(struct sc_space *s, struct sc_resv *res, u64 xxh)
{
	struct sc_region *rg = sc_seg_region(s, res->seg);
	size_t len = (size_t)res->nr_parts * sizeof(struct scratch_disk_part);
	u64 pos = sc_seg_dev_pos(s, res->seg) +
		  (res->off & ((1ULL << s->geom.seg_shift) - 1));
	void *buf;
	int ret;

	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = scratch_region_read(rg, pos, buf, len);
	if (!ret)
		ret = sc_parts_check(buf, res->nr_parts, res->stored_len);
	if (!ret && sc_xxh64(buf, len) != xxh)
		ret = -EBADMSG;
	kvfree(buf);
	return ret;
}

/* Zero the rest of the atom's last page: a mapping shows whole pages. */
static int sc_zero_tail(struct sc_space *s, struct sc_resv *res)
{
	u64 end = res->off + res->stored_len;
	u32 tail = end & (SC_PAGE - 1);
	u64 pos = sc_seg_dev_pos(s, res->seg) + (end & ((1ULL << s->geom.seg_shift) - 1));

	if (!tail)
		return 0;
	return scratch_region_write(sc_seg_region(s, res->seg), pos,
				    page_address(ZERO_PAGE(0)), SC_PAGE - tail);
}

static const struct sc_zero sc_commit_zero[] = {
	SC_ZERO(struct scratch_commit, reserved0),
	SC_ZERO(struct scratch_commit, reserved),
};

int scratch_commit_ioctl(struct sc_file *f, void __user *arg)
{
	struct sc_space *s = f->space;
	struct scratch_commit req;
	struct sc_segment *seg;
	struct sc_resv *res;
	struct sc_atom *a;
	u32 pages;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, 0,
			       sc_commit_zero, ARRAY_SIZE(sc_commit_zero));
	if (ret)
		return ret;
	if (req.atom_flags & ~SCRATCH_ATOM_USER_ALL || req.length > U32_MAX)
		return -EINVAL;

	spin_lock(&f->lock);
	res = sc_resv_find(f, &req.id);
	ret = -ENOENT;
	if (!res)
		goto unlock;
	ret = -EBUSY;
	if (res->inflight)
		goto unlock;
	ret = -EINVAL;
	pages = sc_pages(res->stored_len);
	if (!bitmap_full(res->written, pages))
		goto unlock;
	/* Ours until committed or handed back on failure. */
	list_del_init(&res->node);
	spin_unlock(&f->lock);

	ret = res->nr_parts ? sc_check_parts(s, res, req.xxh64) : 0;
	if (!ret)
		ret = sc_zero_tail(s, res);
	if (ret) {
		spin_lock(&f->lock);
		list_add_tail(&res->node, &f->resv);
		goto unlock;
	}

	seg = res->seg;
	/* Its pages may have failed writeback already: then LOST is set now. */
	if (scratch_region_wb_new(s, seg->region))
		scratch_region_wb_check(s, seg->region);
	spin_lock(&s->lock);
	a = &seg->atoms[res->slot];
	/* A reservation keeps its segment unsettled: meta[] is there. */
	if ((a->state & SC_A_LOST) || WARN_ON_ONCE(!seg->meta)) {
		spin_unlock(&s->lock);
		sc_resv_drop(s, res, true);
		return -EIO;
	}
	seg->meta[res->slot] = (struct sc_atom_meta) {
		.xxh64 = req.xxh64,
		.length = req.length,
		.type = req.type,
		.atom_flags = req.atom_flags,
	};
	a->state = SC_A_LIVE | SC_A_FRESH;
	seg->nr_live++;
	seg->live_pages += pages;
	scratch_tstat_atom(s, a->tenant, 1, pages);
	s->nr_atoms++;
	s->used_pages += pages;
	sc_mark_dirty_locked(seg, res->slot);
	sc_seg_unpin_locked(s, seg);
	spin_unlock(&s->lock);
	scratch_tenant_unpin(s, res->tenant, seg->idx, res->stored_len);
	sc_resv_free(res);
	return 0;
unlock:
	spin_unlock(&f->lock);
	return ret;
}

static const struct sc_zero sc_abort_zero[] = {
	SC_ZERO(struct scratch_abort, reserved),
};

int scratch_abort_ioctl(struct sc_file *f, void __user *arg)
{
	struct scratch_abort req;
	struct sc_resv *res;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, 0,
			       sc_abort_zero, ARRAY_SIZE(sc_abort_zero));
	if (ret)
		return ret;
	spin_lock(&f->lock);
	res = sc_resv_find(f, &req.id);
	if (!res || res->inflight) {
		spin_unlock(&f->lock);
		return res ? -EBUSY : -ENOENT;
	}
	list_del(&res->node);
	spin_unlock(&f->lock);
	sc_resv_drop(f->space, res, true);
	return 0;
}

/* A part's entry in its array's table: one small read through the page cache. */
static int sc_read_part(struct sc_space *s, struct sc_segment *seg, u32 page, u32 part,
			struct scratch_disk_part *out)
{
	u64 pos = sc_seg_dev_pos(s, seg) + ((u64)page << SC_PAGE_SHIFT) +
		  (u64)part * sizeof(*out);

	return scratch_region_read(sc_seg_region(s, seg), pos, out, sizeof(*out));
}

/* The outputs are not checked: a struct can be passed again as it came back. */
static const struct sc_zero sc_stat_zero[] = {
	SC_ZERO(struct scratch_stat, reserved0),
	SC_ZERO(struct scratch_stat, reserved),
};

int scratch_stat_ioctl(struct sc_file *f, void __user *arg)
{
	struct sc_space *s = f->space;
	struct scratch_disk_part dp;
	struct scratch_stat req;
	struct sc_segment *seg;
	struct sc_atom_snap sn;
	struct sc_idparts p;
	struct sc_atom *a;
	bool pinned;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, 0,
			       sc_stat_zero, ARRAY_SIZE(sc_stat_zero));
	if (ret)
		return ret;
	p = sc_id_decode(&req.id);
	spin_lock(&s->lock);
	a = scratch_find_id_locked(s, f->tenant, &p, &seg);
	if (!a || (a->state & SC_A_BAD)) {
		spin_unlock(&s->lock);
		return a ? -EBADMSG : -ENOENT;
	}
	scratch_atom_snap_locked(seg, p.slot, &sn);
	/* The segment stays while its record or part table is read. */
	pinned = p.part || !sn.have_meta;
	if (pinned)
		sc_seg_pin_locked(s, seg);
	spin_unlock(&s->lock);

	/* The verdict so far (a part shares its array's); no check of the bytes. */
	req.status = sn.a.state & SC_A_UNVERIFIED ? 0 : SCRATCH_STAT_VERIFIED;
	req.offset = sc_space_off(s, p.seg, sn.a.page);
	req.stored_len = sn.a.stored_len;
	req.nr_parts = sc_atom_nr_parts(&sn.a);
	ret = scratch_atom_meta(s, seg, &sn);
	if (!ret && p.part)
		ret = sc_read_part(s, seg, sn.a.page, p.part - 1, &dp);
	if (pinned)
		scratch_seg_unpin(s, seg);
	if (ret)
		return ret;
	req.length = sn.m.length;
	req.xxh64 = sn.m.xxh64;
	req.type = sn.m.type;
	req.atom_flags = sn.m.atom_flags;
	if (p.part) {
		/* The table was checked at commit; a damaged one is reported. */
		if (le64_to_cpu(dp.off) > sn.a.stored_len ||
		    le64_to_cpu(dp.len) > sn.a.stored_len - le64_to_cpu(dp.off))
			return -EBADMSG;
		req.offset += le64_to_cpu(dp.off);
		req.stored_len = le64_to_cpu(dp.len);
		req.length = req.stored_len;
		req.xxh64 = le64_to_cpu(dp.xxh64);
		req.nr_parts = 0;
	}
	return sc_copy_out(arg, &req, sizeof(req));
}

#define SC_PRESENT_CHUNK	128

static const struct sc_zero sc_present_zero[] = {
	SC_ZERO(struct scratch_present, reserved0),
	SC_ZERO(struct scratch_present, reserved),
};

int scratch_present_ioctl(struct sc_file *f, void __user *arg)
{
	struct sc_space *s = f->space;
	struct scratch_present req;
	struct scratch_id *ids;
	struct sc_segment *seg;
	u8 res[SC_PRESENT_CHUNK];
	u32 done, n, i;
	int found = 0;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, 0,
			       sc_present_zero, ARRAY_SIZE(sc_present_zero));
	if (ret)
		return ret;
	if (req.count > SCRATCH_PRESENT_MAX)
		return -EINVAL;
	ids = kmalloc_array(SC_PRESENT_CHUNK, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	for (done = 0; done < req.count; done += n) {
		n = min_t(u32, req.count - done, SC_PRESENT_CHUNK);
		ret = -EFAULT;
		if (copy_from_user(ids, u64_to_user_ptr(req.ids_addr + (u64)done * sizeof(*ids)),
				   n * sizeof(*ids)))
			goto out;
		spin_lock(&s->lock);
		for (i = 0; i < n; i++) {
			struct sc_idparts p = sc_id_decode(&ids[i]);

			/*
			 * No I/O: an atom not yet verified is present, and so
			 * is one found bad (its reads fail with EBADMSG) until
			 * scrub drops it.  Readers tell eviction from damage by
			 * this: a failed read whose id is still present was not
			 * an eviction race.
			 */
			res[i] = !!scratch_find_id_locked(s, f->tenant, &p, &seg);
			found += res[i];
		}
		spin_unlock(&s->lock);
		if (copy_to_user(u64_to_user_ptr(req.results_addr + done), res, n))
			goto out;
	}
	ret = 0;
out:
	kfree(ids);
	return ret ? ret : found;
}

static const struct sc_zero sc_tenant_zero[] = {
	SC_ZERO(struct scratch_tenant, reserved),
};

int scratch_set_tenant_ioctl(struct sc_file *f, void __user *arg)
{
	struct scratch_tenant req;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, NULL, 0,
			       sc_tenant_zero, ARRAY_SIZE(sc_tenant_zero));
	if (ret)
		return ret;
	/* A broker space: only the broker binds, and its fd passes on bound. */
	if (READ_ONCE(f->space->broker_tenants) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	spin_lock(&f->lock);
	ret = -EPERM;
	if (!f->bound) {
		f->tenant = req.tenant;
		f->bound = true;
		WRITE_ONCE(f->need_tenant, false);
		ret = 0;
	}
	spin_unlock(&f->lock);
	return ret;
}
