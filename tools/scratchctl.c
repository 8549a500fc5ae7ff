// SPDX-License-Identifier: GPL-2.0
/* scratchctl: attach, detach and inspect scratch spaces, and put or get atoms by hand. */

#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include <xxhash.h>

#include <scratch.h>
#include "core.h"

#define PROG		"scratchctl"
#define CONTROL_PATH	"/dev/" SCRATCH_CONTROL_NAME
#define SYSFS_CLASS	"/sys/class/scratch"

/* Exit codes: the contract scripts (and tests/vm/guest/demo.sh) rely on. */
#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_USAGE	2
/* scrub and fsck, like fsck(8)'s spirit: findings are not failures of the tool. */
#define EXIT_FOUND	1	/* damage found (and, for scrub, dropped) */
#define EXIT_TROUBLE	2	/* usage, I/O or system error: no verdict */

/* I/O unit for put and get: page aligned, so every pwrite but the last ends on a page. */
#define CHUNK		(1UL << 20)
#define MiB		(1ULL << 20)

typedef unsigned long long ull;

/* ====================================================================== */
/* ioctl plumbing: one small function per ioctl, 0 or -errno.  A later     */
/* issue moves these into libscratch; nothing here prints.                 */
/* ====================================================================== */

static int sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static int sys_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int sc_control_open(void)
{
	return sys_open(CONTROL_PATH, O_RDWR);
}

/* Spaces are opened read-write (the contract's mode); read-only is a fallback for INFO/STAT. */
static int sc_space_open(const char *path, bool need_write)
{
	int fd = sys_open(path, O_RDWR);

	if (fd == -EACCES && !need_write)
		fd = sys_open(path, O_RDONLY);
	return fd;
}

static int sc_attach(int ctl, const struct scratch_region_spec *regions,
		     unsigned int nr, unsigned int flags, unsigned int seg_shift,
		     unsigned int *space_id)
{
	struct scratch_attach a = {
		.size = sizeof(a),
		.flags = flags,
		.nr_regions = nr,
		.seg_shift = seg_shift,
		.regions_addr = (uintptr_t)regions,
	};
	int ret = sys_ioctl(ctl, SCRATCH_IOC_ATTACH, &a);

	if (!ret)
		*space_id = a.space_id;
	return ret;
}

static int sc_detach(int ctl, unsigned int space_id)
{
	struct scratch_detach d = { .size = sizeof(d), .space_id = space_id };

	return sys_ioctl(ctl, SCRATCH_IOC_DETACH, &d);
}

/* Fills up to @cap ids; *count is the number attached, which may exceed @cap. */
static int sc_list(int ctl, __u32 *ids, unsigned int cap, unsigned int *count)
{
	struct scratch_list l = {
		.size = sizeof(l),
		.capacity = cap,
		.ids_addr = (uintptr_t)ids,
	};
	int ret = sys_ioctl(ctl, SCRATCH_IOC_LIST, &l);

	if (!ret)
		*count = l.count;
	return ret;
}

static int sc_get_features(int fd, struct scratch_features *f)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	return sys_ioctl(fd, SCRATCH_IOC_GET_FEATURES, f);
}

static int sc_set_tenant(int fd, __u32 tenant)
{
	struct scratch_tenant t = { .size = sizeof(t), .tenant = tenant };

	return sys_ioctl(fd, SCRATCH_IOC_SET_TENANT, &t);
}

static int sc_sync(int fd)
{
	return sys_ioctl(fd, SCRATCH_IOC_SYNC, NULL);
}

static int sc_info(int fd, struct scratch_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return sys_ioctl(fd, SCRATCH_IOC_INFO, info);
}

/* One step of a scrub walk; @sc carries the cursor in and out. */
static int sc_scrub(int fd, struct scratch_scrub *sc)
{
	return sys_ioctl(fd, SCRATCH_IOC_SCRUB, sc);
}

/* ====================================================================== */
/* Errors: one line on stderr, "scratchctl: WHAT: PLAIN WORDS (ENAME)".    */
/* ====================================================================== */

/* What the failing call was, since one errno means different things per call. */
enum ctx {
	CTX_ANY,
	CTX_CONTROL,	/* opening /dev/scratch-control */
	CTX_SPACE,	/* opening /dev/scratchN, or an unknown space id */
	CTX_ATTACH,
	CTX_DETACH,
	CTX_ATOM,	/* reserve/commit/stat/read/mmap of an atom */
	CTX_TENANT,
	CTX_FILE,	/* the user's input or output file */
};

static const char *errname(int err)
{
	static char buf[32];
	const char *n = strerrorname_np(err);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static const char *errwords(enum ctx ctx, int err)
{
	switch (ctx) {
	case CTX_CONTROL:
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			return "no such device (is scratch.ko loaded?)";
		if (err == EACCES || err == EPERM)
			return "permission denied (need root)";
		break;
	case CTX_SPACE:
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			return "no such space";
		if (err == EACCES)
			return "permission denied (need root)";
		break;
	case CTX_ATTACH:
		switch (err) {
		case ENOENT:	return "no such device";
		case EBUSY:	return "device is in use (mounted or attached)";
		case EPERM:	return "operation not permitted (need root)";
		case EINVAL:	return "invalid request (offset must be 1 MiB aligned, segment size 1 MiB .. 16 GiB)";
		}
		break;
	case CTX_DETACH:
		switch (err) {
		case EBUSY:	return "space is in use (open or mapped); close its users first";
		case ENODEV:
		case ENOENT:	return "no such space";
		case EPERM:	return "operation not permitted (need root)";
		}
		break;
	case CTX_ATOM:
		switch (err) {
		case ENOENT:	return "atom is missing (evicted, never written, or another tenant's)";
		case EBUSY:	return "writes to the reservation are still in flight";
		case EINVAL:	return "invalid request (misaligned or out-of-range write, or unwritten pages)";
		case EBADMSG:	return "atom is damaged: its bytes fail their checksum";
		}
		break;
	case CTX_TENANT:
		if (err == EPERM)
			return "tenant can only be set once, before any I/O";
		break;
	case CTX_FILE:
		return strerror(err);
	case CTX_ANY:
		break;
	}

	switch (err) {
	case ENOENT:	return "not found";
	case ENOTBLK:	return "not a block device";
	case EROFS:	return "device is read-only";
	case EBUSY:	return "busy";
	case E2BIG:	return "region is too small (it must hold 1 MiB of headers and two segments)";
	case EMEDIUMTYPE: return "not formatted for scratch (use --format)";
	case EUCLEAN:	return "regions hold a scratch format that does not match (foreign space, wrong region order, or damaged superblocks)";
	case EPERM:	return "operation not permitted (need root)";
	case EACCES:	return "permission denied";
	case ENOSPC:	return "no room: every segment is pinned";
	case EFBIG:	return "atom is larger than a segment's payload area";
	case EBADMSG:	return "checksum mismatch";
	case ENODEV:	return "no such space";
	case EINVAL:	return "invalid request";
	case EFAULT:	return "bad address";
	case ENOTTY:	return "not supported by this scratch module";
	case EAGAIN:	return "operation would block";
	case EIO:	return "the drive failed a read";
	case EINTR:	return "interrupted";
	}
	return strerror(err);
}

static void report(enum ctx ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(enum ctx ctx, int err, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (err < 0)
		err = -err;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": %s: %s (%s)\n", what, errwords(ctx, err), errname(err));
}

/* A problem with no errno behind it. */
static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void vcomplain(const char *fmt, va_list ap)
{
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void complain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcomplain(fmt, ap);
	va_end(ap);
}

/* ====================================================================== */
/* Usage                                                                   */
/* ====================================================================== */

static const char usage_text[] =
"usage: " PROG " COMMAND [ARGS]\n"
"\n"
"  attach [--format] [--seg-size SIZE] DEV[:OFFSET[:LENGTH]]...\n"
"        Attach block devices (or byte ranges of them) as one space and print\n"
"        its name (scratchN).  Without --format the regions are reloaded.\n"
"        SIZE, OFFSET, LENGTH take K, M, G, T suffixes (powers of 1024);\n"
"        SIZE is a power of two from 1M to 16G (default: about 1/64 of the\n"
"        smallest region, from 1M to 1G).\n"
"  detach N|scratchN|/dev/scratchN\n"
"        Sync and detach a space.\n"
"  status [N] [--json]\n"
"        Capacity, use and counters of every attached space, or of space N.\n"
"  features [--json]\n"
"        Features of the loaded module, one name per line.\n"
"  ls [--json]\n"
"        The attached spaces, one per line.\n"
"  put N [FILE|-] [--type T] [--tenant T] [--zstd[=LEVEL]] [--no-sync]\n"
"        Store FILE (default: standard input) as one atom (XXH64 and, with\n"
"        --zstd, compression by libscratch), sync, and print its id.\n"
"  get N ID [--tenant T] [--mmap] [-o FILE]\n"
"        Write the atom's bytes (checked, decompressed) to standard output or\n"
"        FILE; --mmap reads them through a read-only shared mapping.\n"
"  cat N ID... [--tenant T]\n"
"        The atoms' bytes one after the other, read in one batch; nothing is\n"
"        written unless every atom was read and checked.\n"
"  stat N ID [--tenant T] [--json]\n"
"        Show an atom's lengths, checksum, type, flags, parts and whether it\n"
"        is verified (written since attach, or checked since reloaded).\n"
"  part ARRAY-ID I\n"
"        Print the id of part I of an array.\n"
"  scrub N [--rate MB] [--recheck] [--no-sync] [--json]\n"
"        Verify every atom of space N not yet verified since attach (--recheck:\n"
"        every atom) at most MB megabytes (10^6 bytes) a second (default 100,\n"
"        0: no limit), report the bad ones and drop them (they become missing;\n"
"        a sync makes that durable unless --no-sync).  Progress on a terminal.\n"
"  fsck IMAGE [--offset B] [--length B] [--payload] [--json]\n"
"        Check a scratch region that is not attached (a block device or an\n"
"        image file; B takes K, M, G suffixes): both superblocks, every segment\n"
"        header and atom record, with the module's own parsers; --payload also\n"
"        hashes every atom's bytes.  Prints a summary and each problem.\n"
"\n"
"N names a space: 0, scratch0 or /dev/scratch0.  ID is 32 hex digits.\n"
"Exit status: 0 success, 1 failure, 2 usage error.  scrub and fsck: 0 clean,\n"
"1 damage found, 2 usage, I/O or system error.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcomplain(fmt, ap);
	va_end(ap);
	fputs("Try '" PROG " --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static int help(void)
{
	fputs(usage_text, stdout);
	return EXIT_OK;
}

/* ====================================================================== */
/* Parsing                                                                 */
/* ====================================================================== */

/* "64M", "1G", "4096", "16KiB": bytes, binary units.  False on junk or overflow. */
static bool parse_size(const char *s, ull *out)
{
	static const char units[] = "KMGTPE";
	const char *u;
	char *end;
	ull v;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u || !*u)
			return false;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
		if (*end)
			return false;
	}
	if (shift && v > (~0ULL >> shift))
		return false;
	*out = v << shift;
	return true;
}

