// SPDX-License-Identifier: GPL-2.0
/*
 * Per-tenant limits: how many distinct segments a tenant may pin at once
 * (with mappings and open reservations), and how many bytes it may have
 * reserved.  A pin keeps a whole segment from eviction, so without a limit one
 * tenant that maps an atom in every segment, or leaves a reservation open in
 * each, makes RESERVE fail with ENOSPC for everyone.  Past a limit, mmap and
 * RESERVE fail with EDQUOT for that tenant only.
 *
 * Reads in flight pin too, but only for the length of a call: not counted.
 *
 * State, under space->tenant_mutex (it allocates, so not under space->lock;
 * a leaf lock, taken under the caller's mmap_lock by mmap, ->open, ->close):
 * tenants maps a tenant to its struct sc_tenant, tpins maps (tenant, segment)
 * to how many pins that tenant holds there.  Both hold entries only while a
 * tenant pins something.
 *
 * Accounting, always on: per tenant, the atoms and stored bytes it has
 * (live atoms), and the bytes it wrote and read since attach.  tstats maps a
 * tenant to its struct sc_tstat, made when the tenant first reserves or when
 * its atoms are reloaded, and kept until detach, so that the I/O paths find
 * it without a lock (xa_load) and nothing is freed under them.  At most
 * SC_TSTAT_MAX tenants get one; the others share tstat_other, so that the
 * totals stay whole.  Insertions under tenant_mutex; the counters are
 * atomics.
 */
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>
#include "scratch_priv.h"

#define SC_TSTAT_MAX		4096

struct sc_tenant {
	u32 segs;		/* distinct segments pinned */
	u64 reserved;		/* bytes of open reservations */
};

static unsigned long sc_tpin_key(u32 tenant, u32 seg)
{
	return (unsigned long)tenant << 32 | seg;
}

void scratch_tenants_init(struct sc_space *s)
{
	mutex_init(&s->tenant_mutex);
	xa_init(&s->tenants);
	xa_init(&s->tpins);
	xa_init(&s->tstats);
}

/* At detach, with no fd and no mapping left: everything was unpinned. */
void scratch_tenants_free(struct sc_space *s)
{
	struct sc_tstat *ts;
	struct sc_tenant *t;
	unsigned long i;

	xa_for_each(&s->tenants, i, t) {
		WARN_ONCE(1, "scratch%d: tenant %lu still pins %u segment(s)\n", s->id, i, t->segs);
		kfree(t);
	}
	xa_destroy(&s->tenants);
	xa_destroy(&s->tpins);
	xa_for_each(&s->tstats, i, ts)
		kfree(ts);
	xa_destroy(&s->tstats);
}

/* @tenant's counters, or the shared ones of tenants past SC_TSTAT_MAX.  Any context. */
struct sc_tstat *scratch_tstat(struct sc_space *s, u32 tenant)
{
	return xa_load(&s->tstats, tenant) ?: &s->tstat_other;
}

/*
 * Give @tenant counters of its own if it has none and there is room: before
 * its first reservation, and for each tenant whose atoms reload finds.
 * Process context.  Failing to allocate only leaves it on the shared ones.
 */
void scratch_tstat_make(struct sc_space *s, u32 tenant)
{
	struct sc_tstat *ts;

	if (xa_load(&s->tstats, tenant))
		return;
	mutex_lock(&s->tenant_mutex);
	if (xa_load(&s->tstats, tenant) || s->nr_tstats >= SC_TSTAT_MAX)
		goto unlock;
	ts = kzalloc(sizeof(*ts), GFP_KERNEL_ACCOUNT);
	if (!ts)
		goto unlock;
	if (xa_err(xa_store(&s->tstats, tenant, ts, GFP_KERNEL_ACCOUNT)))
		kfree(ts);
	else
		s->nr_tstats++;
unlock:
	mutex_unlock(&s->tenant_mutex);
}

/* A live atom of @tenant came (@n 1) or went (@n -1), @pages stored. */
void scratch_tstat_atom(struct sc_space *s, u32 tenant, int n, u32 pages)
{
	struct sc_tstat *ts = scratch_tstat(s, tenant);

	atomic64_add(n, &ts->atoms);
	atomic64_add(n * (s64)pages, &ts->stored_pages);
}

/* An evicted segment's atoms, from its index (taken off the segment: ours). */
void scratch_tstat_evict(struct sc_space *s, const struct sc_atom *atoms, u32 n)
{
	struct sc_tstat *ts = NULL;
	u32 i, tenant = 0;

	for (i = 0; i < n; i++) {
		const struct sc_atom *a = &atoms[i];

		if ((a->state & SC_A_STATE) != SC_A_LIVE)
			continue;
		/* Runs of one tenant's atoms: one lookup. */
		if (!ts || a->tenant != tenant) {
			tenant = a->tenant;
			ts = scratch_tstat(s, tenant);
		}
		atomic64_dec(&ts->atoms);
		atomic64_sub(sc_pages(a->stored_len), &ts->stored_pages);
	}
}

static int sc_tstat_line(char *buf, size_t len, const char *who, const struct sc_tstat *ts,
			 const struct sc_tenant *t)
{
	return scnprintf(buf, len, "%s %lld %lld %lld %lld %u %llu\n", who,
			 (long long)atomic64_read(&ts->atoms),
			 (long long)atomic64_read(&ts->stored_pages) * SC_PAGE,
			 (long long)atomic64_read(&ts->written),
			 (long long)atomic64_read(&ts->read), t ? t->segs : 0,
			 t ? (unsigned long long)t->reserved : 0ULL);
}

