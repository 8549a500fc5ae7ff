// SPDX-License-Identifier: GPL-2.0
/*
 * scan and assemble: find scratch regions on the host's block devices by their
 * superblocks (the space's uuid, the region's index, the member count) and attach
 * a space from whatever names its members have today, in its order, the way
 * `mdadm --assemble --scan` and `zpool import` do.  Regions are found at the start
 * of a device or partition only: a region at an offset inside a device must be
 * attached by name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "scratchctl.h"
#include "core.h"

#define SCAN_MAX	256

struct found {
	char			dev[64];	/* /dev/NAME */
	struct sc_super_info	si;
	char			busy[48];	/* why it is in use ("" if free) */
	bool			backup;		/* the primary superblock was unusable */
};

/* What the scan could not read: how many devices, the first and its errno. */
struct scan_err {
	char		dev[64];
	int		err;
	unsigned int	nr;
	bool		truncated;	/* more than SCAN_MAX regions */
};

static void uuid_str(const u8 *u, char *buf)
{
	static const int dash[] = { 4, 6, 8, 10 };
	int i, k = 0, p = 0;

	for (i = 0; i < 16; i++) {
		if (k < 4 && i == dash[k]) {
			buf[p++] = '-';
			k++;
		}
		p += sprintf(buf + p, "%02x", u[i]);
	}
}

/* 32 hex digits, dashes anywhere ignored. */
static bool uuid_parse(const char *s, u8 *u)
{
	int n = 0, hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == '-')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			v = (*s | 0x20) - 'a' + 10;
		else
			return false;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == 16)
			return false;
		u[n++] = (u8)(hi << 4 | v);
		hi = -1;
	}
	return n == 16 && hi < 0;
}

/*
 * Why the device @rdev is in use, in @why ("" if not): a member of an attached
 * space, held by another block device (device-mapper, md), or mounted.  Asked
 * of sysfs and mountinfo, never by claiming the device, which would make a
 * concurrent attach or mount fail.
 */
static void in_use(const char *name, dev_t rdev, char *why, size_t n)
{
	struct scratch_member m[SCRATCH_MAX_REGIONS];
	uint32_t ids[64];
	char path[128], line[512];
	unsigned int ma, mi;
	struct dirent *d;
	int k, i, j;
	DIR *dir;
	FILE *f;

	why[0] = 0;
	k = scratch_space_list(ids, 64);
	for (i = 0; i < k && i < 64 && !why[0]; i++) {
		int nm = scratch_space_members(ids[i], m, SCRATCH_MAX_REGIONS, sizeof(m[0]));

		for (j = 0; j < nm && j < SCRATCH_MAX_REGIONS; j++)
			if (m[j].major == major(rdev) && m[j].minor == minor(rdev))
				snprintf(why, n, "attached: scratch%u member %u", ids[i], m[j].index);
	}
	snprintf(path, sizeof(path), "/sys/class/block/%s/holders", name);
	dir = opendir(path);
	while (dir && !why[0] && (d = readdir(dir)))
		if (d->d_name[0] != '.')
			snprintf(why, n, "held by %.30s", d->d_name);
	if (dir)
		closedir(dir);
	f = fopen("/proc/self/mountinfo", "r");
	while (f && !why[0] && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d %*d %u:%u", &ma, &mi) == 2 && ma == major(rdev) &&
		    mi == minor(rdev))
			snprintf(why, n, "mounted");
	if (f)
		fclose(f);
}

/*
 * The superblock of /dev/@name, if it starts a scratch region: 1, 0 if not,
 * -errno if the device cannot be read.
 */
