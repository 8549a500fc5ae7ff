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
 */
#include <linux/slab.h>
#include <linux/xarray.h>
#include "scratch_priv.h"

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
}

/* At detach, with no fd and no mapping left: everything was unpinned. */
void scratch_tenants_free(struct sc_space *s)
{
	struct sc_tenant *t;
	unsigned long i;

	xa_for_each(&s->tenants, i, t) {
		WARN_ONCE(1, "scratch%d: tenant %lu still pins %u segment(s)\n", s->id, i, t->segs);
		kfree(t);
	}
	xa_destroy(&s->tenants);
	xa_destroy(&s->tpins);
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