static bool parse_u32(const char *s, __u32 *out, __u32 max)
{
	char *end;
	ull v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = (__u32)v;
	return true;
}

/* "3", "scratch3", "/dev/scratch3" -> 3. */
static bool parse_space(const char *s, unsigned int *id)
{
	__u32 v;

	if (!strncmp(s, "/dev/", 5))
		s += 5;
	if (!strncmp(s, "scratch", 7))
		s += 7;
	if (!parse_u32(s, &v, 0x7fffffff))
		return false;
	*id = v;
	return true;
}

static void space_path(unsigned int id, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/scratch%u", id);
}

static void format_id(struct scratch_id id, char buf[33])
{
	snprintf(buf, 33, "%016llx%016llx", (ull)id.lo, (ull)id.hi);
}

/* ====================================================================== */
/* Output helpers                                                          */
/* ====================================================================== */

static const char *human(ull v, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	int i = 0;

	if (v < 1024) {
		snprintf(buf, len, "%llu B", v);
		return buf;
	}
	while (d >= 1024 && i < 6) {
		d /= 1024;
		i++;
	}
	if (d == (double)(ull)d)
		snprintf(buf, len, "%llu %s", (ull)d, unit[i]);
	else
		snprintf(buf, len, "%.1f %s", d, unit[i]);
	return buf;
}

static const char *human_us(ull us, char *buf, size_t len)
{
	if (us < 1000)
		snprintf(buf, len, "%llu us", us);
	else if (us < 1000000)
		snprintf(buf, len, "%.1f ms", (double)us / 1e3);
	else
		snprintf(buf, len, "%.2f s", (double)us / 1e6);
	return buf;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ====================================================================== */
/* attach / detach                                                         */
/* ====================================================================== */

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

/* Bytes a region will use, or 0 if the device cannot be asked. */
static ull region_bytes(const struct region_arg *r)
{
	__u64 size = 0;
	int fd = sys_open(r->path, O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		return 0;
	if (ioctl(fd, BLKGETSIZE64, &size) < 0)
		size = 0;
	close(fd);
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
		case EROFS: {
			int fd = sys_open(r[i].path, O_RDONLY | O_NONBLOCK), ro = 0;

			if (fd >= 0) {
				if (ioctl(fd, BLKROGET, &ro) < 0)
					ro = 0;
				close(fd);
			}
			if (ro)
				return (int)i;
			break;
		}
		case EBUSY: {
			int fd;

			for (j = 0; j < i; j++) {
				if (ok[i] && ok[j] && S_ISBLK(st[i].st_mode) &&
				    st[i].st_rdev == st[j].st_rdev) {
					*twice = true;
					return (int)i;
				}
			}
			/* O_EXCL on a block device fails while it is mounted or claimed. */
			fd = sys_open(r[i].path, O_RDONLY | O_EXCL | O_NONBLOCK);
			if (fd == -EBUSY)
				return (int)i;
			if (fd >= 0)
				close(fd);
			break;
		}
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

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format",	no_argument,		NULL, 'f' },
		{ "seg-size",	required_argument,	NULL, 's' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scratch_region_spec spec[SCRATCH_MAX_REGIONS];
	struct region_arg ra[SCRATCH_MAX_REGIONS];
	unsigned int n, i, seg_shift = 0, id = 0;
	bool format = false, twice;
	ull seg_size = 0;
	char names[1024];
	size_t pos = 0;
	int c, ctl, ret, who;

	while ((c = getopt_long(argc, argv, "fs:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = true;
			break;
		case 's':
			if (!parse_size(optarg, &seg_size))
				return usage_error("attach: bad segment size '%s'", optarg);
			break;
		case 'h':
			return help();
		default:
			return usage_error("attach: bad option");
		}
	}
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

	n = (unsigned int)(argc - optind);
	for (i = 0; i < n; i++) {
		if (!parse_region(argv[optind + i], &ra[i]))
			return usage_error("attach: bad region '%s'", argv[optind + i]);
		if (ra[i].offset % SCRATCH_DISK_DATA_OFF)
			return usage_error("attach: offset of '%s' is not 1 MiB aligned", ra[i].arg);
		spec[i] = (struct scratch_region_spec){
			.path_addr = (uintptr_t)ra[i].path,
			.path_len = (__u32)strlen(ra[i].path),
			.offset = ra[i].offset,
			.length = ra[i].length,
		};
		pos += (size_t)snprintf(names + pos, pos < sizeof(names) ? sizeof(names) - pos : 0,
					"%s%s", i ? " " : "", ra[i].arg);
		if (pos >= sizeof(names))
			pos = sizeof(names) - 1;
	}
	if (format && !seg_shift)
		seg_shift = default_seg_shift(ra, n);

	ctl = sc_control_open();
	if (ctl < 0) {
		report(CTX_CONTROL, ctl, "%s", CONTROL_PATH);
		return EXIT_ERR;
	}
	ret = sc_attach(ctl, spec, n, format ? SCRATCH_ATTACH_FORMAT : 0, seg_shift, &id);
	close(ctl);
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

static int cmd_detach(int argc, char **argv)
{
	unsigned int id;
	int ctl, ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return help();
	if (argc != 2)
		return usage_error("detach: give one space");
	if (!parse_space(argv[1], &id))
		return usage_error("detach: '%s' is not a space (N, scratchN or /dev/scratchN)", argv[1]);

	ctl = sc_control_open();
	if (ctl < 0) {
		report(CTX_CONTROL, ctl, "%s", CONTROL_PATH);
		return EXIT_ERR;
	}
	ret = sc_detach(ctl, id);
	close(ctl);
	if (ret < 0) {
		report(CTX_DETACH, ret, "detach scratch%u", id);
		return EXIT_ERR;
	}
	return EXIT_OK;
}

/* ====================================================================== */
/* status                                                                  */
/* ====================================================================== */

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Attached spaces, sorted: LIST on the control node, else the sysfs class. */
static int list_spaces(__u32 **out, unsigned int *nr)
{
	unsigned int cap = 64, count = 0;
	__u32 *ids = NULL;
	int ctl, ret;
	DIR *d;
	struct dirent *e;

	ctl = sc_control_open();
	if (ctl >= 0) {
		for (;;) {
			__u32 *p = realloc(ids, cap * sizeof(*ids));

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			ids = p;
			ret = sc_list(ctl, ids, cap, &count);
			if (ret < 0 || count <= cap)
				break;
			cap = count + 16;
		}
		close(ctl);
		if (ret < 0) {
			free(ids);
			return ret;
		}
		goto sort;
	}

	/* Not root (the control node is 0600) or no node: sysfs is world readable. */
	d = opendir(SYSFS_CLASS);
	if (!d)
		return ctl;
	ids = malloc(cap * sizeof(*ids));
	while (ids && (e = readdir(d))) {
		unsigned int id;

		if (strncmp(e->d_name, "scratch", 7) || !parse_space(e->d_name, &id))
			continue;
		if (count == cap) {
			__u32 *p = realloc(ids, 2 * cap * sizeof(*ids));

			if (!p)
				break;
			ids = p;
			cap *= 2;
		}
		ids[count++] = id;
	}
	closedir(d);
	if (!ids)
		return -ENOMEM;
sort:
	qsort(ids, count, sizeof(*ids), cmp_u32);
	*out = ids;
	*nr = count;
	return 0;
}

static int sysfs_u64(unsigned int id, const char *attr, __u64 *v)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSFS_CLASS "/scratch%u/%s", id, attr);
	fd = sys_open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*v = strtoull(buf, NULL, 10);
	return 0;
}

/*
 * Counters of one space.  sysfs first: it needs no open fd on /dev/scratchN,
 * so a status poll never makes a concurrent detach fail with EBUSY, and it
 * works without root.  INFO (one consistent snapshot) when sysfs is absent.
 */
static int read_info(unsigned int id, struct scratch_info *in)
{
	static const struct {
		const char *name;
		size_t off;
	} attrs[] = {
#define A(n, f) { n, offsetof(struct scratch_info, f) }
		A("capacity", capacity), A("used", used_bytes),
		A("free_segments", free_segments), A("atoms", atoms),
		A("pinned_segments", pinned_segments), A("evictions", evictions),
		A("bytes_written", bytes_written), A("bytes_read", bytes_read),
		A("nr_segments", nr_segments), A("reload_us", reload_us),
		A("atom_ram", atom_ram_bytes),
#undef A
	};
	char path[64];
	__u64 v, seg_size = 0, regions = 0;
	size_t i;
	int fd, ret = 0;

	memset(in, 0, sizeof(*in));
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]) && !ret; i++) {
		ret = sysfs_u64(id, attrs[i].name, &v);
		if (!ret)
			*(__u64 *)((char *)in + attrs[i].off) = v;
	}
	if (!ret)
		ret = sysfs_u64(id, "seg_size", &seg_size);
	if (!ret)
		ret = sysfs_u64(id, "regions", &regions);
	/* Counters of later modules: absent ones stay 0. */
	if (!ret && !sysfs_u64(id, "unverified", &v)) {
		in->unverified = v;
		if (!sysfs_u64(id, "verified", &v))
			in->verified = v;
		if (!sysfs_u64(id, "bad", &v))
			in->bad = v;
	}
	if (!ret && seg_size && !(seg_size & (seg_size - 1))) {
		in->size = sizeof(*in);
		in->space_id = id;
		in->nr_regions = (__u32)regions;
		in->seg_shift = (__u32)__builtin_ctzll(seg_size);
		return 0;
	}

	space_path(id, path, sizeof(path));
	fd = sc_space_open(path, false);
	if (fd < 0)
		return fd;
	ret = sc_info(fd, in);
	close(fd);
	return ret;
}