static int probe_dev(const char *name, struct found *f)
{
	struct scratch_disk_super sb[2];
	struct stat st;
	int fd, ok = 0;

	snprintf(f->dev, sizeof(f->dev), "/dev/%s", name);
	/* O_NONBLOCK: an empty CD or floppy drive answers at once. */
	fd = open(f->dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENXIO || errno == ENOMEDIUM ? 0 : -errno;
	if (pread(fd, sb, sizeof(sb[0]), 0) == (ssize_t)sizeof(sb[0]) &&
	    sc_super_why(&sb[0], &f->si) == SC_WHY_OK) {
		ok = 1;
		f->backup = false;
	} else if (pread(fd, &sb[1], sizeof(sb[1]), SC_PAGE) == (ssize_t)sizeof(sb[1]) &&
		   sc_super_why(&sb[1], &f->si) == SC_WHY_OK) {
		ok = 1;
		f->backup = true;
	}
	if (ok && fstat(fd, &st))
		ok = 0;
	close(fd);
	if (!ok)
		return 0;
	in_use(name, st.st_rdev, f->busy, sizeof(f->busy));
	return 1;
}

/* Every scratch region at the start of a block device; the count. */
static unsigned int scan(struct found *out, unsigned int cap, struct scan_err *e)
{
	DIR *dir = opendir("/sys/class/block");
	struct dirent *d;
	unsigned int n = 0;
	int r;

	memset(e, 0, sizeof(*e));
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.' || strlen(d->d_name) > 50)
			continue;
		if (n == cap) {
			e->truncated = true;
			break;
		}
		r = probe_dev(d->d_name, &out[n]);
		if (r < 0 && !e->nr++) {
			e->err = -r;
			snprintf(e->dev, sizeof(e->dev), "%s", out[n].dev);
		}
		n += r > 0;
	}
	if (dir)
		closedir(dir);
	return n;
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int c = memcmp(x->si.uuid, y->si.uuid, sizeof(x->si.uuid));

	if (c)
		return c;
	if (x->si.region_idx != y->si.region_idx)
		return x->si.region_idx < y->si.region_idx ? -1 : 1;
	return strcmp(x->dev, y->dev);
}

/* The regions found, sorted by uuid then index, and their count in @n; free() it.  NULL: ENOMEM. */
static struct found *scan_sorted(const char *cmd, unsigned int *n)
{
	struct found *f = calloc(SCAN_MAX, sizeof(*f));
	struct scan_err e;

	if (!f) {
		report(CTX_ANY, -ENOMEM, "%s", cmd);
		return NULL;
	}
	*n = scan(f, SCAN_MAX, &e);
	/*
	 * A device it could not read may hold a member: say so rather than miss it
	 * silently, but go on with the others (one odd device must not keep a
	 * host's spaces from being assembled at boot).
	 */
	if (e.nr)
		report(e.err == EACCES || e.err == EPERM ? CTX_CONTROL : CTX_FILE, -e.err,
		       "%s: %u device%s not read, the first %s", cmd, e.nr, e.nr == 1 ? "" : "s",
		       e.dev);
	if (e.truncated)
		complain("%s: more than %d scratch regions; the rest were not looked at", cmd,
			 SCAN_MAX);
	qsort(f, *n, sizeof(*f), cmp_found);
	return f;
}

int cmd_scan(int argc, char **argv)
{
	struct opts o = { .cmd = "scan", .common = OPT_JSON };
	struct found *f;
	unsigned int n, i;
	char u[40];

	if (opts_stop(&o, argc, argv))
		return o.status;
	if (optind < argc)
		return usage_error("scan: no operand expected");
	f = scan_sorted("scan", &n);
	if (!f)
		return EXIT_ERR;
	if (o.json)
		printf("[");
	for (i = 0; i < n; i++) {
		uuid_str(f[i].si.uuid, u);
		if (o.json) {
			printf("%s\n  {\"device\": ", i ? "," : "");
			json_str(f[i].dev);
			printf(", \"uuid\": \"%s\", \"index\": %u, \"members\": %u, \"bytes\": %llu, "
			       "\"seg_size\": %llu, \"state\": \"%s\", \"in_use\": ",
			       u, f[i].si.region_idx, f[i].si.nr_regions,
			       (ull)f[i].si.region_len, 1ULL << f[i].si.seg_shift,
			       f[i].busy[0] ? "in-use" : "free");
			if (f[i].busy[0])
				json_str(f[i].busy);
			else
				fputs("null", stdout);
			printf(", \"backup_superblock\": %s}", f[i].backup ? "true" : "false");
		} else {
			printf("%s  uuid %s  member %u of %u  %llu bytes  %s%s%s%s\n", f[i].dev, u,
			       f[i].si.region_idx, f[i].si.nr_regions, (ull)f[i].si.region_len,
			       f[i].busy[0] ? "in use (" : "free", f[i].busy,
			       f[i].busy[0] ? ")" : "",
			       f[i].backup ? "  (primary superblock unusable)" : "");
		}
	}
	if (o.json)
		printf("%s]\n", n ? "\n" : "");
	free(f);
	return EXIT_OK;
}

