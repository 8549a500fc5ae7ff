// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/class/scratch/scratchN/: one number per file, from the space's counters;
 * its uuid, and its members one per line.
 */
#include <linux/blk_types.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/sysfs.h>
#include "scratch_priv.h"

#define SC_INFO_ATTR(name, expr)						\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	struct scratch_info info;						\
										\
	scratch_space_get_info(dev_to_space(dev), &info);				\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(expr));		\
}										\
static DEVICE_ATTR_RO(name)

SC_INFO_ATTR(capacity, info.capacity);
SC_INFO_ATTR(used, info.used_bytes);
SC_INFO_ATTR(free_segments, info.free_segments);
SC_INFO_ATTR(nr_segments, info.nr_segments);
SC_INFO_ATTR(pinned_segments, info.pinned_segments);
SC_INFO_ATTR(atoms, info.atoms);
SC_INFO_ATTR(evictions, info.evictions);
SC_INFO_ATTR(bytes_written, info.bytes_written);
SC_INFO_ATTR(bytes_read, info.bytes_read);
SC_INFO_ATTR(seg_size, 1ULL << info.seg_shift);
SC_INFO_ATTR(regions, info.nr_regions);
SC_INFO_ATTR(reload_us, info.reload_us);
SC_INFO_ATTR(atom_ram, info.atom_ram_bytes);
SC_INFO_ATTR(unverified, info.unverified);
SC_INFO_ATTR(verified, info.verified);
SC_INFO_ATTR(bad, info.bad);
SC_INFO_ATTR(write_errors, info.write_errors);

/*
 * syncs, syncs_shared: SYNC calls that ran their own flushes, and those that
 * found a sync begun after them already done (group commit, sync.c).
 */
static ssize_t syncs_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&dev_to_space(dev)->sync_started));
}
static DEVICE_ATTR_RO(syncs);

static ssize_t syncs_shared_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&dev_to_space(dev)->syncs_shared));
}
static DEVICE_ATTR_RO(syncs_shared);

/* uuid: the space's, as every region's superblock carries it (scratchctl assemble). */
static ssize_t uuid_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%pUb\n", dev_to_space(dev)->uuid);
}
static DEVICE_ATTR_RO(uuid);

/*
 * members: one line per region, in the space's order:
 * "INDEX DEVICE MAJ:MIN OFFSET LENGTH READ_ERRORS WRITE_ERRORS", DEVICE the
 * kernel's name of the block device, the errors those the region returned
 * since attach.
 */
static ssize_t members_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct sc_space *s = dev_to_space(dev);
	int len = 0;
	u32 i;

	for (i = 0; i < s->nr_regions; i++) {
		struct sc_region *r = &s->regions[i];

		len += sysfs_emit_at(buf, len, "%u %pg %u:%u %llu %llu %lld %lld\n", i, r->bdev,
				     MAJOR(r->bdev->bd_dev), MINOR(r->bdev->bd_dev), r->dev_off,
				     r->len, (long long)atomic64_read(&r->read_errors),
				     (long long)atomic64_read(&r->write_errors));
	}
	return len;
}
static DEVICE_ATTR_RO(members);

/*
 * label: the host's name for the space, empty until root writes one (scratchctl
 * assemble --config writes the NAME of its line): 1 to 31 of [A-Za-z0-9._-].
 * A change is announced (KOBJ_CHANGE), so that udev links /dev/scratch/NAME.
 */
static ssize_t label_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct sc_space *s = dev_to_space(dev);
	char label[SC_LABEL_MAX];

	spin_lock(&s->lock);
	memcpy(label, s->label, sizeof(label));
	spin_unlock(&s->lock);
	return sysfs_emit(buf, "%s\n", label);
}

static ssize_t label_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct sc_space *s = dev_to_space(dev);
	char label[SC_LABEL_MAX] = "";
	size_t n = count, i;

	if (n && buf[n - 1] == '\n')
		n--;
	if (n >= SC_LABEL_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isalnum(buf[i]) && buf[i] != '.' && buf[i] != '_' && buf[i] != '-')
			return -EINVAL;
	memcpy(label, buf, n);
	spin_lock(&s->lock);
	memcpy(s->label, label, sizeof(label));
	spin_unlock(&s->lock);
	kobject_uevent(&dev->kobj, KOBJ_CHANGE);
	return count;
}
static DEVICE_ATTR_RW(label);

