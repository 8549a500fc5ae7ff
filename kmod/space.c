// SPDX-License-Identifier: GPL-2.0
/*
 * Spaces: attach (format a set of regions, or reload them: reload.c) and
 * detach, and the character device /dev/scratchN with its open, release,
 * ioctl and fsync.
 *
 * Lifetime: a space's memory belongs to its struct device; the cdev holds a
 * reference to it, so an open racing with detach finds valid memory and
 * s->dead.  Detach is refused while any fd or mapping exists.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "scratch_priv.h"

/* Protects spaces[], registration and detach. */
static DEFINE_MUTEX(sc_spaces_mutex);
static struct sc_space *spaces[SC_MAX_SPACES];

static void sc_space_release(struct device *dev)
{
	struct sc_space *s = dev_to_space(dev);

	scratch_segs_free(s);
	kfree(s->regions);
	kfree(s);
}

static void sc_regions_close(struct sc_space *s)
{
	u32 i;

	for (i = 0; i < s->nr_regions; i++)
		scratch_region_close(&s->regions[i]);
}

static int sc_format(struct sc_space *s, u32 seg_shift)
{
	struct sc_super_info si = { 0 };
	u64 first = 0;
	u32 i;
	int ret;

	ret = sc_geom_init(&s->geom, seg_shift);
	if (ret)
		return ret;
	for (i = 0; i < s->nr_regions; i++) {
		struct sc_region *r = &s->regions[i];

		r->nr_segs = sc_region_segs(&s->geom, r->len);
		if (!r->nr_segs)
			return -E2BIG;
		r->first_seg = first;
		first += r->nr_segs;
	}
	if (first > U32_MAX)
		return -E2BIG;
	s->nr_segs = first;
	generate_random_uuid(s->uuid);
	memcpy(si.uuid, s->uuid, sizeof(si.uuid));
	si.seg_shift = seg_shift;
	si.nr_regions = s->nr_regions;
	si.table_pages = s->geom.table_pages;
	si.space_segs = s->nr_segs;
	for (i = 0; i < s->nr_regions; i++) {
		struct sc_region *r = &s->regions[i];

		si.region_idx = i;
		si.region_len = r->len;
		si.nr_segs = r->nr_segs;
		si.first_seg = r->first_seg;
		ret = scratch_region_write_super(r, &si);
		if (ret)
			return ret;
	}
	return scratch_segs_init(s);
}

/*
 * Give the space its number and its /dev and /sys nodes.  Called with
 * sc_spaces_mutex held; on failure the caller drops the device (which frees
 * the space).
 */
static int sc_space_register(struct sc_space *s)
{
	int id, ret;

	lockdep_assert_held(&sc_spaces_mutex);
	for (id = 0; id < SC_MAX_SPACES && spaces[id]; id++)
		;
	if (id == SC_MAX_SPACES)
		return -ENOSPC;
	s->id = id;
	s->dev.devt = MKDEV(MAJOR(scratch_devt), id);
	ret = dev_set_name(&s->dev, "scratch%d", id);
	if (ret)
		return ret;
	cdev_init(&s->cdev, &scratch_space_fops);
	s->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&s->cdev, &s->dev);
	if (ret)
		return ret;
	spaces[id] = s;
	return 0;
}

/* Mappings hold it: its final fput() drops the module reference (see mmap.c). */
static const struct file_operations sc_anchor_fops = {
	.owner = THIS_MODULE,
};

/*
 * A new space, not yet attached: its memory belongs to its struct device
 * from here on, and put_device() frees it.
 */
static struct sc_space *sc_space_alloc(u32 nr)
{
	struct sc_space *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->regions = kcalloc(nr, sizeof(*s->regions), GFP_KERNEL);
	if (!s->regions) {
		kfree(s);
		return NULL;
	}
	s->nr_regions = nr;
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->fifo);
	INIT_LIST_HEAD(&s->limbo);
	mutex_init(&s->alloc_mutex);
	mutex_init(&s->sync_mutex);
	atomic64_set(&s->sync_started, 0);
	atomic64_set(&s->syncs_shared, 0);
	INIT_WORK(&s->refill_work, scratch_refill_work);
	INIT_WORK(&s->ahead_work, scratch_ahead_work);
	atomic64_set(&s->bytes_written, 0);
	atomic64_set(&s->bytes_read, 0);
	atomic64_set(&s->evictions, 0);
	atomic64_set(&s->verified, 0);
	atomic64_set(&s->bad, 0);
	scratch_tenants_init(s);
	device_initialize(&s->dev);
	s->dev.class = &scratch_class;
	s->dev.release = sc_space_release;
	return s;
}