/*
 * Attach the space @uuid from the regions in @f (sorted): 0 and its id in @id, or
 * EXIT_ERR after a message that names what is wrong.
 */
static int assemble_one(const struct found *f, unsigned int n, const u8 *uuid, uint32_t *id)
{
	struct scratch_region spec[SCRATCH_MAX_REGIONS];
	const struct found *m[SCRATCH_MAX_REGIONS] = { NULL };
	unsigned int i, want = 0;
	struct scratch_ctl *ctl;
	char u[40];
	int ret;

	uuid_str(uuid, u);
	for (i = 0; i < n; i++) {
		if (memcmp(f[i].si.uuid, uuid, 16))
			continue;
		if (want && f[i].si.nr_regions != want) {
			complain("assemble %s: members disagree on the member count (%s says %u, another %u)",
				 u, f[i].dev, f[i].si.nr_regions, want);
			return EXIT_ERR;
		}
		want = f[i].si.nr_regions;
		if (want > SCRATCH_MAX_REGIONS || f[i].si.region_idx >= want)
			continue;
		if (m[f[i].si.region_idx]) {
			complain("assemble %s: member %u found twice (%s and %s)", u,
				 f[i].si.region_idx, m[f[i].si.region_idx]->dev, f[i].dev);
			return EXIT_ERR;
		}
		m[f[i].si.region_idx] = &f[i];
	}
	if (!want) {
		complain("assemble %s: no member found", u);
		return EXIT_ERR;
	}
	for (i = 0; i < want; i++) {
		if (!m[i]) {
			complain("assemble %s: member %u of %u is missing", u, i, want);
			return EXIT_ERR;
		}
		if (m[i]->busy[0]) {
			complain("assemble %s: member %u (%s) is in use (%s)", u, i, m[i]->dev,
				 m[i]->busy);
			return EXIT_ERR;
		}
		spec[i] = (struct scratch_region){ .path = m[i]->dev, .length = m[i]->si.region_len };
	}
	ctl = ctl_open();
	if (!ctl)
		return EXIT_ERR;
	ret = scratch_ctl_attach(ctl, spec, want, 0, 0, id);
	scratch_ctl_close(ctl);
	if (ret < 0) {
		report(CTX_ATTACH, ret, "assemble %s", u);
		return EXIT_ERR;
	}
	return EXIT_OK;
}

/* Is any region of @uuid in use (its space attached already)? */
static bool uuid_busy(const struct found *f, unsigned int n, const u8 *uuid)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!memcmp(f[i].si.uuid, uuid, 16) && f[i].busy[0])
			return true;
	return false;
}

static void assembled(const struct opts *o, bool *first, const u8 *uuid, uint32_t id)
{
	char u[40];

	uuid_str(uuid, u);
	if (o->json)
		printf("%s\n  {\"uuid\": \"%s\", \"space\": \"scratch%u\"}", *first ? "" : ",", u, id);
	else
		printf("scratch%u\n", id);
	*first = false;
}

/* ---- assemble --config FILE -------------------------------------------------------- */

/*
 * The spaces a host should have, one per line, in the spirit of mdadm.conf
 * and crypttab:
 *
 *	# NAME	MEMBERS					OPTIONS
 *	work	uuid=0f1e2d3c-...			-
 *	fresh	/dev/disk/by-id/nvme-A,/dev/disk/by-id/nvme-B	format-blank,seg-size=1G
 *
 * MEMBERS is the space's uuid, or its devices in order (stable paths, by-id).
 * OPTIONS (comma-separated, "-" for none): format-blank formats the listed
 * devices when every one of them is blank (no scratch superblock and no
 * signature libblkid knows); seg-size=SIZE is the segment size then.
 */
struct conf_line {
	char	name[64];
	char	members[1024];
	bool	format_blank;
	ull	seg_size;
	int	lineno;
};

