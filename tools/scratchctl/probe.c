// SPDX-License-Identifier: GPL-2.0
/*
 * Refuse to clobber: before `attach --format`, libblkid looks at each region for
 * what formatting would destroy (a file system, RAID or LVM member, swap, a
 * partition table).  A scratch region carries no signature libblkid knows, so a
 * space is formatted over an old one without --force.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <blkid/blkid.h>

#include "scratchctl.h"

/*
 * What the @length bytes at @offset of @path hold: 1 with a description in
 * @what, 0 if nothing known, -EIO if libblkid could not tell.  A device that
 * will not open, or a range past its end, is 0: the attach that follows fails
 * on it with the module's precise errno, and formats nothing.
 */
int probe_signature(const char *path, ull offset, ull length, char *what, size_t n)
{
	const char *type = NULL, *usage = NULL;
	blkid_probe pr;
	int fd, rc, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	pr = blkid_new_probe();
	if (!pr) {
		ret = -ENOMEM;
		goto out;
	}
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)offset, (blkid_loff_t)length))
		goto out;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	rc = blkid_do_safeprobe(pr);
	if (rc == -2) {
		snprintf(what, n, "several signatures");
		ret = 1;
	} else if (rc < 0) {
		ret = -EIO;
	} else if (rc == 0) {
		if (!blkid_probe_lookup_value(pr, "TYPE", &type, NULL)) {
			blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
			snprintf(what, n, "a %s signature (%s)", type, usage ? usage : "unknown use");
			ret = 1;
		} else if (!blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL)) {
			snprintf(what, n, "a %s partition table", type);
			ret = 1;
		}
	}
out:
	if (pr)
		blkid_free_probe(pr);
	close(fd);
	return ret;
}
