// SPDX-License-Identifier: GPL-2.0
/*
 * Space commands: attach, detach (the control device), status, ls (sysfs or
 * the control device, through libscratch) and features (the module's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "scratchctl.h"
#include "scratch_format.h"

/* ---- attach / detach --------------------------------------------------------------- */

struct region_arg {
	const char *arg;	/* as the user typed it, for messages */
	char *path;
	ull offset, length;
};

/* Does the device named by @s up to @end exist?  (@end points into @s.) */
static bool prefix_exists(char *s, char *end)
{
	struct stat st;
	char saved = *end;
	bool ok;

	*end = '\0';
	ok = stat(s, &st) == 0;
	*end = saved;
	return ok;
}

/* parse_size() of the text between @start and @end. */
static bool parse_size_upto(char *start, char *end, ull *out)
{
	char saved = *end;
	bool ok;

	*end = '\0';
	ok = parse_size(start, out);
	*end = saved;
	return ok;
}

/*
 * DEV[:OFFSET[:LENGTH]].  Device names can hold colons (/dev/disk/by-path/
 * pci-0000:00:04.0-nvme-1), so a split is only taken when its numbers parse,
 * and a split whose device exists wins over one whose device does not.
 */
static bool parse_region(const char *arg, struct region_arg *r)
{
	char *dev = strdup(arg), *c1 = NULL, *c2;
	bool can1, can2;
	ull off = 0, len = 0;
	struct stat st;
	int split;		/* 0: whole arg; 1: DEV:OFF; 2: DEV:OFF:LEN */

	if (!dev)
		return false;
	c2 = strrchr(dev, ':');
	if (c2) {
		*c2 = '\0';
		c1 = strrchr(dev, ':');
		*c2 = ':';
	}
	can1 = c2 && parse_size(c2 + 1, &off);
	can2 = can1 && c1 && parse_size_upto(c1 + 1, c2, &off) && parse_size(c2 + 1, &len);

	if (stat(dev, &st) == 0)
		split = 0;
	else if (can2 && prefix_exists(dev, c1))
		split = 2;
	else if (can1 && prefix_exists(dev, c2))
		split = 1;
	else
		split = can2 ? 2 : can1 ? 1 : 0;

	r->arg = arg;
	r->offset = r->length = 0;
	if (split == 2) {
		*c2 = '\0';
		*c1 = '\0';
		parse_size(c1 + 1, &r->offset);
		parse_size(c2 + 1, &r->length);
	} else if (split == 1) {
		*c2 = '\0';
		parse_size(c2 + 1, &r->offset);
	}
	if (!*dev) {
		free(dev);
		return false;
	}
	r->path = dev;
	return true;
}

/* A block device's size in bytes, 0 if it cannot be asked; its read-only bit. */
static ull blk_size(const char *path, int *ro)
{
	__u64 size = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (ro)
		*ro = 0;
	if (fd < 0)
		return 0;
	if (ioctl(fd, BLKGETSIZE64, &size) < 0)
		size = 0;
	if (ro && ioctl(fd, BLKROGET, ro) < 0)
		*ro = 0;
	close(fd);
	return size;
}

/* Bytes a region will use, or 0 if the device cannot be asked. */
static ull region_bytes(const struct region_arg *r)
{
	ull size = blk_size(r->path, NULL);

	if (r->length)
		return r->length;
	return size > r->offset ? size - r->offset : 0;
}

/* About 64 segments in the smallest region, clamped to 1 MiB .. 1 GiB. */
static unsigned int default_seg_shift(const struct region_arg *r, unsigned int n)
{
	ull min = 0;
	unsigned int i, shift;

	for (i = 0; i < n; i++) {
		ull b = region_bytes(&r[i]);

		if (b && (!min || b < min))
			min = b;
	}
	if (!min)
		return 28;	/* 256 MiB: the kernel will say what is wrong */
	for (shift = SCRATCH_SEG_SHIFT_MIN; shift < 30; shift++)
		if ((1ULL << (shift + 1)) * 64 > min)
			break;
	return shift;
}

/*
 * The module reports one errno for the whole attach; find the region it is
 * about, so the message can name it.  -1 when it cannot be told.
 */