int scratch_space_attach(struct scratch_region_spec *specs, char **paths,
			 u32 nr, u32 flags, u32 seg_shift, int *id)
{
	struct sc_space *s;
	u32 i;
	int ret;

	s = sc_space_alloc(nr);
	if (!s)
		return -ENOMEM;
	s->anchor = anon_inode_getfile("[scratch]", &sc_anchor_fops, NULL, O_RDONLY);
	if (IS_ERR(s->anchor)) {
		ret = PTR_ERR(s->anchor);
		s->anchor = NULL;
		goto err_put;
	}
	/* Opening and reloading may take long: the space is private until registered. */
	for (i = 0; i < nr; i++) {
		ret = scratch_region_open(&s->regions[i], paths[i], specs[i].offset,
					  specs[i].length);
		if (ret)
			goto err_regions;
	}
	ret = flags & SCRATCH_ATTACH_FORMAT ? sc_format(s, seg_shift) : scratch_space_reload(s);
	if (ret)
		goto err_work;
	/* No tenant may pin more than half the segments, or reserve half the bytes. */
	s->tenant_max_segs = max_t(u64, s->nr_segs / 2, 1);
	s->tenant_max_reserved = s->nr_segs * s->geom.payload_pages * SC_PAGE / 2;
	mutex_lock(&sc_spaces_mutex);
	ret = sc_space_register(s);
	if (ret) {
		mutex_unlock(&sc_spaces_mutex);
		goto err_work;
	}
	/* An attached space keeps the module loaded. */
	__module_get(THIS_MODULE);
	*id = s->id;
	mutex_unlock(&sc_spaces_mutex);
	pr_info("scratch%d: attached %u region(s), %llu segments of %u MiB\n", s->id, nr,
		s->nr_segs, 1U << (s->geom.seg_shift - 20));
	return 0;

err_work:
	spin_lock(&s->lock);
	s->dead = true;
	spin_unlock(&s->lock);
	cancel_work_sync(&s->refill_work);
err_regions:
	sc_regions_close(s);
	fput(s->anchor);
err_put:
	/* Reload may have given tenants their counters. */
	scratch_tenants_free(s);
	put_device(&s->dev);
	return ret;
}

int scratch_space_detach(int id)
{
	struct sc_space *s;
	int ret;
	u32 i;

	if (id < 0 || id >= SC_MAX_SPACES)
		return -ENODEV;
	mutex_lock(&sc_spaces_mutex);
	s = spaces[id];
	ret = -ENODEV;
	if (!s)
		goto out;
	spin_lock(&s->lock);
	ret = -EBUSY;
	if (s->nr_open || s->nr_maps) {
		spin_unlock(&s->lock);
		goto out;
	}
	s->dead = true;
	spin_unlock(&s->lock);
	scratch_ahead_stop(s);
	spin_lock(&s->lock);
	/*
	 * No fd, so no reservation: seal the open segments, so that the
	 * next attach reads only the table pages in use (SEALED headers,
	 * made durable by the sync).
	 */
	for (i = 0; i < s->nr_regions; i++)
		if (s->regions[i].open)
			scratch_seg_seal_locked(s, s->regions[i].open);
	spin_unlock(&s->lock);

	mutex_lock(&s->alloc_mutex);
	scratch_segs_retry_limbo(s);
	scratch_segs_write_sealed(s);
	mutex_unlock(&s->alloc_mutex);
	ret = scratch_sync_space(s, NULL, NULL);
	if (ret)
		pr_warn("scratch%d: sync at detach failed: %d\n", id, ret);
	cancel_work_sync(&s->refill_work);
	cdev_device_del(&s->cdev, &s->dev);
	spaces[id] = NULL;
	sc_regions_close(s);
	fput(s->anchor);
	scratch_tenants_free(s);
	pr_info("scratch%d: detached\n", id);
	put_device(&s->dev);
	module_put(THIS_MODULE);
	ret = 0;
out:
	mutex_unlock(&sc_spaces_mutex);
	return ret;
}

int scratch_space_list(u32 *ids, u32 cap, u32 *count)
{
	u32 n = 0;
	int i;

	mutex_lock(&sc_spaces_mutex);
	for (i = 0; i < SC_MAX_SPACES; i++) {
		if (!spaces[i])
			continue;
		if (n < cap)
			ids[n] = i;
		n++;
	}
	mutex_unlock(&sc_spaces_mutex);
	*count = n;
	return 0;
}

/* ---- /dev/scratchN ---- */