/*
 * The text of sysfs "tenants", whole, into a buffer of ours: one line per
 * tenant with counters, "TENANT ATOMS STORED_BYTES BYTES_WRITTEN BYTES_READ
 * PINNED_SEGMENTS RESERVED_BYTES", ascending, then "other ..." if tenants
 * past SC_TSTAT_MAX share counters.  Returns its length, or -ENOMEM.
 */
ssize_t scratch_tenants_text(struct sc_space *s, char **out)
{
	size_t cap, len = 0;
	struct sc_tstat *ts;
	unsigned long i;
	char who[16];
	char *buf;

	mutex_lock(&s->tenant_mutex);
	cap = (s->nr_tstats + 1) * 128;
	buf = kvmalloc(cap, GFP_KERNEL);
	if (!buf) {
		mutex_unlock(&s->tenant_mutex);
		return -ENOMEM;
	}
	xa_for_each(&s->tstats, i, ts) {
		snprintf(who, sizeof(who), "%lu", i);
		len += sc_tstat_line(buf + len, cap - len, who, ts, xa_load(&s->tenants, i));
	}
	if (s->nr_tstats >= SC_TSTAT_MAX)
		len += sc_tstat_line(buf + len, cap - len, "other", &s->tstat_other, NULL);
	mutex_unlock(&s->tenant_mutex);
	*out = buf;
	return len;
}

/*
 * @tenant takes one more pin on segment @seg and reserves @bytes: 0, -EDQUOT
 * past a limit (nothing taken), or -ENOMEM.
 */
int scratch_tenant_pin(struct sc_space *s, u32 tenant, u32 seg, u64 bytes)
{
	unsigned long key = sc_tpin_key(tenant, seg);
	u32 max_segs = READ_ONCE(s->tenant_max_segs);
	u64 max_bytes = READ_ONCE(s->tenant_max_reserved);
	struct sc_tenant *t, *fresh = NULL;
	unsigned long cnt;
	int ret;

	mutex_lock(&s->tenant_mutex);
	t = xa_load(&s->tenants, tenant);
	if (!t) {
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
		ret = -ENOMEM;
		if (!fresh)
			goto unlock;
		t = fresh;
	}
	cnt = xa_to_value(xa_load(&s->tpins, key) ?: xa_mk_value(0));
	ret = -EDQUOT;
	if (!cnt && max_segs && t->segs >= max_segs)
		goto unlock;
	if (bytes && max_bytes && t->reserved + bytes > max_bytes)
		goto unlock;
	ret = xa_err(xa_store(&s->tpins, key, xa_mk_value(cnt + 1), GFP_KERNEL_ACCOUNT));
	if (ret)
		goto unlock;
	if (fresh) {
		ret = xa_err(xa_store(&s->tenants, tenant, fresh, GFP_KERNEL_ACCOUNT));
		if (ret) {
			if (cnt)
				xa_store(&s->tpins, key, xa_mk_value(cnt), GFP_KERNEL);
			else
				xa_erase(&s->tpins, key);
			goto unlock;
		}
		fresh = NULL;
	}
	if (!cnt)
		t->segs++;
	t->reserved += bytes;
unlock:
	mutex_unlock(&s->tenant_mutex);
	kfree(fresh);
	return ret;
}

/*
 * One more pin where @tenant already holds one (a mapping copied by fork or
 * split): no limit applies and nothing is allocated, so it cannot fail.
 */
void scratch_tenant_pin_again(struct sc_space *s, u32 tenant, u32 seg)
{
	unsigned long key = sc_tpin_key(tenant, seg), cnt;

	mutex_lock(&s->tenant_mutex);
	cnt = xa_to_value(xa_load(&s->tpins, key) ?: xa_mk_value(0));
	/* The slot exists (cnt > 0): replacing a value allocates nothing. */
	if (!WARN_ON_ONCE(!cnt))
		WARN_ON_ONCE(xa_is_err(xa_store(&s->tpins, key, xa_mk_value(cnt + 1),
						GFP_NOWAIT)));
	mutex_unlock(&s->tenant_mutex);
}

/* Undo one scratch_tenant_pin() (or pin_again, with @bytes 0). */
void scratch_tenant_unpin(struct sc_space *s, u32 tenant, u32 seg, u64 bytes)
{
	unsigned long key = sc_tpin_key(tenant, seg), cnt;
	struct sc_tenant *t;

	mutex_lock(&s->tenant_mutex);
	t = xa_load(&s->tenants, tenant);
	cnt = xa_to_value(xa_load(&s->tpins, key) ?: xa_mk_value(0));
	if (WARN_ON_ONCE(!t || !cnt))
		goto unlock;
	if (cnt > 1) {
		xa_store(&s->tpins, key, xa_mk_value(cnt - 1), GFP_NOWAIT);
	} else {
		xa_erase(&s->tpins, key);
		t->segs--;
	}
	t->reserved -= min(bytes, t->reserved);
	if (!t->segs && !t->reserved) {
		xa_erase(&s->tenants, tenant);
		kfree(t);
	}
unlock:
	mutex_unlock(&s->tenant_mutex);
}