static int attach_culprit(const struct region_arg *r, unsigned int n, int err,
			  unsigned int seg_shift, bool *twice)
{
	struct stat st[SCRATCH_MAX_REGIONS];
	bool ok[SCRATCH_MAX_REGIONS];
	unsigned int i, j;
	int fd, ro;

	*twice = false;
	for (i = 0; i < n; i++)
		ok[i] = stat(r[i].path, &st[i]) == 0;

	for (i = 0; i < n; i++) {
		switch (err) {
		case ENOENT:
			if (!ok[i])
				return (int)i;
			break;
		case ENOTBLK:
			if (ok[i] && !S_ISBLK(st[i].st_mode))
				return (int)i;
			break;
		case EROFS:
			blk_size(r[i].path, &ro);
			if (ro)
				return (int)i;
			break;
		case EBUSY:
			for (j = 0; j < i; j++) {
				if (ok[i] && ok[j] && S_ISBLK(st[i].st_mode) &&
				    st[i].st_rdev == st[j].st_rdev) {
					*twice = true;
					return (int)i;
				}
			}
			/* O_EXCL on a block device fails while it is mounted or claimed. */
			fd = open(r[i].path, O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0 && errno == EBUSY)
				return (int)i;
			if (fd >= 0)
				close(fd);
			break;
		case E2BIG:
			if (seg_shift) {
				ull b = region_bytes(&r[i]);

				if (b && b < SCRATCH_DISK_DATA_OFF + (2ULL << seg_shift))
					return (int)i;
			}
			break;
		}
	}
	return -1;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option own[] = {
		OPT_FLAG("format", 'f'), OPT_ARG("seg-size", 's'), OPT_FLAG("force", 'F'), OPT_END,
	};
	struct opts o = { .cmd = "attach", .own = own, .own_short = "fs:F" };
	struct scratch_region spec[SCRATCH_MAX_REGIONS];
	struct region_arg ra[SCRATCH_MAX_REGIONS];
	unsigned int n, i, seg_shift = 0;
	uint32_t id = 0;
	bool format = false, force = false, twice;
	ull seg_size = 0;
	char names[1024];
	size_t pos = 0;
	struct scratch_ctl *ctl;
	int c, ret, who;

	while ((c = opts_next(&o, argc, argv)) > 0) {
		if (c == 'f')
			format = true;
		else if (c == 'F')
			force = true;
		else if (!parse_size(optarg, &seg_size))
			return usage_error("attach: bad segment size '%s'", optarg);
	}
	if (c < 0)
		return o.status;
	if (optind >= argc)
		return usage_error("attach: no device given");
	if (argc - optind > SCRATCH_MAX_REGIONS)
		return usage_error("attach: at most %d regions", SCRATCH_MAX_REGIONS);
	if (seg_size) {
		if (seg_size & (seg_size - 1) ||
		    seg_size < (1ULL << SCRATCH_SEG_SHIFT_MIN) ||
		    seg_size > (1ULL << SCRATCH_SEG_SHIFT_MAX))
			return usage_error("attach: segment size must be a power of two from 1M to 16G");
		seg_shift = (unsigned int)__builtin_ctzll(seg_size);
	}
	if (seg_size && !format)
		return usage_error("attach: --seg-size only applies with --format (a reload keeps the formatted size)");
	if (force && !format)
		return usage_error("attach: --force only applies with --format");

	n = (unsigned int)(argc - optind);
	for (i = 0; i < n; i++) {
		if (!parse_region(argv[optind + i], &ra[i]))
			return usage_error("attach: bad region '%s'", argv[optind + i]);
		if (ra[i].offset % SCRATCH_DISK_DATA_OFF)
			return usage_error("attach: offset of '%s' is not 1 MiB aligned", ra[i].arg);
		spec[i] = (struct scratch_region){
			.path = ra[i].path, .offset = ra[i].offset, .length = ra[i].length,
		};
		pos += (size_t)snprintf(names + pos, pos < sizeof(names) ? sizeof(names) - pos : 0,
					"%s%s", i ? " " : "", ra[i].arg);
		if (pos >= sizeof(names))
			pos = sizeof(names) - 1;
	}
	if (format && !seg_shift)
		seg_shift = default_seg_shift(ra, n);
	for (i = 0; format && !force && i < n; i++) {
		char what[160];

		ret = probe_signature(ra[i].path, ra[i].offset, ra[i].length, what, sizeof(what));
		if (ret > 0) {
			complain("attach %s: holds %s; --format would destroy it (--force to format anyway)",
				 ra[i].arg, what);
			return EXIT_ERR;
		}
		if (ret < 0) {
			report(CTX_ATTACH, ret, "attach %s: cannot look for signatures", ra[i].arg);
			return EXIT_ERR;
		}
	}

	ctl = ctl_open();
	if (!ctl)
		return EXIT_ERR;
	ret = scratch_ctl_attach(ctl, spec, n, format ? SCRATCH_ATTACH_FORMAT : 0, seg_shift, &id);
	scratch_ctl_close(ctl);
	if (ret < 0) {
		who = attach_culprit(ra, n, -ret, seg_shift, &twice);
		if (twice)
			complain("attach %s: device is given twice (EBUSY)", ra[who].arg);
		else
			report(CTX_ATTACH, ret, "attach %s", who >= 0 ? ra[who].arg : names);
		return EXIT_ERR;
	}
	printf("scratch%u\n", id);
	for (i = 0; i < n; i++)
		free(ra[i].path);
	return EXIT_OK;
}

