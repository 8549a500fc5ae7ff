// SPDX-License-Identifier: GPL-2.0
/*
 * Eviction horizon: for each id, how many bytes of new writes its segment
 * has left before FIFO eviction takes it, and the space's recent write rate,
 * so that an engine can re-pin, copy or recompute before the loss instead of
 * after it.
 *
 * The model is the allocator's own (segment.c): writes fill the open
 * segments, then take free segments; once fewer than free_target are free,
 * the refill evicts the oldest unpinned sealed segment, one per segment
 * opened.  So the oldest unpinned segment goes after sc_horizon_base()
 * bytes, and each unpinned segment after it one segment's payload later.
 * Pinned segments are skipped by eviction and cost nothing.  It is an
 * estimate from the state of the call: a pin, a delete or a slot-bound
 * segment (many tiny atoms) moves it; atoms are page-rounded.
 *
 * The write rate (under space->lock): two marks of (jiffies, bytes_written)
 * at least SC_RATE_WINDOW apart, moved by writes (scratch_rate_tick) and by
 * HORIZON; the rate is measured from the older mark, over 10 to 20 seconds
 * while the space is written.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "scratch_priv.h"

#define SC_RATE_WINDOW		(10 * HZ)
#define SC_HORIZON_CHUNK	128

void scratch_rate_init(struct sc_space *s)
{
	s->rate_j0 = get_jiffies_64();
	s->rate_j1 = s->rate_j0;
	s->rate_b0 = 0;
	s->rate_b1 = 0;
}

/* Caller holds s->lock. */
static void sc_rate_tick_locked(struct sc_space *s, u64 now)
{
	lockdep_assert_held(&s->lock);
	if (now - s->rate_j1 < SC_RATE_WINDOW)
		return;
	s->rate_j0 = s->rate_j1;
	s->rate_b0 = s->rate_b1;
	s->rate_j1 = now;
	s->rate_b1 = atomic64_read(&s->bytes_written);
}

/* After a write: one compare unless a window has passed. */
void scratch_rate_tick(struct sc_space *s)
{
	u64 now = get_jiffies_64();

	if (likely(now - READ_ONCE(s->rate_j1) < SC_RATE_WINDOW))
		return;
	spin_lock(&s->lock);
	sc_rate_tick_locked(s, now);
	spin_unlock(&s->lock);
}

/*
 * Caller holds s->lock.  Fill @hz (one per segment) for the segments on the
 * FIFO: 1 + the bytes before eviction reaches it (0: not on the FIFO when
 * walked); pinned segments are passed over by eviction, so they add nothing
 * for the segments behind them.  Returns the horizon of a segment newer than
 * all of them.
 */
static u64 sc_horizon_walk_locked(struct sc_space *s, u64 *hz)
{
	u64 seg_bytes = (u64)s->geom.payload_pages * SC_PAGE;
	u64 open_pages = 0, h;
	struct sc_segment *seg;
	u32 i;

	lockdep_assert_held(&s->lock);
	for (i = 0; i < s->nr_regions; i++) {
		seg = s->regions[i].open;
		if (seg)
			open_pages += s->geom.seg_pages - min(seg->next_page, s->geom.seg_pages);
	}
	h = sc_horizon_base(open_pages * SC_PAGE, s->nr_free, s->free_target, seg_bytes);
	list_for_each_entry(seg, &s->fifo, node) {
		hz[seg->idx] = 1 + h;
		if (!seg->pins)
			h += seg_bytes;
	}
	return h;
}

static const struct sc_zero sc_horizon_zero[] = {
	SC_ZERO(struct scratch_horizon, reserved0),
	SC_ZERO(struct scratch_horizon, reserved),
};

/* The results of @n ids from @ids, under one hold of the lock. */
static u32 sc_horizon_chunk(struct sc_space *s, u32 tenant, const struct scratch_id *ids,
			    u32 n, const u64 *hz, u64 newest, u64 *out)
{
	struct sc_segment *seg;
	u32 i, found = 0;

	spin_lock(&s->lock);
	for (i = 0; i < n; i++) {
		struct sc_idparts p = sc_id_decode(&ids[i]);

		if (!scratch_find_id_locked(s, tenant, &p, &seg)) {
			out[i] = SCRATCH_HORIZON_MISSING;
			continue;
		}
		found++;
		if (seg->pins)
			out[i] = SCRATCH_HORIZON_PINNED;
		else if (!hz[seg->idx])
			out[i] = newest;	/* opened since the walk: the newest */
		else
			out[i] = hz[seg->idx] - 1;
	}
	spin_unlock(&s->lock);
	return found;
}

int scratch_horizon_ioctl(struct sc_file *f, void __user *arg)
{
	struct sc_space *s = f->space;
	struct scratch_horizon req;
	struct scratch_id *ids = NULL;
	u64 *hz, *out = NULL, now, newest, bytes;
	u32 done, n, found = 0;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, 0,
			       sc_horizon_zero, ARRAY_SIZE(sc_horizon_zero));
	if (ret)
		return ret;
	if (req.count > SCRATCH_HORIZON_MAX)
		return -EINVAL;
	hz = kvcalloc(s->nr_segs, sizeof(*hz), GFP_KERNEL);
	ids = kmalloc_array(SC_HORIZON_CHUNK, sizeof(*ids), GFP_KERNEL);
	out = kmalloc_array(SC_HORIZON_CHUNK, sizeof(*out), GFP_KERNEL);
	ret = -ENOMEM;
	if (!hz || !ids || !out)
		goto out;

	now = get_jiffies_64();
	spin_lock(&s->lock);
	newest = sc_horizon_walk_locked(s, hz);
	sc_rate_tick_locked(s, now);
	bytes = atomic64_read(&s->bytes_written) - s->rate_b0;
	req.rate_window_ms = jiffies64_to_msecs(now - s->rate_j0);
	spin_unlock(&s->lock);
	req.write_rate = req.rate_window_ms ? div64_u64(bytes * 1000, req.rate_window_ms) : 0;
	req.segment_bytes = (u64)s->geom.payload_pages * SC_PAGE;

	for (done = 0; done < req.count; done += n) {
		n = min_t(u32, req.count - done, SC_HORIZON_CHUNK);
		ret = -EFAULT;
		if (copy_from_user(ids, u64_to_user_ptr(req.ids_addr + (u64)done * sizeof(*ids)),
				   n * sizeof(*ids)))
			goto out;
		found += sc_horizon_chunk(s, f->tenant, ids, n, hz, newest, out);
		if (copy_to_user(u64_to_user_ptr(req.results_addr + (u64)done * sizeof(*out)), out,
				 n * sizeof(*out)))
			goto out;
		cond_resched();
	}
	ret = copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : (int)found;
out:
	kfree(out);
	kfree(ids);
	kvfree(hz);
	return ret;
}