static void print_info_json(const struct scratch_info *in, unsigned int id)
{
	printf("{\"id\": %u, \"device\": \"/dev/scratch%u\", \"regions\": %u, "
	       "\"seg_size\": %llu, \"seg_shift\": %u, \"capacity\": %llu, "
	       "\"used\": %llu, \"nr_segments\": %llu, \"free_segments\": %llu, "
	       "\"pinned_segments\": %llu, \"atoms\": %llu, \"evictions\": %llu, "
	       "\"bytes_written\": %llu, \"bytes_read\": %llu, \"reload_us\": %llu, "
	       "\"atom_ram\": %llu, \"atom_ram_per_atom\": %llu, \"unverified\": %llu, "
	       "\"verified\": %llu, \"bad\": %llu}",
	       id, id, in->nr_regions, 1ULL << in->seg_shift, in->seg_shift,
	       (ull)in->capacity, (ull)in->used_bytes, (ull)in->nr_segments,
	       (ull)in->free_segments, (ull)in->pinned_segments, (ull)in->atoms,
	       (ull)in->evictions, (ull)in->bytes_written, (ull)in->bytes_read,
	       (ull)in->reload_us, (ull)in->atom_ram_bytes,
	       in->atoms ? (ull)(in->atom_ram_bytes / in->atoms) : 0ULL,
	       (ull)in->unverified, (ull)in->verified, (ull)in->bad);
}

static void print_info_human(const struct scratch_info *in, unsigned int id)
{
	char a[32], b[32], c[32];

	printf("scratch%u: /dev/scratch%u\n", id, id);
	printf("  capacity   %s in %llu segments of %s, %u region%s\n",
	       human(in->capacity, a, sizeof(a)), (ull)in->nr_segments,
	       human(1ULL << in->seg_shift, b, sizeof(b)), in->nr_regions,
	       in->nr_regions == 1 ? "" : "s");
	printf("  used       %s (%.1f%%)\n", human(in->used_bytes, a, sizeof(a)),
	       in->capacity ? 100.0 * (double)in->used_bytes / (double)in->capacity : 0.0);
	printf("  segments   %llu free / %llu total, %llu pinned\n",
	       (ull)in->free_segments, (ull)in->nr_segments, (ull)in->pinned_segments);
	if (in->atoms)
		printf("  atoms      %llu (%s of RAM each, %s in all)\n", (ull)in->atoms,
		       human(in->atom_ram_bytes / in->atoms, a, sizeof(a)),
		       human(in->atom_ram_bytes, b, sizeof(b)));
	else
		printf("  atoms      0 (%s of RAM for the index)\n",
		       human(in->atom_ram_bytes, a, sizeof(a)));
	printf("  evictions  %llu segment%s\n", (ull)in->evictions, in->evictions == 1 ? "" : "s");
	printf("  written    %s, read %s\n", human(in->bytes_written, a, sizeof(a)),
	       human(in->bytes_read, b, sizeof(b)));
	printf("  reload     %s\n", human_us(in->reload_us, c, sizeof(c)));
	if (in->unverified || in->verified || in->bad)
		printf("  verify     %llu atom%s not yet verified; since attach %llu verified, %llu bad\n",
		       (ull)in->unverified, in->unverified == 1 ? "" : "s",
		       (ull)in->verified, (ull)in->bad);
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scratch_info in;
	unsigned int one = 0, nr = 0, i;
	__u32 *ids = NULL;
	bool json = false, single = false, first = true;
	int c, ret, status = EXIT_OK;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			return help();
		default:
			return usage_error("status: bad option");
		}
	}
	if (argc - optind > 1)
		return usage_error("status: at most one space");
	if (optind < argc) {
		if (!parse_space(argv[optind], &one))
			return usage_error("status: '%s' is not a space", argv[optind]);
		single = true;
	}

	if (single) {
		ret = read_info(one, &in);
		if (ret < 0) {
			report(CTX_SPACE, ret, "status scratch%u", one);
			return EXIT_ERR;
		}
		if (json)
			print_info_json(&in, one);
		else
			print_info_human(&in, one);
		if (json)
			putchar('\n');
		return EXIT_OK;
	}

	ret = list_spaces(&ids, &nr);
	if (ret < 0) {
		report(CTX_CONTROL, ret, "status: listing spaces via %s", CONTROL_PATH);
		return EXIT_ERR;
	}
	if (json)
		fputs("{\"spaces\": [", stdout);
	else if (!nr)
		puts("no spaces attached");
	for (i = 0; i < nr; i++) {
		ret = read_info(ids[i], &in);
		if (ret < 0) {
			/* Detached between LIST and INFO is not an error of ours. */
			if (ret != -ENOENT && ret != -ENODEV) {
				report(CTX_SPACE, ret, "status scratch%u", ids[i]);
				status = EXIT_ERR;
			}
			continue;
		}
		if (json) {
			if (!first)
				fputs(", ", stdout);
			first = false;
			print_info_json(&in, ids[i]);
		} else {
			if (!first)
				putchar('\n');
			first = false;
			print_info_human(&in, ids[i]);
		}
	}
	if (json)
		puts("]}");
	free(ids);
	return status;
}

