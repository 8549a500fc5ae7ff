// SPDX-License-Identifier: GPL-2.0
/* scratch.ko: module init and exit, and nothing else. */
#include <linux/fs.h>
#include <linux/module.h>
#include "scratch_priv.h"

dev_t scratch_devt;

struct class scratch_class = {
	.name = "scratch",
	.dev_groups = scratch_space_groups,
};

static int __init scratch_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct sc_atom) != 16);
	BUILD_BUG_ON(sizeof(struct sc_atom_meta) != 16);
	BUILD_BUG_ON(SCRATCH_MAX_PARTS - 1 > U16_MAX);
	BUILD_BUG_ON(sizeof(struct scratch_disk_atom) != 64);
	BUILD_BUG_ON(sizeof(struct scratch_disk_part) != 32);
	BUILD_BUG_ON(SCRATCH_ATOM_USER_ALL > U8_MAX);

	ret = alloc_chrdev_region(&scratch_devt, 0, SC_MAX_SPACES, "scratch");
	if (ret)
		return ret;
	ret = class_register(&scratch_class);
	if (ret)
		goto err_chrdev;
	ret = scratch_control_init();
	if (ret)
		goto err_class;
	return 0;

err_class:
	class_unregister(&scratch_class);
err_chrdev:
	unregister_chrdev_region(scratch_devt, SC_MAX_SPACES);
	return ret;
}

static void __exit scratch_exit(void)
{
	/* Attached spaces and live mappings hold module references. */
	scratch_control_exit();
	class_unregister(&scratch_class);
	unregister_chrdev_region(scratch_devt, SC_MAX_SPACES);
}

module_init(scratch_init);
module_exit(scratch_exit);
MODULE_DESCRIPTION("scratch: raw NVMe regions as an evicting store of immutable atoms");
MODULE_LICENSE("GPL");
MODULE_VERSION(SCRATCH_VERSION);