static int conf_parse(const char *file, int lineno, char *line, struct conf_line *c)
{
	char opts[256] = "-", *o, *save = NULL;
	int k;

	memset(c, 0, sizeof(*c));
	c->lineno = lineno;
	k = sscanf(line, "%63s %1023s %255s", c->name, c->members, opts);
	if (k < 2) {
		complain("%s:%d: want NAME MEMBERS [OPTIONS]", file, lineno);
		return -1;
	}
	/* NAME becomes the space's label, and /dev/scratch/NAME. */
	if (strlen(c->name) > 31 || strspn(c->name, "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(c->name)) {
		complain("%s:%d: name '%s': 1 to 31 of letters, digits, '.', '_', '-'", file,
			 lineno, c->name);
		return -1;
	}
	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!strcmp(o, "-"))
			continue;
		if (!strcmp(o, "format-blank"))
			c->format_blank = true;
		else if (!strncmp(o, "seg-size=", 9) && parse_size(o + 9, &c->seg_size) &&
			 c->seg_size && !(c->seg_size & (c->seg_size - 1)))
			continue;
		else {
			complain("%s:%d: unknown option '%s'", file, lineno, o);
			return -1;
		}
	}
	return 0;
}

/* Attach one configured space; its id and what was done in @how.  EXIT_OK or EXIT_ERR. */
static int conf_apply(const struct conf_line *c, const struct found *f, unsigned int n,
		      uint32_t *id, const char **how)
{
	struct scratch_region spec[SCRATCH_MAX_REGIONS];
	struct found dev[SCRATCH_MAX_REGIONS];
	char list[1024], *p, *save = NULL, what[160], rp[PATH_MAX];
	unsigned int nd = 0, i, blank = 0;
	struct scratch_ctl *ctl;
	u8 uuid[16];
	int ret;

	if (!strncmp(c->members, "uuid=", 5)) {
		if (!uuid_parse(c->members + 5, uuid)) {
			complain("%s: '%s' is not a uuid", c->name, c->members + 5);
			return EXIT_ERR;
		}
		goto by_uuid;
	}
	snprintf(list, sizeof(list), "%s", c->members);
	for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (nd == SCRATCH_MAX_REGIONS) {
			complain("%s: more than %d members", c->name, SCRATCH_MAX_REGIONS);
			return EXIT_ERR;
		}
		if (!realpath(p, rp) || strncmp(rp, "/dev/", 5) || strlen(rp) > 50) {
			complain("%s: member %s: no such device", c->name, p);
			return EXIT_ERR;
		}
		ret = probe_dev(rp + 5, &dev[nd]);
		if (ret < 0) {
			report(CTX_FILE, ret, "%s: member %s", c->name, p);
			return EXIT_ERR;
		}
		if (!ret) {
			blank++;	/* probe_dev() named it */
		} else if (nd && memcmp(dev[nd].si.uuid, dev[0].si.uuid, 16)) {
			complain("%s: member %s belongs to another space than %s", c->name, p,
				 dev[0].dev);
			return EXIT_ERR;
		}
		nd++;
	}
	if (!nd) {
		complain("%s: no member", c->name);
		return EXIT_ERR;
	}
	if (blank && blank < nd) {
		complain("%s: some members are blank and some hold a space: refusing to guess",
			 c->name);
		return EXIT_ERR;
	}
	if (!blank) {
		memcpy(uuid, dev[0].si.uuid, 16);
		goto by_uuid;
	}
	if (!c->format_blank) {
		complain("%s: %s holds no scratch space (format-blank is not set)", c->name,
			 dev[0].dev);
		return EXIT_ERR;
	}
	for (i = 0; i < nd; i++) {
		ret = probe_signature(dev[i].dev, 0, 0, what, sizeof(what));
		if (ret) {
			complain("%s: %s holds %s; not formatting it", c->name, dev[i].dev,
				 ret > 0 ? what : "something libblkid could not read");
			return EXIT_ERR;
		}
		spec[i] = (struct scratch_region){ .path = dev[i].dev };
	}
	ctl = ctl_open();
	if (!ctl)
		return EXIT_ERR;
	ret = scratch_ctl_attach(ctl, spec, nd, SCRATCH_ATTACH_FORMAT,
				 c->seg_size ? (unsigned int)__builtin_ctzll(c->seg_size) : 0, id);
	scratch_ctl_close(ctl);
	if (ret < 0) {
		report(CTX_ATTACH, ret, "%s: format", c->name);
		return EXIT_ERR;
	}
	*how = "formatted";
	return EXIT_OK;