/* ====================================================================== */
/* features                                                                */
/* ====================================================================== */

static const char *const feature_names[] = {
	"write", "read", "direct", "mmap", "tenant", "array", "present",
	"multi-region", "reload", "verify",
};

static int cmd_features(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scratch_features f;
	bool json = false, first = true;
	unsigned int b;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			return help();
		default:
			return usage_error("features: bad option");
		}
	}
	if (optind < argc)
		return usage_error("features: no arguments expected");

	fd = sc_control_open();
	if (fd < 0) {
		report(CTX_CONTROL, fd, "%s", CONTROL_PATH);
		return EXIT_ERR;
	}
	ret = sc_get_features(fd, &f);
	close(fd);
	if (ret < 0) {
		report(CTX_ANY, ret, "features");
		return EXIT_ERR;
	}

	if (json)
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
		if (json)
			printf("%s\"%s\"", first ? "" : ", ", name);
		else
			puts(name);
		first = false;
	}
	if (json)
		puts("]}");
	return EXIT_OK;
}

/* ====================================================================== */
/* Atoms: common opening                                                   */
/* ====================================================================== */

static const char *space_arg_path(const char *arg, char *buf, size_t len)
{
	unsigned int id;

	if (!parse_space(arg, &id))
		return NULL;
	space_path(id, buf, len);
	return buf;
}