/* One more open of @s (an fd of its own, or an events fd): -ENXIO once detached. */
int scratch_space_get_open(struct sc_space *s)
{
	int ret = 0;

	spin_lock(&s->lock);
	if (s->dead)
		ret = -ENXIO;
	else
		s->nr_open++;
	spin_unlock(&s->lock);
	return ret;
}

void scratch_space_put_open(struct sc_space *s)
{
	spin_lock(&s->lock);
	s->nr_open--;
	spin_unlock(&s->lock);
}

static int sc_open(struct inode *inode, struct file *file)
{
	struct sc_space *s = container_of(inode->i_cdev, struct sc_space, cdev);
	struct sc_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	spin_lock_init(&f->lock);
	INIT_LIST_HEAD(&f->resv);
	f->space = s;
	if (scratch_space_get_open(s)) {
		kfree(f);
		return -ENXIO;
	}
	/* On a broker space an unprivileged opener waits for a broker's SET_TENANT. */
	f->need_tenant = READ_ONCE(s->broker_tenants) && !capable(CAP_SYS_ADMIN);
	/* SYNC reports write errors from here on, as fsync(2) does. */
	f->wb_since = errseq_sample(&s->wb_err);
	file->private_data = f;
	/*
	 * Cached reads complete inline under io_uring, uncached ones wait on
	 * the page without a worker thread; O_DIRECT is forwarded.
	 */
	file->f_mode |= FMODE_NOWAIT | FMODE_CAN_ODIRECT;
	scratch_file_async_reads(file);
	return 0;
}

static int sc_release(struct inode *inode, struct file *file)
{
	struct sc_file *f = file->private_data;
	struct sc_space *s = f->space;

	scratch_resv_release_all(f);
	scratch_space_put_open(s);
	kfree(f);
	return 0;
}

void scratch_space_get_info(struct sc_space *s, struct scratch_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->space_id = s->id;
	info->nr_regions = s->nr_regions;
	info->seg_shift = s->geom.seg_shift;
	info->capacity = s->nr_segs * s->geom.payload_pages * SC_PAGE;
	info->nr_segments = s->nr_segs;
	spin_lock(&s->lock);
	info->pinned_segments = s->nr_pinned;
	info->free_segments = s->nr_free;
	info->used_bytes = s->used_pages * SC_PAGE;
	info->atoms = s->nr_atoms;
	info->unverified = s->nr_unverified;
	info->atom_ram_bytes = s->nr_slots * sizeof(struct sc_atom) +
			       s->nr_meta * sizeof(struct sc_atom_meta);
	spin_unlock(&s->lock);
	info->evictions = atomic64_read(&s->evictions);
	info->bytes_written = atomic64_read(&s->bytes_written);
	info->bytes_read = atomic64_read(&s->bytes_read);
	info->reload_us = s->reload_us;
	info->verified = atomic64_read(&s->verified);
	info->bad = atomic64_read(&s->bad);
	info->write_errors = atomic64_read(&s->wb_errors);
}

/* Output-only structs follow the input rules too, so that they can grow. */
static const struct sc_zero sc_features_zero[] = {
	SC_ZERO(struct scratch_features, reserved),
};

int scratch_get_features(void __user *arg)
{
	struct scratch_features ft;
	int ret;

	ret = scratch_ioctl_in(&ft, sizeof(ft), arg, NULL, 0,
			       sc_features_zero, ARRAY_SIZE(sc_features_zero));
	if (ret)
		return ret;
	memset(&ft, 0, sizeof(ft));
	ft.size = sizeof(ft);
	ft.abi_version = SCRATCH_ABI_VERSION;
	ft.features = SCRATCH_F_ALL;
	ft.page_size = SC_PAGE;
	ft.max_parts = SCRATCH_MAX_PARTS;
	return copy_to_user(arg, &ft, sizeof(ft)) ? -EFAULT : 0;
}

int scratch_info_ioctl(struct sc_file *f, void __user *arg)
{
	struct sc_space *s = f->space;
	struct scratch_info info;
	int ret;

	ret = scratch_ioctl_in(&info, sizeof(info), arg, NULL, 0, NULL, 0);
	if (ret)
		return ret;
	scratch_space_get_info(s, &info);
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int sc_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct sc_file *f = file->private_data;

	return scratch_sync_space(f->space, &f->wb_since, &f->lock);
}

const struct file_operations scratch_space_fops = {
	.owner = THIS_MODULE,
	.open = sc_open,
	.release = sc_release,
	.read_iter = scratch_read_iter,
	.write_iter = scratch_write_iter,
	.mmap = scratch_mmap,
	.fsync = sc_fsync,
	.unlocked_ioctl = scratch_space_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = default_llseek,
	SCRATCH_FOP_ASYNC_READS
};