by_uuid:
	if (uuid_busy(f, n, uuid)) {
		for (i = 0; i < n; i++)
			if (!memcmp(f[i].si.uuid, uuid, 16) &&
			    sscanf(f[i].busy, "attached: scratch%u", id) == 1) {
				*how = "already attached";
				return EXIT_OK;
			}
	}
	*how = "assembled";
	return assemble_one(f, n, uuid, id);
}

static int assemble_config(const struct opts *o, const char *file)
{
	FILE *in = fopen(file, "r");
	char line[1400];
	struct conf_line c;
	struct found *f;
	const char *how = "";
	unsigned int n;
	bool first = true;
	int lineno = 0, rc = EXIT_OK, ret;
	uint32_t id;

	if (!in) {
		report(CTX_FILE, -errno, "assemble: %s", file);
		return EXIT_ERR;
	}
	f = scan_sorted("assemble", &n);
	if (!f) {
		fclose(in);
		return EXIT_ERR;
	}
	if (o->json)
		printf("[");
	while (fgets(line, sizeof(line), in)) {
		char *t = line + strspn(line, " \t");

		lineno++;
		if (*t == '#' || *t == '\n' || !*t)
			continue;
		if (conf_parse(file, lineno, t, &c) || conf_apply(&c, f, n, &id, &how)) {
			rc = EXIT_ERR;
			continue;
		}
		ret = scratch_space_set_label(id, c.name);
		if (ret < 0) {
			report(CTX_SPACE, ret, "%s: scratch%u: naming it", c.name, id);
			rc = EXIT_ERR;
		}
		if (o->json) {
			printf("%s\n  {\"name\": ", first ? "" : ",");
			json_str(c.name);
			printf(", \"space\": \"scratch%u\", \"done\": \"%s\"}", id, how);
		} else {
			printf("%s: scratch%u (%s)\n", c.name, id, how);
		}
		first = false;
	}
	if (o->json)
		printf("%s]\n", first ? "" : "\n");
	fclose(in);
	free(f);
	return rc;
}

int cmd_assemble(int argc, char **argv)
{
	static const struct option own[] = {
		OPT_FLAG("all", 'a'), OPT_ARG("config", 'c'), OPT_END,
	};
	struct opts o = { .cmd = "assemble", .common = OPT_JSON, .own = own, .own_short = "ac:" };
	const char *config = NULL;
	struct found *f;
	bool all = false, first = true;
	unsigned int n, i;
	uint32_t id;
	int c, rc = EXIT_OK;
	u8 uuid[16];

	while ((c = opts_next(&o, argc, argv)) > 0) {
		if (c == 'a')
			all = true;
		else
			config = optarg;
	}
	if (c < 0)
		return o.status;
	if (config && !all && optind == argc)
		return assemble_config(&o, config);
	if (config || (all ? optind < argc : optind + 1 != argc))
		return usage_error("assemble: give one UUID, --all or --config FILE");
	if (!all && !uuid_parse(argv[optind], uuid))
		return usage_error("assemble: '%s' is not a uuid", argv[optind]);
	f = scan_sorted("assemble", &n);
	if (!f)
		return EXIT_ERR;
	if (o.json)
		printf("[");
	if (!all) {
		rc = assemble_one(f, n, uuid, &id);
		if (rc == EXIT_OK)
			assembled(&o, &first, uuid, id);
	}
	/* --all: each uuid once (sorted: at its first region), skipping spaces attached already. */
	for (i = 0; all && i < n; i++) {
		if ((i && !memcmp(f[i].si.uuid, f[i - 1].si.uuid, 16)) ||
		    uuid_busy(f, n, f[i].si.uuid))
			continue;
		if (assemble_one(f, n, f[i].si.uuid, &id))
			rc = EXIT_ERR;
		else
			assembled(&o, &first, f[i].si.uuid, id);
	}
	if (o.json)
		printf("%s]\n", first ? "" : "\n");
	free(f);
	return rc;
}