/* Open a space and bind the tenant if one was asked for; -1 after reporting. */
static int open_space_as(const char *path, bool need_write, bool set_tenant, __u32 tenant)
{
	int fd = sc_space_open(path, need_write);
	int ret;

	if (fd < 0) {
		report(CTX_SPACE, fd, "%s", path);
		return -1;
	}
	if (set_tenant) {
		ret = sc_set_tenant(fd, tenant);
		if (ret < 0) {
			report(CTX_TENANT, ret, "%s: tenant %u", path, tenant);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* ====================================================================== */
/* put                                                                     */
/* ====================================================================== */

/* The whole of a pipe or terminal: its size is not known before the reservation. */
static int slurp(int fd, char **out, size_t *len, ull limit)
{
	size_t cap = CHUNK, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *p;

			if (limit && cap > limit)
				break;
			p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (limit && n > limit) {
			free(buf);
			return -EFBIG;
		}
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Open a space through libscratch, bound to @tenant; NULL after reporting. */
static struct scratch *lib_open(const char *cmd, const char *path, __u32 tenant)
{
	struct scratch *s;
	int ret = scratch_space_open(path, tenant, 0, 0, &s);

	if (ret < 0) {
		report(ret == -EPERM || ret == -EOPNOTSUPP ? CTX_TENANT : CTX_SPACE, ret,
		       "%s: %s (tenant %u)", cmd, path, tenant);
		return NULL;
	}
	return s;
}

/*
 * put: a regular file is mapped and handed to the library as it is (the
 * bytes go from the file's page cache to the device's, no buffer of ours);
 * a pipe is read whole first, up to a segment.
 */
static int cmd_put(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type",	required_argument,	NULL, 't' },
		{ "tenant",	required_argument,	NULL, 'T' },
		{ "no-sync",	no_argument,		NULL, 'n' },
		{ "zstd",	optional_argument,	NULL, 'z' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char pathbuf[64], idtxt[SCRATCH_ID_STRLEN];
	const char *path, *input = "-";
	unsigned int flags = SCRATCH_PUT_SYNC;
	__u32 tenant = 0, type = 0, level;
	struct scratch_info info;
	struct scratch_id id = { 0, 0 };
	struct scratch *s = NULL;
	char *mem = NULL;
	void *map = MAP_FAILED;
	size_t len = 0;
	int c, in = STDIN_FILENO, ret, status = EXIT_ERR;
	struct stat st;

	while ((c = getopt_long(argc, argv, "t:T:nz::h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!parse_u32(optarg, &type, 0xffff))
				return usage_error("put: bad type '%s' (0..65535)", optarg);
			break;
		case 'T':
			if (!parse_u32(optarg, &tenant, 0xffffffffU))
				return usage_error("put: bad tenant '%s'", optarg);
			break;
		case 'n':
			flags &= ~SCRATCH_PUT_SYNC;
			break;
		case 'z':
			level = 0;
			if (optarg && (!parse_u32(optarg, &level, 22) || !level))
				return usage_error("put: bad zstd level '%s' (1..22)", optarg);
			flags |= SCRATCH_PUT_ZSTD | SCRATCH_PUT_LEVEL(level);
			break;
		case 'h':
			return help();
		default:
			return usage_error("put: bad option");
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error("put: expected N [FILE|-]");
	path = space_arg_path(argv[optind], pathbuf, sizeof(pathbuf));
	if (!path)
		return usage_error("put: '%s' is not a space", argv[optind]);
	if (argc - optind == 2)
		input = argv[optind + 1];

	if (strcmp(input, "-")) {
		in = sys_open(input, O_RDONLY);
		if (in < 0) {
			report(CTX_FILE, in, "put: %s", input);
			return EXIT_ERR;
		}
	}
	s = lib_open("put", path, tenant);
	if (!s)
		goto out;
	if (fstat(in, &st) == 0 && S_ISREG(st.st_mode) && lseek(in, 0, SEEK_CUR) == 0) {
		len = (size_t)st.st_size;
		if (len) {
			map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, in, 0);
			if (map == MAP_FAILED) {
				report(CTX_FILE, -errno, "put: mapping %s", input);
				goto out;
			}
		}
	} else {
		ull limit = 0;

		/* A segment bounds an atom: stop reading a runaway pipe there. */
		if (scratch_space_info(s, &info) == 0 && info.seg_shift)
			limit = 1ULL << info.seg_shift;
		ret = slurp(in, &mem, &len, limit);
		if (ret < 0) {
			report(ret == -EFBIG ? CTX_ANY : CTX_FILE, ret, "put: reading %s",
			       strcmp(input, "-") ? input : "standard input");
			goto out;
		}
	}
	ret = scratch_atom_put(s, map != MAP_FAILED ? map : mem, len, (__u16)type, flags, &id);
	if (ret < 0 && !id.lo) {
		report(CTX_ATOM, ret, "put %s: %zu bytes", path, len);
		goto out;
	}
	scratch_id_format(id, idtxt);
	puts(idtxt);
	if (ret < 0) {
		/* Committed and readable (the id is printed); only its durability is in doubt. */
		report(CTX_ANY, ret, "put %s: sync", path);
		goto out;
	}
	status = EXIT_OK;
out:
	if (map != MAP_FAILED)
		munmap(map, len);
	free(mem);
	scratch_space_close(s);
	if (in != STDIN_FILENO)
		close(in);
	return status;
}

/* ====================================================================== */
/* get / cat / stat / part                                                 */
/* ====================================================================== */

/* Parse "N ID" for get/stat; returns EXIT_OK or a usage exit code. */
static int atom_args(const char *cmd, int argc, char **argv, char *pathbuf, size_t len,
		     const char **path, struct scratch_id *id)
{
	if (argc - optind != 2)
		return usage_error("%s: expected N ID", cmd);
	*path = space_arg_path(argv[optind], pathbuf, len);
	if (!*path)
		return usage_error("%s: '%s' is not a space", cmd, argv[optind]);
	if (scratch_id_parse(argv[optind + 1], id))
		return usage_error("%s: '%s' is not an atom id (32 hex digits)", cmd, argv[optind + 1]);
	return EXIT_OK;
}

/* Open -o FILE (or standard output); -1 after reporting. */
static int open_output(const char *cmd, const char *output)
{
	int out;

	if (!output || !strcmp(output, "-"))
		return STDOUT_FILENO;
	out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		report(CTX_FILE, -errno, "%s: %s", cmd, output);
	return out;
}

static int close_output(const char *cmd, int out, const char *output)
{
	if (out == STDOUT_FILENO)
		return 0;
	if (close(out) < 0) {
		report(CTX_FILE, -errno, "%s: closing %s", cmd, output);
		return -1;
	}
	return 0;
}

/* The atom's logical bytes, checked (and decompressed) by the library, into *buf. */
static int get_one(struct scratch *s, struct scratch_id id, bool use_map, char **buf,
		   uint64_t *len, struct scratch_map **m)
{
	struct scratch_atom_info info;
	int ret;

	if (use_map) {
		ret = scratch_atom_map(s, id, 0, m);
		if (ret < 0)
			return ret;
		*buf = (char *)scratch_map_data(*m);
		*len = scratch_map_len(*m);
		return 0;
	}
	ret = scratch_atom_stat(s, id, &info);
	if (ret < 0)
		return ret;
	if (info.nr_parts)
		return -EISDIR;
	if (info.length > SIZE_MAX)
		return -EFBIG;
	*buf = malloc(info.length ? (size_t)info.length : 1);
	if (!*buf)
		return -ENOMEM;
	return scratch_atom_get(s, id, *buf, info.length, 0, len);
}

static int cmd_get(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant",	required_argument,	NULL, 'T' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "mmap",	no_argument,		NULL, 'm' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char pathbuf[64];
	const char *path, *output = NULL, *idtxt;
	bool use_mmap = false;
	__u32 tenant = 0;
	struct scratch_map *m = NULL;
	struct scratch_id id;
	struct scratch *s;
	char *buf = NULL;
	uint64_t len = 0;
	int c, out, ret, status = EXIT_ERR;

	while ((c = getopt_long(argc, argv, "T:o:mh", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (!parse_u32(optarg, &tenant, 0xffffffffU))
				return usage_error("get: bad tenant '%s'", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'm':
			use_mmap = true;
			break;
		case 'h':
			return help();
		default:
			return usage_error("get: bad option");
		}
	}
	ret = atom_args("get", argc, argv, pathbuf, sizeof(pathbuf), &path, &id);
	if (ret != EXIT_OK)
		return ret;
	idtxt = argv[optind + 1];

	s = lib_open("get", path, tenant);
	if (!s)
		return EXIT_ERR;
	/* Never emit bytes that fail their checksum: the library checks before we write. */
	ret = get_one(s, id, use_mmap, &buf, &len, &m);
	if (ret < 0) {
		report(CTX_ATOM, ret, "get %s", idtxt);
		goto out;
	}
	out = open_output("get", output);
	if (out < 0)
		goto out;
	ret = write_full(out, buf, (size_t)len);
	if (ret < 0)
		report(CTX_FILE, ret, "get: writing %s", output ? output : "standard output");
	if (close_output("get", out, output) == 0 && ret == 0)
		status = EXIT_OK;
out:
	if (m)
		scratch_map_release(m);
	else
		free(buf);
	scratch_space_close(s);
	return status;
}

/* cat N ID...: the atoms' bytes one after the other, read with one batch get. */
static int cmd_cat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant",	required_argument,	NULL, 'T' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scratch_atom_info info;
	struct scratch_get *g = NULL;
	char pathbuf[64];
	const char *path;
	__u32 tenant = 0;
	struct scratch *s = NULL;
	int c, i, n, ret, status = EXIT_ERR;

	while ((c = getopt_long(argc, argv, "T:h", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (!parse_u32(optarg, &tenant, 0xffffffffU))
				return usage_error("cat: bad tenant '%s'", optarg);
			break;
		case 'h':
			return help();
		default:
			return usage_error("cat: bad option");
		}
	}
	if (argc - optind < 2)
		return usage_error("cat: expected N ID...");
	path = space_arg_path(argv[optind], pathbuf, sizeof(pathbuf));
	if (!path)
		return usage_error("cat: '%s' is not a space", argv[optind]);
	n = argc - optind - 1;
	g = calloc((size_t)n, sizeof(*g));
	if (!g) {
		report(CTX_ANY, -ENOMEM, "cat");
		return EXIT_ERR;
	}
	for (i = 0; i < n; i++)
		if (scratch_id_parse(argv[optind + 1 + i], &g[i].id)) {
			free(g);
			return usage_error("cat: '%s' is not an atom id (32 hex digits)",
					   argv[optind + 1 + i]);
		}
	s = lib_open("cat", path, tenant);
	if (!s)
		goto out;
	for (i = 0; i < n; i++) {
		ret = scratch_atom_stat(s, g[i].id, &info);
		if (!ret && info.nr_parts)
			ret = -EISDIR;
		if (!ret && info.length > SIZE_MAX)
			ret = -EFBIG;
		if (!ret && !(g[i].buf = malloc(info.length ? (size_t)info.length : 1)))
			ret = -ENOMEM;
		if (ret < 0) {
			report(CTX_ATOM, ret, "cat %s", argv[optind + 1 + i]);
			goto out;
		}
		g[i].cap = info.length;
	}
	ret = scratch_atom_get_batch(s, g, (unsigned int)n, 0);
	if (ret < 0) {
		report(CTX_ANY, ret, "cat");
		goto out;
	}
	/* All or nothing: no bytes reach the output unless every atom was read and checked. */
	for (i = 0; i < n; i++)
		if (g[i].res < 0) {
			report(CTX_ATOM, g[i].res, "cat %s", argv[optind + 1 + i]);
			goto out;
		}
	for (i = 0; i < n; i++) {
		ret = write_full(STDOUT_FILENO, g[i].buf, (size_t)g[i].len);
		if (ret < 0) {
			report(CTX_FILE, ret, "cat: writing standard output");
			goto out;
		}
	}
	status = EXIT_OK;
out:
	for (i = 0; g && i < n; i++)
		free(g[i].buf);
	free(g);
	scratch_space_close(s);
	return status;
}

static int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant",	required_argument,	NULL, 'T' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char pathbuf[64], idtxt[SCRATCH_ID_STRLEN], a[32];
	const char *path;
	bool json = false;
	__u32 tenant = 0;
	struct scratch_atom_info st;
	struct scratch_id id;
	struct scratch *s;
	int c, ret;

	while ((c = getopt_long(argc, argv, "T:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (!parse_u32(optarg, &tenant, 0xffffffffU))
				return usage_error("stat: bad tenant '%s'", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return help();
		default:
			return usage_error("stat: bad option");
		}
	}
	ret = atom_args("stat", argc, argv, pathbuf, sizeof(pathbuf), &path, &id);
	if (ret != EXIT_OK)
		return ret;
	scratch_id_format(id, idtxt);

	s = lib_open("stat", path, tenant);
	if (!s)
		return EXIT_ERR;
	ret = scratch_atom_stat(s, id, &st);
	scratch_space_close(s);
	if (ret < 0) {
		report(CTX_ATOM, ret, "stat %s", idtxt);
		return EXIT_ERR;
	}

	/* xxh64 is a string: a JSON number loses bits above 2^53 in most parsers. */
	if (json) {
		printf("{\"id\": \"%s\", \"stored_len\": %llu, "
		       "\"length\": %llu, \"xxh64\": \"%016llx\", \"type\": %u, "
		       "\"atom_flags\": %u, \"zstd\": %s, \"nr_parts\": %u, \"verified\": %s}\n",
		       idtxt, (ull)st.stored_len, (ull)st.length,
		       (ull)st.xxh64, st.type, st.atom_flags,
		       st.atom_flags & SCRATCH_ATOM_ZSTD ? "true" : "false", st.nr_parts,
		       st.status & SCRATCH_STAT_VERIFIED ? "true" : "false");
		return EXIT_OK;
	}
	printf("id         %s\n", idtxt);
	printf("stored     %llu bytes (%s)\n", (ull)st.stored_len, human(st.stored_len, a, sizeof(a)));
	printf("length     %llu bytes\n", (ull)st.length);
	printf("xxh64      %016llx\n", (ull)st.xxh64);
	printf("type       %u\n", st.type);
	printf("flags      %s\n", st.atom_flags & SCRATCH_ATOM_ZSTD ? "zstd" :
	       st.atom_flags ? "unknown" : "none");
	if (st.nr_parts)
		printf("parts      %u\n", st.nr_parts);
	printf("verified   %s\n", st.status & SCRATCH_STAT_VERIFIED ? "yes" :
	       "no (reloaded; checked on first read)");
	return EXIT_OK;
}

/* part ID I: the id of part I of an array (no space needed). */
static int cmd_part(int argc, char **argv)
{
	char idtxt[SCRATCH_ID_STRLEN];
	struct scratch_id id;
	__u32 i;

	if (argc != 3)
		return usage_error("part: expected ARRAY-ID I");
	if (scratch_id_parse(argv[1], &id))
		return usage_error("part: '%s' is not an atom id (32 hex digits)", argv[1]);
	if (!parse_u32(argv[2], &i, SCRATCH_MAX_PARTS - 1) || (id.hi >> 32))
		return usage_error("part: bad part '%s' of '%s'", argv[2], argv[1]);
	scratch_id_format(scratch_array_part_id(id, i), idtxt);
	puts(idtxt);
	return EXIT_OK;
}

/* ls [--json]: the attached spaces, one name per line. */
static int cmd_ls(int argc, char **argv)
{
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	unsigned int nr = 0, i;
	__u32 *ids = NULL;
	int ret;

	if (argc > 2 || (argc == 2 && !json))
		return usage_error("ls: only --json is accepted");
	ret = list_spaces(&ids, &nr);
	if (ret < 0) {
		report(CTX_ANY, ret, "ls");
		return EXIT_ERR;
	}
	if (json)
		printf("[");
	for (i = 0; i < nr; i++)
		if (json)
			printf("%s\"scratch%u\"", i ? ", " : "", ids[i]);
		else
			printf("scratch%u\n", ids[i]);
	if (json)
		printf("]\n");
	free(ids);
	return EXIT_OK;
}

/* ====================================================================== */
/* scrub                                                                   */
/* ====================================================================== */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Progress goes to a person on a real terminal only. */
static bool want_progress(void)
{
	const char *term = getenv("TERM");

	return isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
}

/* Print a JSON string: the characters JSON requires escaped, escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

#define SCRUB_IDS	64	/* bad ids per call */

static int cmd_scrub(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate",	required_argument,	NULL, 'r' },
		{ "recheck",	no_argument,		NULL, 'R' },
		{ "no-sync",	no_argument,		NULL, 'n' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scratch_id ids[SCRUB_IDS], *bad = NULL;
	struct scratch_scrub sc;
	struct scratch_info info;
	char pathbuf[64], idtxt[33], a[32];
	const char *path;
	bool json = false, recheck = false, do_sync = true, prog;
	ull rate = 100, checked = 0, bytes = 0, errors = 0, nbad = 0, calls = 0;
	double t0, last = 0, secs;
	unsigned int i;
	int c, fd, ret, status = EXIT_TROUBLE;

	while ((c = getopt_long(argc, argv, "r:Rnjh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': {
			char *end;

			errno = 0;
			rate = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || rate > 1000000000ULL)
				return usage_error("scrub: bad rate '%s' (MB per second, 0: no limit)",
						   optarg);
			break;
		}
		case 'R':
			recheck = true;
			break;
		case 'n':
			do_sync = false;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return help();
		default:
			return usage_error("scrub: bad option");
		}
	}
	if (argc - optind != 1)
		return usage_error("scrub: expected N");
	path = space_arg_path(argv[optind], pathbuf, sizeof(pathbuf));
	if (!path)
		return usage_error("scrub: '%s' is not a space", argv[optind]);

	fd = open_space_as(path, false, false, 0);
	if (fd < 0)
		return EXIT_TROUBLE;
	if (sc_info(fd, &info) < 0)
		info.nr_segments = 0;
	prog = want_progress();
	memset(&sc, 0, sizeof(sc));
	sc.size = sizeof(sc);
	sc.flags = recheck ? SCRATCH_SCRUB_RECHECK : 0;
	sc.bad_ids_addr = (uintptr_t)ids;
	sc.bad_ids_cap = SCRUB_IDS;
	/* A tenth of a second's worth per call: the pace is kept smoothly. */
	sc.max_bytes = rate ? rate * 100000 : 64 * MiB;
	if (sc.max_bytes < MiB)
		sc.max_bytes = MiB;
	t0 = now_s();
	do {
		ret = sc_scrub(fd, &sc);
		if (ret < 0) {
			if (prog)
				fputs("\r\033[K", stderr);
			report(ret == -EPERM ? CTX_CONTROL : CTX_SPACE, ret, "scrub %s", path);
			goto out;
		}
		calls++;
		checked += sc.checked;
		bytes += sc.bytes;
		errors += sc.errors;
		if (sc.nr_bad) {
			struct scratch_id *p = realloc(bad, (nbad + sc.nr_bad) * sizeof(*bad));

			if (!p) {
				report(CTX_ANY, -ENOMEM, "scrub");
				goto out;
			}
			bad = p;
			for (i = 0; i < sc.nr_bad && i < SCRUB_IDS; i++)
				bad[nbad++] = ids[i];
		}
		/* Ahead of the pace: sleep until bytes / rate seconds have passed. */
		if (rate) {
			double ahead = (double)bytes / ((double)rate * 1e6) - (now_s() - t0);

			if (ahead > 0) {
				struct timespec ts = {
					.tv_sec = (time_t)ahead,
					.tv_nsec = (long)((ahead - (double)(time_t)ahead) * 1e9),
				};

				nanosleep(&ts, NULL);
			}
		}
		if (prog && (now_s() - last > 0.2 || sc.cursor == SCRATCH_SCRUB_END)) {
			last = now_s();
			fprintf(stderr, "\rscrub %s: segment %llu of %llu, %llu atoms (%s) checked, %llu bad\033[K",
				path, sc.cursor == SCRATCH_SCRUB_END ? (ull)info.nr_segments :
				(ull)(sc.cursor >> 32), (ull)info.nr_segments, checked,
				human(bytes, a, sizeof(a)), nbad);
		}
	} while (sc.cursor != SCRATCH_SCRUB_END);
	if (prog)
		fputs("\r\033[K", stderr);
	secs = now_s() - t0;

	/* Dropped records leave the drive's tables at the next sync: make it now. */
	if (nbad && do_sync) {
		ret = sc_sync(fd);
		if (ret < 0) {
			report(CTX_ANY, ret, "scrub %s: sync", path);
			goto out;
		}
	}
	if (json) {
		printf("{\"space\": \"%s\", \"checked\": %llu, \"bytes\": %llu, \"bad\": %llu, "
		       "\"errors\": %llu, \"calls\": %llu, \"seconds\": %.3f, \"recheck\": %s, "
		       "\"rate_mb\": %llu, \"bad_ids\": [", path, checked, bytes, nbad, errors, calls,
		       secs, recheck ? "true" : "false", rate);
		for (i = 0; i < nbad; i++) {
			format_id(bad[i], idtxt);
			printf("%s\"%s\"", i ? ", " : "", idtxt);
		}
		puts("]}");
	} else {
		printf("%s: %llu atom%s (%s) checked in %.1f s, %llu bad, %llu read error%s\n",
		       path, checked, checked == 1 ? "" : "s", human(bytes, a, sizeof(a)), secs,
		       nbad, errors, errors == 1 ? "" : "s");
		for (i = 0; i < nbad; i++) {
			format_id(bad[i], idtxt);
			printf("bad %s (dropped: now missing)\n", idtxt);
		}
	}
	status = nbad || errors ? EXIT_FOUND : EXIT_OK;
out:
	free(bad);
	close(fd);
	return status;
}

/* ====================================================================== */
/* fsck: a region that is not attached, with the module's own parsers     */
/* ====================================================================== */

/* Problems kept for the report; more are counted, not listed. */
#define FSCK_LIST_MAX	1000

struct finding {
	long long seg;		/* -1: not about one segment */
	long long slot;		/* -1: not about one record */
	bool has_id;
	struct scratch_id id;
	char what[200];
};

struct fsck {
	int fd;
	ull base;		/* image offset of the region */
	ull avail;		/* bytes of the image from base on */
	bool payload;
	struct sc_super_info si;
	struct sc_geom g;
	enum sc_why why[2];	/* primary and backup superblock */
	ull nr_check;		/* segments inside the image */
	ull open, free, unused, foreign, damaged;
	ull atoms, arrays, stored, payload_bytes;
	ull problems;
	struct finding *list;
	size_t nlist;
	ull *seqs;		/* of the OPEN segments, for duplicates */
	void *buf;		/* CHUNK bytes, page aligned */
};

static void finding(struct fsck *f, long long seg, long long slot,
		    const struct scratch_id *id, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void finding(struct fsck *f, long long seg, long long slot,
		    const struct scratch_id *id, const char *fmt, ...)
{
	struct finding *p;
	va_list ap;

	f->problems++;
	if (f->nlist >= FSCK_LIST_MAX)
		return;
	p = &f->list[f->nlist++];
	p->seg = seg;
	p->slot = slot;
	p->has_id = id != NULL;
	if (id)
		p->id = *id;
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
}

/* Exactly @len bytes at region offset @pos: 0, -errno, or -EIO if the image ends. */
static int fsck_read(struct fsck *f, void *buf, size_t len, ull pos)
{
	char *p = buf;

	if (pos > f->avail || len > f->avail - pos)
		return -EIO;
	while (len) {
		ssize_t n = pread(f->fd, p, len, (off_t)(f->base + pos));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		pos += (ull)n;
		len -= (size_t)n;
	}
	return 0;
}

/* XXH64 of @len bytes at region offset @pos, streamed through f->buf. */
static int fsck_hash(struct fsck *f, ull pos, ull len, __u64 *out)
{
	XXH64_state_t *xs = XXH64_createState();
	int ret = 0;

	if (!xs)
		return -ENOMEM;
	XXH64_reset(xs, 0);
	while (len && !ret) {
		size_t n = len < CHUNK ? (size_t)len : CHUNK;

		ret = fsck_read(f, f->buf, n, pos);
		if (!ret)
			XXH64_update(xs, f->buf, n);
		pos += n;
		len -= n;
		f->payload_bytes += n;
	}
	*out = XXH64_digest(xs);
	XXH64_freeState(xs);
	return ret;
}

static ull fsck_seg_pos(const struct fsck *f, ull i)
{
	return SCRATCH_DISK_DATA_OFF + (i << f->si.seg_shift);
}

/*
 * The stored bytes of one valid record: a plain atom against its xxh64; an
 * array's part table against its xxh64 and the layout rules, then every part.
 * 0 (checked, findings recorded) or an I/O error.
 */
static int fsck_payload(struct fsck *f, ull i, u32 slot, const struct scratch_id *id,
			const struct sc_rec_info *ri)
{
	ull pos = fsck_seg_pos(f, i) + ((ull)ri->page << SC_PAGE_SHIFT);
	struct scratch_disk_part *parts;
	size_t tlen = (size_t)ri->nr_parts * sizeof(*parts);
	__u64 h;
	u32 k;
	int ret;

	if (!ri->nr_parts) {
		ret = fsck_hash(f, pos, ri->stored_len, &h);
		if (!ret && h != ri->xxh64)
			finding(f, (long long)i, slot, id, "payload: checksum mismatch");
		return ret;
	}
	/* At most 2 MiB: the record decoder bounded nr_parts. */
	parts = malloc(tlen);
	if (!parts)
		return -ENOMEM;
	ret = fsck_read(f, parts, tlen, pos);
	if (ret)
		goto out;
	f->payload_bytes += tlen;
	if (XXH64(parts, tlen, 0) != ri->xxh64) {
		finding(f, (long long)i, slot, id, "array: part table checksum mismatch");
		goto out;
	}
	if (sc_parts_check(parts, ri->nr_parts, ri->stored_len)) {
		finding(f, (long long)i, slot, id, "array: part table out of bounds or order");
		goto out;
	}
	for (k = 0; k < ri->nr_parts && !ret; k++) {
		ret = fsck_hash(f, pos + le64toh(parts[k].off), le64toh(parts[k].len), &h);
		if (!ret && h != le64toh(parts[k].xxh64)) {
			finding(f, (long long)i, slot, id, "array: part %u: checksum mismatch", k);
			break;
		}
	}
out:
	free(parts);
	return ret;
}

/* The table of an OPEN segment, page by page, as the module's reload reads it. */
static int fsck_table(struct fsck *f, ull i, const struct sc_seg_info *sg)
{
	const struct scratch_disk_atom *recs = f->buf;
	struct sc_idparts ip = { .seg = (u32)(f->si.first_seg + i), .gen = sg->gen };
	ull next = f->g.first_page;
	u32 tp, k, slot;
	int ret;

	for (tp = 0; tp < f->g.table_pages; tp++) {
		ret = fsck_read(f, f->buf, SC_PAGE, fsck_seg_pos(f, i) + (1ULL + tp) * SC_PAGE);
		if (ret)
			return ret;
		for (k = 0; k < SC_RECS_PER_PAGE; k++) {
			struct sc_rec_info ri;
			struct scratch_id id;
			enum sc_why why;

			slot = tp * SC_RECS_PER_PAGE + k;
			ip.slot = slot;
			id = sc_id_encode(&ip);
			why = sc_rec_why(&recs[k], &f->g, sg->gen, sg->seq, &ri);
			if (why == SC_WHY_MAGIC || why == SC_WHY_STALE)
				continue;	/* empty, or of an older incarnation */
			if (why != SC_WHY_OK) {
				finding(f, (long long)i, slot, &id, "record: %s (its atom is lost)",
					sc_why_str(why));
				continue;
			}
			if (ri.page < next) {
				finding(f, (long long)i, slot, &id,
					"record: pages overlap the atom before it (dropped at reload)");
				continue;
			}
			next = ri.page + sc_pages(ri.stored_len);
			f->atoms++;
			f->arrays += ri.nr_parts != 0;
			f->stored += ri.stored_len;
			if (f->payload) {
				/* fsck_payload() reuses f->buf: keep this page's records. */
				struct scratch_disk_atom saved[SC_RECS_PER_PAGE];

				memcpy(saved, recs, sizeof(saved));
				ret = fsck_payload(f, i, slot, &id, &ri);
				memcpy(f->buf, saved, sizeof(saved));
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

static int cmp_ull(const void *a, const void *b)
{
	ull x = *(const ull *)a, y = *(const ull *)b;

	return x < y ? -1 : x > y;
}

/* Superblocks, then every segment inside the image. 0 or an I/O error. */
static int fsck_region(struct fsck *f)
{
	struct scratch_disk_super sb[2];
	struct sc_super_info s2;
	ull i, nopen = 0;
	int ret, k;

	for (k = 0; k < 2; k++) {
		ret = fsck_read(f, &sb[k], sizeof(sb[k]), (ull)k * SC_PAGE);
		if (ret)
			return ret;
	}
	f->why[0] = sc_super_why(&sb[0], &f->si);
	f->why[1] = sc_super_why(&sb[1], &s2);
	if (f->why[0] != SC_WHY_OK && f->why[1] != SC_WHY_OK) {
		finding(f, -1, -1, NULL, f->why[0] == SC_WHY_MAGIC && f->why[1] == SC_WHY_MAGIC ?
			"no superblock: not a scratch region (or not at this offset)" :
			"both superblocks unusable: primary %s, backup %s",
			sc_why_str(f->why[0]), sc_why_str(f->why[1]));
		return 0;
	}
	if (f->why[0] != SC_WHY_OK) {
		finding(f, -1, -1, NULL, "primary superblock: %s (the backup is used)",
			sc_why_str(f->why[0]));
		f->si = s2;
	} else if (f->why[1] != SC_WHY_OK) {
		finding(f, -1, -1, NULL, "backup superblock: %s", sc_why_str(f->why[1]));
	} else if (memcmp(&f->si, &s2, sizeof(s2))) {
		finding(f, -1, -1, NULL, "backup superblock differs from the primary");
	}
	/* Decoded, hence sane: a known geometry, nr_segs consistent with region_len. */
	sc_geom_init(&f->g, f->si.seg_shift);
	f->nr_check = f->si.nr_segs;
	if (f->si.region_len > f->avail) {
		finding(f, -1, -1, NULL, "region: %llu bytes, but only %llu in the image from the offset",
			(ull)f->si.region_len, f->avail);
		f->nr_check = f->avail > SCRATCH_DISK_DATA_OFF ?
			      (f->avail - SCRATCH_DISK_DATA_OFF) >> f->si.seg_shift : 0;
		if (f->nr_check > f->si.nr_segs)
			f->nr_check = f->si.nr_segs;
	}
	f->seqs = calloc(f->nr_check ? f->nr_check : 1, sizeof(*f->seqs));
	if (!f->seqs)
		return -ENOMEM;

	for (i = 0; i < f->nr_check; i++) {
		struct scratch_disk_seg hdr;
		struct sc_seg_info sg;
		enum sc_why why;

		ret = fsck_read(f, &hdr, sizeof(hdr), fsck_seg_pos(f, i));
		if (ret)
			return ret;
		why = sc_seg_why(&hdr, f->si.uuid, f->si.first_seg + i, &sg);
		switch (why) {
		case SC_WHY_OK:
			if (sg.state == SCRATCH_SEG_FREE) {
				f->free++;
				continue;
			}
			f->open++;
			f->seqs[nopen++] = sg.seq;
			ret = fsck_table(f, i, &sg);
			if (ret)
				return ret;
			continue;
		case SC_WHY_MAGIC:
			/* Never opened since the format; unless the rest says otherwise. */
			if (!memcmp(hdr.uuid, f->si.uuid, sizeof(hdr.uuid))) {
				f->damaged++;
				finding(f, (long long)i, -1, NULL,
					"segment header: no magic, but this space's uuid (its atoms are lost)");
			} else {
				f->unused++;
			}
			continue;
		case SC_WHY_FOREIGN:
			f->foreign++;	/* from a format before this one: ignored */
			continue;
		default:
			f->damaged++;
			finding(f, (long long)i, -1, NULL, "segment header: %s (its atoms are lost)",
				sc_why_str(why));
			continue;
		}
	}
	qsort(f->seqs, nopen, sizeof(*f->seqs), cmp_ull);
	for (i = 1; i < nopen; i++)
		if (f->seqs[i] == f->seqs[i - 1])
			finding(f, -1, -1, NULL, "two open segments share fill order (seq) %llu",
				f->seqs[i]);
	return 0;
}

static void fsck_print_json(const struct fsck *f, const char *image, ull off, ull len)
{
	bool have = f->why[0] == SC_WHY_OK || f->why[1] == SC_WHY_OK;
	size_t k;
	int i;

	fputs("{\"image\": ", stdout);
	json_str(image);
	printf(", \"offset\": %llu, \"length\": %llu, \"superblock\": \"%s\", \"backup\": \"%s\"",
	       off, len, sc_why_str(f->why[0]), sc_why_str(f->why[1]));
	if (have) {
		fputs(", \"uuid\": \"", stdout);
		for (i = 0; i < 16; i++)
			printf("%02x", f->si.uuid[i]);
		printf("\", \"region\": %u, \"regions\": %u, \"seg_size\": %llu, \"segments\": %llu, "
		       "\"first_seg\": %llu, \"checked_segments\": %llu",
		       f->si.region_idx, f->si.nr_regions, 1ULL << f->si.seg_shift,
		       (ull)f->si.nr_segs, (ull)f->si.first_seg, f->nr_check);
	}
	printf(", \"open_segments\": %llu, \"free_segments\": %llu, \"unused_segments\": %llu, "
	       "\"foreign_segments\": %llu, \"damaged_segments\": %llu, \"atoms\": %llu, "
	       "\"arrays\": %llu, \"stored_bytes\": %llu, \"payload_checked\": %s, "
	       "\"payload_bytes\": %llu, \"problems\": %llu, \"findings\": [",
	       f->open, f->free, f->unused, f->foreign, f->damaged, f->atoms, f->arrays,
	       f->stored, f->payload ? "true" : "false", f->payload_bytes, f->problems);
	for (k = 0; k < f->nlist; k++) {
		const struct finding *p = &f->list[k];
		char idtxt[33];

		printf("%s{", k ? ", " : "");
		if (p->seg >= 0)
			printf("\"segment\": %lld, ", p->seg);
		if (p->slot >= 0)
			printf("\"slot\": %lld, ", p->slot);
		if (p->has_id) {
			format_id(p->id, idtxt);
			printf("\"id\": \"%s\", ", idtxt);
		}
		fputs("\"what\": ", stdout);
		json_str(p->what);
		putchar('}');
	}
	puts("]}");
}

static void fsck_print_human(const struct fsck *f, const char *image)
{
	bool have = f->why[0] == SC_WHY_OK || f->why[1] == SC_WHY_OK;
	char a[32], b[32];
	size_t k;
	int i;

	printf("%s:", image);
	if (have) {
		printf(" scratch region %u of %u, space ", f->si.region_idx + 1, f->si.nr_regions);
		for (i = 0; i < 16; i++)
			printf("%02x", f->si.uuid[i]);
	}
	printf("\n  superblock %s, backup %s\n", sc_why_str(f->why[0]), sc_why_str(f->why[1]));
	if (have) {
		printf("  segments   %llu of %s (space-wide %llu..%llu): %llu open, %llu free, "
		       "%llu unused, %llu foreign, %llu damaged\n",
		       (ull)f->si.nr_segs, human(1ULL << f->si.seg_shift, a, sizeof(a)),
		       (ull)f->si.first_seg, (ull)(f->si.first_seg + f->si.nr_segs - 1),
		       f->open, f->free, f->unused, f->foreign, f->damaged);
		printf("  atoms      %llu (%llu array%s), %s stored\n", f->atoms, f->arrays,
		       f->arrays == 1 ? "" : "s", human(f->stored, a, sizeof(a)));
		if (f->payload)
			printf("  payload    %s hashed\n", human(f->payload_bytes, b, sizeof(b)));
		else
			printf("  payload    not checked (--payload hashes every atom)\n");
	}
	if (!f->problems) {
		puts("clean");
		return;
	}
	printf("%llu problem%s:\n", f->problems, f->problems == 1 ? "" : "s");
	for (k = 0; k < f->nlist; k++) {
		const struct finding *p = &f->list[k];
		char idtxt[33];

		fputs("  ", stdout);
		if (p->has_id) {
			format_id(p->id, idtxt);
			printf("atom %s (segment %lld slot %lld): ", idtxt, p->seg, p->slot);
		} else if (p->seg >= 0) {
			printf("segment %lld: ", p->seg);
		}
		puts(p->what);
	}
	if (f->problems > f->nlist)
		printf("  ... and %llu more\n", f->problems - f->nlist);
}

static int cmd_fsck(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offset",	required_argument,	NULL, 'o' },
		{ "length",	required_argument,	NULL, 'l' },
		{ "payload",	no_argument,		NULL, 'p' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fsck f;
	const char *image;
	ull off = 0, len = 0, size = 0;
	bool json = false;
	struct stat st;
	int c, ret, status = EXIT_TROUBLE;

	memset(&f, 0, sizeof(f));
	while ((c = getopt_long(argc, argv, "o:l:pjh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!parse_size(optarg, &off))
				return usage_error("fsck: bad offset '%s'", optarg);
			break;
		case 'l':
			if (!parse_size(optarg, &len) || !len)
				return usage_error("fsck: bad length '%s'", optarg);
			break;
		case 'p':
			f.payload = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return help();
		default:
			return usage_error("fsck: bad option");
		}
	}
	if (argc - optind != 1)
		return usage_error("fsck: expected IMAGE (a block device or a file)");
	image = argv[optind];
	if (off % SCRATCH_DISK_DATA_OFF)
		return usage_error("fsck: offset %llu is not 1 MiB aligned", off);

	if (stat(image, &st) < 0) {
		report(CTX_FILE, -errno, "fsck: %s", image);
		return EXIT_TROUBLE;
	}
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
		complain("fsck: %s is neither a block device nor a regular file", image);
		return EXIT_TROUBLE;
	}
	/* O_EXCL on a block device fails while the module (or a mount) holds it. */
	f.fd = sys_open(image, O_RDONLY | (S_ISBLK(st.st_mode) ? O_EXCL : 0));
	if (f.fd == -EBUSY) {
		complain("fsck: %s is in use (attached or mounted): detach it first", image);
		return EXIT_TROUBLE;
	}
	if (f.fd < 0) {
		report(CTX_FILE, f.fd, "fsck: %s", image);
		return EXIT_TROUBLE;
	}
	if (S_ISBLK(st.st_mode)) {
		__u64 sz = 0;

		if (ioctl(f.fd, BLKGETSIZE64, &sz) < 0) {
			report(CTX_FILE, -errno, "fsck: %s: size", image);
			goto out;
		}
		size = sz;
	} else {
		size = (ull)st.st_size;
	}
	if (off >= size || (len && len > size - off)) {
		complain("fsck: %s: range %llu+%llu is past its end (%llu bytes)", image, off,
			 len, size);
		goto out;
	}
	f.base = off;
	f.avail = len ? len : size - off;
	f.list = calloc(FSCK_LIST_MAX, sizeof(*f.list));
	f.buf = aligned_alloc(SC_PAGE, CHUNK);
	if (!f.list || !f.buf) {
		report(CTX_ANY, -ENOMEM, "fsck");
		goto out;
	}
	ret = fsck_region(&f);
	if (ret < 0) {
		report(CTX_FILE, ret, "fsck: reading %s", image);
		goto out;
	}
	if (json)
		fsck_print_json(&f, image, off, f.avail);
	else
		fsck_print_human(&f, image);
	status = f.problems ? EXIT_FOUND : EXIT_OK;
out:
	free(f.list);
	free(f.buf);
	free(f.seqs);
	close(f.fd);
	return status;
}

/* ====================================================================== */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "attach",	cmd_attach },
	{ "detach",	cmd_detach },
	{ "status",	cmd_status },
	{ "features",	cmd_features },
	{ "ls",		cmd_ls },
	{ "put",	cmd_put },
	{ "get",	cmd_get },
	{ "cat",	cmd_cat },
	{ "stat",	cmd_stat },
	{ "part",	cmd_part },
	{ "scrub",	cmd_scrub },
	{ "fsck",	cmd_fsck },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage_error("no command given");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return help();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
