// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of /dev/scratchN, in one table.  Each handler copies its
 * struct in with scratch_struct_in() and checks every field itself; the
 * table says which commands use the fd's tenant.  Those fix it (the fd can
 * no longer be rebound) and are refused on a broker space until a broker
 * gave the fd one.  The control node's ioctls are in control.c.
 */
#include <linux/fs.h>
#include "scratch_priv.h"

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