/*
 * broker_tenants: 0 (default) lets whoever can open /dev/scratchN pick its
 * tenant; 1 leaves that to a broker with CAP_SYS_ADMIN, which binds an fd and
 * hands it over (SCM_RIGHTS).  Only root writes it (mode 0644).
 */
static ssize_t broker_tenants_show(struct device *dev, struct device_attribute *attr,
				   char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dev_to_space(dev)->broker_tenants));
}

static ssize_t broker_tenants_store(struct device *dev, struct device_attribute *attr,
				    const char *buf, size_t count)
{
	bool on;
	int ret = kstrtobool(buf, &on);

	if (ret)
		return ret;
	WRITE_ONCE(dev_to_space(dev)->broker_tenants, on);
	return count;
}
static DEVICE_ATTR_RW(broker_tenants);

/* Per-tenant limits (tenant.c); 0: none.  Only root writes them. */
#define SC_LIMIT_ATTR(name, field)					\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	return sysfs_emit(buf, "%llu\n",					\
			  (unsigned long long)READ_ONCE(dev_to_space(dev)->field)); \
}										\
static ssize_t name##_store(struct device *dev, struct device_attribute *attr, \
			    const char *buf, size_t count)			\
{										\
	u64 v;									\
	int ret = kstrtou64(buf, 0, &v);					\
										\
	if (ret)								\
		return ret;							\
	if (v != (typeof(dev_to_space(dev)->field))v)				\
		return -ERANGE;							\
	WRITE_ONCE(dev_to_space(dev)->field, v);				\
	return count;								\
}										\
static DEVICE_ATTR_RW(name)

SC_LIMIT_ATTR(tenant_max_segments, tenant_max_segs);
SC_LIMIT_ATTR(tenant_max_reserved, tenant_max_reserved);

static struct attribute *sc_space_attrs[] = {
	&dev_attr_capacity.attr,
	&dev_attr_used.attr,
	&dev_attr_free_segments.attr,
	&dev_attr_nr_segments.attr,
	&dev_attr_pinned_segments.attr,
	&dev_attr_atoms.attr,
	&dev_attr_evictions.attr,
	&dev_attr_bytes_written.attr,
	&dev_attr_bytes_read.attr,
	&dev_attr_syncs.attr,
	&dev_attr_syncs_shared.attr,
	&dev_attr_seg_size.attr,
	&dev_attr_regions.attr,
	&dev_attr_reload_us.attr,
	&dev_attr_atom_ram.attr,
	&dev_attr_unverified.attr,
	&dev_attr_verified.attr,
	&dev_attr_bad.attr,
	&dev_attr_write_errors.attr,
	&dev_attr_uuid.attr,
	&dev_attr_members.attr,
	&dev_attr_label.attr,
	&dev_attr_broker_tenants.attr,
	&dev_attr_tenant_max_segments.attr,
	&dev_attr_tenant_max_reserved.attr,
	NULL,
};

/*
 * tenants: per-tenant accounting (tenant.c), one line per tenant, "TENANT
 * ATOMS STORED_BYTES BYTES_WRITTEN BYTES_READ PINNED_SEGMENTS RESERVED_BYTES";
 * "other" for the tenants past the ones tracked one by one.  A binary
 * attribute, for its length: a space has up to 4096 tenants' lines.  Each
 * read builds the text afresh and copies the part asked for.
 */
static ssize_t tenants_read(struct file *file, struct kobject *kobj,
			    struct bin_attribute *attr, char *out, loff_t off, size_t count)
{
	struct sc_space *s = dev_to_space(kobj_to_dev(kobj));
	ssize_t len;
	char *buf;

	len = scratch_tenants_text(s, &buf);
	if (len < 0)
		return len;
	if (off >= len) {
		len = 0;
	} else {
		len = min_t(size_t, count, len - off);
		memcpy(out, buf + off, len);
	}
	kvfree(buf);
	return len;
}
static BIN_ATTR_RO(tenants, 0);

static struct bin_attribute *sc_space_bin_attrs[] = {
	&bin_attr_tenants,
	NULL,
};

static const struct attribute_group sc_space_group = {
	.attrs = sc_space_attrs,
	.bin_attrs = sc_space_bin_attrs,
};

const struct attribute_group *scratch_space_groups[] = {
	&sc_space_group,
	NULL,
};
