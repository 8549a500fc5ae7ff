// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/scratch-control: attach, detach and list spaces.  Validates every
 * field of every request before anything touches a device.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "scratch_priv.h"

#define SC_PATH_MAX	4096

static int sc_check_spec(const struct scratch_region_spec *sp)
{
	if (!sp->path_len || sp->path_len >= SC_PATH_MAX)
		return -EINVAL;
	if (sp->reserved0 || !sc_is_zero(sp->reserved, sizeof(sp->reserved)))
		return -EINVAL;
	if (sp->offset & (SCRATCH_DISK_DATA_OFF - 1) || sp->length & (SCRATCH_DISK_DATA_OFF - 1))
		return -EINVAL;
	if (sp->offset + sp->length < sp->offset)
		return -EINVAL;
	return 0;
}

static void sc_free_paths(char **paths, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		kfree(paths[i]);
	kfree(paths);
}

/* space_id is an output: zero coming in. */
static const struct sc_zero sc_attach_zero[] = {
	SC_ZERO(struct scratch_attach, space_id),
	SC_ZERO(struct scratch_attach, reserved0),
	SC_ZERO(struct scratch_attach, reserved),
};

static int sc_ctl_attach(void __user *arg)
{
	struct scratch_region_spec *specs;
	struct scratch_attach req;
	char **paths;
	u32 i;
	int ret, id;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, SCRATCH_ATTACH_ALL,
			       sc_attach_zero, ARRAY_SIZE(sc_attach_zero));
	if (ret)
		return ret;
	if (!req.nr_regions || req.nr_regions > SCRATCH_MAX_REGIONS)
		return -EINVAL;
	if (req.flags & SCRATCH_ATTACH_FORMAT ?
	    req.seg_shift < SCRATCH_SEG_SHIFT_MIN || req.seg_shift > SCRATCH_SEG_SHIFT_MAX :
	    req.seg_shift != 0)
		return -EINVAL;

	specs = memdup_user(u64_to_user_ptr(req.regions_addr),
			    req.nr_regions * sizeof(*specs));
	if (IS_ERR(specs))
		return PTR_ERR(specs);
	paths = kcalloc(req.nr_regions, sizeof(*paths), GFP_KERNEL);
	ret = -ENOMEM;
	if (!paths)
		goto out_specs;
	for (i = 0; i < req.nr_regions; i++) {
		ret = sc_check_spec(&specs[i]);
		if (ret)
			goto out_paths;
		paths[i] = memdup_user_nul(u64_to_user_ptr(specs[i].path_addr),
					   specs[i].path_len);
		if (IS_ERR(paths[i])) {
			ret = PTR_ERR(paths[i]);
			paths[i] = NULL;
			goto out_paths;
		}
		ret = -EINVAL;
		if (strlen(paths[i]) != specs[i].path_len)
			goto out_paths;
	}
	ret = scratch_space_attach(specs, paths, req.nr_regions, req.flags,
				   req.seg_shift, &id);
	if (ret)
		goto out_paths;
	req.space_id = id;
	if (copy_to_user(arg, &req, sizeof(req))) {
		/* The space is attached; the caller can still find it by LIST. */
		ret = -EFAULT;
	}
out_paths:
	sc_free_paths(paths, req.nr_regions);
out_specs:
	kfree(specs);
	return ret;
}

static const struct sc_zero sc_detach_zero[] = {
	SC_ZERO(struct scratch_detach, reserved0),
	SC_ZERO(struct scratch_detach, reserved),
};

static int sc_ctl_detach(void __user *arg)
{
	struct scratch_detach req;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, 0,
			       sc_detach_zero, ARRAY_SIZE(sc_detach_zero));
	if (ret)
		return ret;
	if (req.space_id >= SC_MAX_SPACES)
		return -ENODEV;
	return scratch_space_detach(req.space_id);
}

/* count is an output: zero coming in. */
static const struct sc_zero sc_list_zero[] = {
	SC_ZERO(struct scratch_list, count),
	SC_ZERO(struct scratch_list, reserved),
};

static int sc_ctl_list(void __user *arg)
{
	struct scratch_list req;
	u32 ids[SC_MAX_SPACES], n;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, 0,
			       sc_list_zero, ARRAY_SIZE(sc_list_zero));
	if (ret)
		return ret;
	scratch_space_list(ids, SC_MAX_SPACES, &n);
	if (copy_to_user(u64_to_user_ptr(req.ids_addr), ids,
			 min(n, req.capacity) * sizeof(u32)))
		return -EFAULT;
	req.count = n;
	return copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long sc_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	void __user *arg = (void __user *)uarg;

	switch (cmd) {
	case SCRATCH_IOC_GET_FEATURES:
		return scratch_get_features(arg);
	case SCRATCH_IOC_ATTACH:
		return sc_ctl_attach(arg);
	case SCRATCH_IOC_DETACH:
		return sc_ctl_detach(arg);
	case SCRATCH_IOC_LIST:
		return sc_ctl_list(arg);
	}
	return -ENOTTY;
}

static const struct file_operations sc_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = sc_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice sc_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = SCRATCH_CONTROL_NAME,
	.fops = &sc_ctl_fops,
	.mode = 0600,
};

int scratch_control_init(void)
{
	return misc_register(&sc_ctl_dev);
}

void scratch_control_exit(void)
{
	misc_deregister(&sc_ctl_dev);
}
