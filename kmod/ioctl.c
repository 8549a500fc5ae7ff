// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of /dev/scratchN, in one table, and the copy-in every ioctl of
 * both nodes starts with: scratch_ioctl_in() applies the rules all ioctl
 * structs share, and each handler then checks its own fields' ranges.  The
 * table says which commands use the fd's tenant.  Those fix it (the fd can
 * no longer be rebound) and are refused on a broker space until a broker
 * gave the fd one.  The control node's ioctls are in control.c.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>
#include "scratch_priv.h"

/* A struct's size field may say at most this (E2BIG above): no unbounded copy-in. */
#define SC_STRUCT_MAX		PAGE_SIZE

/*
 * Copy in the ioctl struct at @arg into @k (@ksize bytes, the struct this
 * module knows), and check what every ioctl struct must satisfy before any
 * of its fields is used:
 *  - the size field: at least the struct's first published size (today's
 *    size: no struct has grown yet), else EINVAL; at most SC_STRUCT_MAX,
 *    else E2BIG; bytes past @ksize zero, else E2BIG (copy_struct_from_user);
 *    EFAULT when @arg cannot be read;
 *  - @flags, which points into @k at the struct's flags word (NULL: it has
 *    none): no bit outside @known, else EINVAL;
 *  - each of the @nr_zero fields @zero[] (reserved fields, and output fields
 *    a caller must pass in zero) zero, else EINVAL.
 */
int scratch_ioctl_in(void *k, size_t ksize, void __user *arg, const u32 *flags,
		     u32 known, const struct sc_zero *zero, unsigned int nr_zero)
{
	unsigned int i;
	u32 usize;
	int ret;

	if (get_user(usize, (u32 __user *)arg))
		return -EFAULT;
	if (usize < ksize)
		return -EINVAL;
	if (usize > SC_STRUCT_MAX)
		return -E2BIG;
	ret = copy_struct_from_user(k, ksize, arg, usize);
	if (ret)
		return ret;
	if (flags && *flags & ~known)
		return -EINVAL;
	for (i = 0; i < nr_zero; i++)
		if (memchr_inv(k + zero[i].off, 0, zero[i].len))
			return -EINVAL;
	return 0;
}

static int sc_features_ioctl(struct sc_file *f, void __user *arg)
{
	return scratch_get_features(arg);
}

static int sc_sync_ioctl(struct sc_file *f, void __user *arg)
{
	return scratch_sync_space(f->space, &f->wb_since, &f->lock);
}

struct sc_ioctl {
	unsigned int cmd;
	int (*fn)(struct sc_file *f, void __user *arg);
	bool tenant;		/* uses the fd's tenant */
};

static const struct sc_ioctl sc_ioctls[] = {
	{ SCRATCH_IOC_GET_FEATURES,	sc_features_ioctl,		false },
	{ SCRATCH_IOC_SYNC,		sc_sync_ioctl,			false },
	{ SCRATCH_IOC_INFO,		scratch_info_ioctl,		false },
	{ SCRATCH_IOC_SET_TENANT,	scratch_set_tenant_ioctl,	false },
	{ SCRATCH_IOC_RESERVE,		scratch_reserve_ioctl,		true },
	{ SCRATCH_IOC_COMMIT,		scratch_commit_ioctl,		true },
	{ SCRATCH_IOC_ABORT,		scratch_abort_ioctl,		true },
	{ SCRATCH_IOC_STAT,		scratch_stat_ioctl,		true },
	{ SCRATCH_IOC_PRESENT,		scratch_present_ioctl,		true },
	{ SCRATCH_IOC_VERIFY,		scratch_verify_ioctl,		true },
	{ SCRATCH_IOC_SCRUB,		scratch_scrub_ioctl,		true },
	{ SCRATCH_IOC_HORIZON,		scratch_horizon_ioctl,		true },
	{ SCRATCH_IOC_EVENTS_FD,	scratch_events_fd_ioctl,	false },
};

long scratch_space_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct sc_file *f = file->private_data;
	const struct sc_ioctl *io;
	int ret;

	for (io = sc_ioctls; io < sc_ioctls + ARRAY_SIZE(sc_ioctls); io++) {
		if (io->cmd != cmd)
			continue;
		if (io->tenant) {
			ret = scratch_file_use(f);
			if (ret)
				return ret;
		}
		return io->fn(f, (void __user *)uarg);
	}
	return -ENOTTY;
}