/* detach --all: every attached space, each synced; a busy one is reported and left. */
static int detach_all(struct scratch_ctl *ctl)
{
	uint32_t ids[256];	/* the module's most */
	int n, i, ret, status = EXIT_OK;

	n = scratch_space_list(ids, 256);
	if (n < 0) {
		report(CTX_CONTROL, n, "detach --all: listing spaces");
		return EXIT_ERR;
	}
	for (i = 0; i < n && i < 256; i++) {
		ret = scratch_ctl_detach(ctl, ids[i]);
		if (ret < 0 && ret != -ENOENT && ret != -ENODEV) {
			report(CTX_DETACH, ret, "detach scratch%u", ids[i]);
			status = EXIT_ERR;
		}
	}
	return status;
}

int cmd_detach(int argc, char **argv)
{
	static const struct option own[] = { OPT_FLAG("all", 'a'), OPT_END };
	struct opts o = { .cmd = "detach", .own = own, .own_short = "a" };
	struct scratch_ctl *ctl;
	bool all = false;
	uint32_t id = 0;
	int c, ret;

	while ((c = opts_next(&o, argc, argv)) > 0)
		all = true;
	if (c < 0)
		return o.status;
	if (argc - optind != !all)
		return usage_error("detach: give one space, or --all");
	if (!all && !parse_space(argv[optind], &id))
		return usage_error("detach: '%s' is not a space (N, scratchN or /dev/scratchN)",
				   argv[optind]);

	ctl = ctl_open();
	if (!ctl)
		return EXIT_ERR;
	if (all) {
		ret = detach_all(ctl);
		scratch_ctl_close(ctl);
		return ret;
	}
	ret = scratch_ctl_detach(ctl, id);
	scratch_ctl_close(ctl);
	if (ret < 0) {
		report(CTX_DETACH, ret, "detach scratch%u", id);
		return EXIT_ERR;
	}
	return EXIT_OK;
}

/* ---- features ------------------------------------------------------------------------ */

static const char *const feature_names[] = {
	"write", "read", "direct", "mmap", "tenant", "array", "present",
	"multi-region", "reload", "verify", "horizon", "evictions",
};

int cmd_features(int argc, char **argv)
{
	struct opts o = { .cmd = "features", .common = OPT_JSON };
	struct scratch_module_features f;
	struct scratch_ctl *ctl;
	bool first = true;
	unsigned int b;
	int ret;

	if (opts_stop(&o, argc, argv))
		return o.status;
	if (optind < argc)
		return usage_error("features: no arguments expected");

	ctl = ctl_open();
	if (!ctl)
		return EXIT_ERR;
	ret = scratch_ctl_features(ctl, &f, sizeof(f));
	scratch_ctl_close(ctl);
	if (ret < 0) {
		report(CTX_ANY, ret, "features");
		return EXIT_ERR;
	}

	if (o.json)
		printf("{\"abi_version\": %u, \"page_size\": %u, \"max_parts\": %u, "
		       "\"mask\": %llu, \"features\": [",
		       f.abi_version, f.page_size, f.max_parts, (ull)f.features);
	for (b = 0; b < 64; b++) {
		char unknown[16];
		const char *name;

		if (!(f.features & (1ULL << b)))
			continue;
		if (b < sizeof(feature_names) / sizeof(feature_names[0])) {
			name = feature_names[b];
		} else {
			snprintf(unknown, sizeof(unknown), "bit%u", b);
			name = unknown;
		}
		if (o.json)
			printf("%s\"%s\"", first ? "" : ", ", name);
		else
			puts(name);
		first = false;
	}
	if (o.json)
		puts("]}");
	return EXIT_OK;
}
