// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Administration: the control device's calls (attach, detach, features, list)
 * and the status of a space read from sysfs, for scratchctl and any other
 * program that manages spaces.  Each ioctl is one designated-initializer
 * struct and one __sys_ioctl() (GET_FEATURES: __scratch_get_features(), as
 * scratch_space_open() asks it); errnos come back as they are.
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"
#include "syscall.h"

#define SC_CONTROL_PATH		"/dev/" SCRATCH_CONTROL_NAME
#define SC_SYSFS_CLASS		"/sys/class/scratch"

#define SC_MODULE_FEATURES_SIZE_1_1	SC_SIZE_TO(struct scratch_module_features, reserved)
#define SC_SPACE_STATUS_SIZE_1_1	SC_SIZE_TO(struct scratch_space_status, reserved)

struct scratch_ctl {
	int	fd;
};

__scratch_export
int scratch_ctl_open(const char *path, unsigned int flags, struct scratch_ctl **cp)
{
	struct scratch_ctl *c;
	int ret;

	if (!cp || flags)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ret = __sys_open(path ? path : SC_CONTROL_PATH, O_RDWR);
	if (ret < 0) {
		free(c);
		return ret;
	}
	c->fd = ret;
	*cp = c;
	return 0;
}

__scratch_export
void scratch_ctl_close(struct scratch_ctl *c)
{
	if (!c)
		return;
	__sys_close(c->fd);
	free(c);
}

__scratch_export
int scratch_ctl_features(struct scratch_ctl *c, struct scratch_module_features *f, size_t size)
{
	struct scratch_features k;
	struct scratch_module_features out;
	int ret;

	if (!c || !f || size < SC_MODULE_FEATURES_SIZE_1_1)
		return -EINVAL;
	ret = __scratch_get_features(c->fd, &k);
	if (ret)
		return ret;
	out = (struct scratch_module_features){
		.features = k.features, .abi_version = k.abi_version,
		.page_size = k.page_size, .max_parts = k.max_parts,
	};
	__scratch_copy_out(f, size, &out, sizeof(out));
	return 0;
}

__scratch_export
int scratch_ctl_attach(struct scratch_ctl *c, const struct scratch_region *regions,
		       unsigned int nr, unsigned int flags, unsigned int seg_shift,
		       uint32_t *space_id)
{
	struct scratch_region_spec spec[SCRATCH_MAX_REGIONS];
	struct scratch_attach a = {
		.size = sizeof(a), .flags = flags, .nr_regions = nr, .seg_shift = seg_shift,
		.regions_addr = (uintptr_t)spec,
	};
	unsigned int i;
	size_t len;
	int ret;

	if (!c || !regions || !space_id || !nr || nr > SCRATCH_MAX_REGIONS ||
	    __scratch_check_flags(flags, SCRATCH_ATTACH_FORMAT))
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		const struct scratch_region *r = &regions[i];

		if (!r->path || r->reserved[0] || r->reserved[1])
			return -EINVAL;
		/* The module takes paths shorter than 4096 bytes (PATH_MAX with its NUL). */
		len = strlen(r->path);
		if (!len)
			return -EINVAL;
		if (len >= 4096)
			return -ENAMETOOLONG;
		spec[i] = (struct scratch_region_spec){
			.path_addr = (uintptr_t)r->path, .path_len = (uint32_t)len,
			.offset = r->offset, .length = r->length,
		};
	}
	ret = __sys_ioctl(c->fd, SCRATCH_IOC_ATTACH, &a);
	if (ret < 0)
		return ret;
	*space_id = a.space_id;
	return 0;
}

__scratch_export
int scratch_ctl_detach(struct scratch_ctl *c, uint32_t space_id)
{
	struct scratch_detach d = { .size = sizeof(d), .space_id = space_id };
	int ret;

	if (!c)
		return -EINVAL;
	ret = __sys_ioctl(c->fd, SCRATCH_IOC_DETACH, &d);
	return ret < 0 ? ret : 0;
}

/* ---- spaces, without a handle --------------------------------------------- */

/* "scratch3" -> 3; false for anything else (scratch-control, scratch3x). */
static bool sc_space_name(const char *name, uint32_t *id)
{
	unsigned long long v = 0;
	const char *p;

	if (strncmp(name, "scratch", 7) || !name[7])
		return false;
	for (p = name + 7; *p; p++) {
		if (*p < '0' || *p > '9' || v > INT32_MAX / 10)
			return false;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v > INT32_MAX)
		return false;
	*id = (uint32_t)v;
	return true;
}

static int sc_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* LIST on the control device: the count attached, ids up to @cap. */
static int sc_list_ctl(int fd, uint32_t *ids, unsigned int cap)
{
	struct scratch_list l = {
		.size = sizeof(l), .capacity = cap, .ids_addr = (uintptr_t)ids,
	};
	int ret = __sys_ioctl(fd, SCRATCH_IOC_LIST, &l);

	if (ret < 0)
		return ret;
	return l.count > INT_MAX ? -EOVERFLOW : (int)l.count;
}

/* The sysfs class, which everyone may read; @err when it is not there either. */
static int sc_list_sysfs(uint32_t *ids, unsigned int cap, int err)
{
	DIR *d = opendir(SC_SYSFS_CLASS);
	struct dirent *e;
	unsigned int count = 0;
	uint32_t id;

	if (!d)
		return err;
	while ((e = readdir(d)) && count < INT_MAX) {
		if (!sc_space_name(e->d_name, &id))
			continue;
		if (count < cap)
			ids[count] = id;
		count++;
	}
	closedir(d);
	return (int)count;
}

__scratch_export
int scratch_space_list(uint32_t *ids, unsigned int cap)
{
	int fd, n;

	if (cap && !ids)
		return -EINVAL;
	/* The control node is root's (0600): others, or a module without it, use sysfs. */
	fd = __sys_open(SC_CONTROL_PATH, O_RDWR);
	if (fd >= 0) {
		n = sc_list_ctl(fd, ids, cap);
		__sys_close(fd);
	} else {
		n = sc_list_sysfs(ids, cap, fd);
	}
	if (n > 0)
		qsort(ids, (unsigned int)n < cap ? (size_t)n : cap, sizeof(*ids), sc_cmp_u32);
	return n;
}

/* The text of /sys/class/scratch/scratchN/@attr, NUL-terminated, in @buf; its length. */
static int sc_sysfs_read(uint32_t id, const char *attr, char *buf, size_t cap)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SC_SYSFS_CLASS "/scratch%u/%s", id, attr);
	fd = __sys_open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	n = __sys_pread(fd, buf, cap - 1, 0);
	__sys_close(fd);
	if (n <= 0)
		return n < 0 ? (int)n : -EIO;
	buf[n] = '\0';
	return (int)n;
}

/* One number from /sys/class/scratch/scratchN/@attr. */
static int sc_sysfs_u64(uint32_t id, const char *attr, uint64_t *v)
{
	char buf[64];
	int n = sc_sysfs_read(id, attr, buf, sizeof(buf));

	if (n < 0)
		return n;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

/* The space's uuid from sysfs ("8-4-4-4-12" hex); left zero if absent or malformed. */
static void sc_sysfs_uuid(uint32_t id, uint8_t *uuid)
{
	char buf[64];
	unsigned int b[16];
	int i;

	if (sc_sysfs_read(id, "uuid", buf, sizeof(buf)) < 36 ||
	    sscanf(buf, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x",
		   &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7], &b[8], &b[9],
		   &b[10], &b[11], &b[12], &b[13], &b[14], &b[15]) != 16)
		return;
	for (i = 0; i < 16; i++)
		uuid[i] = (uint8_t)b[i];
}

__scratch_export
int scratch_space_set_label(uint32_t space_id, const char *label)
{
	char path[128];
	struct iovec v;
	size_t n, i;
	ssize_t w;
	int fd;

	if (!label || space_id > INT32_MAX)
		return -EINVAL;
	n = strlen(label);
	if (n > 31)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)label[i]) && !strchr("._-", label[i]))
			return -EINVAL;
	snprintf(path, sizeof(path), SC_SYSFS_CLASS "/scratch%u/label", space_id);
	fd = __sys_open(path, O_WRONLY);
	if (fd == -ENOENT && sc_sysfs_read(space_id, "regions", path, sizeof(path)) > 0)
		return -EOPNOTSUPP;	/* a module that predates labels */
	if (fd < 0)
		return fd;
	/* An empty write is no store: a lone newline clears the label. */
	v.iov_base = (void *)(n ? label : "\n");
	v.iov_len = n ? n : 1;
	w = __sys_pwritev(fd, &v, 1, 0);
	__sys_close(fd);
	return w < 0 ? (int)w : 0;
}

#define SC_MEMBER_SIZE_1_1	SC_SIZE_TO(struct scratch_member, reserved)

__scratch_export
int scratch_space_members(uint32_t space_id, struct scratch_member *members, unsigned int cap,
			  size_t size)
{
	char buf[8192], *line, *next;
	unsigned int n = 0;
	int ret;

	if ((cap && !members) || size < SC_MEMBER_SIZE_1_1 || space_id > INT32_MAX)
		return -EINVAL;
	ret = sc_sysfs_read(space_id, "members", buf, sizeof(buf));
	/* The space is there, the attribute is not: a module older than it. */
	if (ret == -ENOENT && sc_sysfs_read(space_id, "regions", buf, sizeof(buf)) > 0)
		return -EOPNOTSUPP;
	if (ret < 0)
		return ret;
	for (line = buf; *line; line = next) {
		struct scratch_member m = { 0 };
		unsigned long long off, len;
		long long rd, wr;
		int a = 0, b = 0;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		/* "INDEX DEVICE MAJ:MIN OFFSET LENGTH READ_ERRORS WRITE_ERRORS"; a longer name is cut. */
		if (sscanf(line, "%u %n%*s%n", &m.index, &a, &b) != 1 || b <= a ||
		    sscanf(line + b, " %u:%u %llu %llu %lld %lld", &m.major, &m.minor, &off, &len,
			   &rd, &wr) != 6)
			return -EIO;
		snprintf(m.name, sizeof(m.name), "%.*s", b - a, line + a);
		m.offset = off;
		m.length = len;
		m.read_errors = (uint64_t)rd;
		m.write_errors = (uint64_t)wr;
		if (n < cap)
			__scratch_copy_out((char *)members + (size_t)n * size, size, &m, sizeof(m));
		n++;
	}
	return (int)n;
}

/* The whole of a sysfs attribute of any length, NUL-terminated, in *out (free it). */
static int sc_sysfs_slurp(uint32_t id, const char *attr, char **out)
{
	size_t cap = 16384, len = 0;
	char path[128], *buf = NULL, *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SC_SYSFS_CLASS "/scratch%u/%s", id, attr);
	fd = __sys_open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	for (;;) {
		if (!buf || len + 1 >= cap) {
			cap = buf ? cap * 2 : cap;
			p = realloc(buf, cap);
			if (!p) {
				n = -ENOMEM;
				break;
			}
			buf = p;
		}
		n = __sys_pread(fd, buf + len, cap - 1 - len, (off_t)len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	__sys_close(fd);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

#define SC_TENANT_STAT_SIZE_1_2	SC_SIZE_TO(struct scratch_tenant_stat, reserved)

__scratch_export
int scratch_space_tenants(uint32_t space_id, struct scratch_tenant_stat *t, unsigned int cap,
			  size_t size)
{
	char *buf, *line, *next;
	unsigned int n = 0;
	int ret;

	if ((cap && !t) || size < SC_TENANT_STAT_SIZE_1_2 || space_id > INT32_MAX)
		return -EINVAL;
	ret = sc_sysfs_slurp(space_id, "tenants", &buf);
	if (ret == -ENOENT) {
		char b[16];

		/* The space is there, the attribute is not: a module older than it. */
		return sc_sysfs_read(space_id, "regions", b, sizeof(b)) > 0 ? -EOPNOTSUPP : ret;
	}
	if (ret < 0)
		return ret;
	for (line = buf; *line; line = next) {
		struct scratch_tenant_stat ts = { 0 };
		unsigned long long v[6];
		char who[16];

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		/* "TENANT ATOMS STORED WRITTEN READ PINNED RESERVED", TENANT a number or "other". */
		if (sscanf(line, "%15s %llu %llu %llu %llu %llu %llu", who, &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5]) != 7) {
			free(buf);
			return -EIO;
		}
		ts.other = !strcmp(who, "other");
		ts.tenant = ts.other ? 0 : (uint32_t)strtoul(who, NULL, 10);
		ts.atoms = v[0];
		ts.stored_bytes = v[1];
		ts.bytes_written = v[2];
		ts.bytes_read = v[3];
		ts.pinned_segments = v[4];
		ts.reserved_bytes = v[5];
		if (n < cap)
			__scratch_copy_out((char *)t + (size_t)n * size, size, &ts, sizeof(ts));
		n++;
	}
	free(buf);
	return n > INT_MAX ? -EOVERFLOW : (int)n;
}

/*
 * sysfs: it needs no open fd on /dev/scratchN, so a status poll never makes a
 * concurrent detach fail with EBUSY, and it works without root.
 */
static int sc_status_sysfs(uint32_t id, struct scratch_space_status *st)
{
	static const struct {
		const char	*name;
		size_t		off;
	} attrs[] = {
#define A(n, f) { n, offsetof(struct scratch_space_status, f) }
		A("capacity", capacity), A("used", used_bytes),
		A("free_segments", free_segments), A("atoms", atoms),
		A("pinned_segments", pinned_segments), A("evictions", evictions),
		A("bytes_written", bytes_written), A("bytes_read", bytes_read),
		A("nr_segments", nr_segments), A("reload_us", reload_us),
		A("atom_ram", atom_ram_bytes),
#undef A
	};
	/* Counters of later modules: absent ones stay 0. */
	static const struct {
		const char	*name;
		size_t		off;
	} later[] = {
#define A(n, f) { n, offsetof(struct scratch_space_status, f) }
		A("unverified", unverified), A("verified", verified), A("bad", bad),
		A("write_errors", write_errors),
#undef A
	};
	uint64_t v, seg_size = 0, regions = 0;
	char buf[64];
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]) && !ret; i++)
		ret = sc_sysfs_u64(id, attrs[i].name, (uint64_t *)((char *)st + attrs[i].off));
	if (!ret)
		ret = sc_sysfs_u64(id, "seg_size", &seg_size);
	if (!ret)
		ret = sc_sysfs_u64(id, "regions", &regions);
	if (ret)
		return ret;
	if (!seg_size || (seg_size & (seg_size - 1)))
		return -EIO;
	for (i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		if (!sc_sysfs_u64(id, later[i].name, &v))
			*(uint64_t *)((char *)st + later[i].off) = v;
	sc_sysfs_uuid(id, st->uuid);
	if (sc_sysfs_read(id, "label", buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = 0;
		snprintf(st->label, sizeof(st->label), "%.31s", buf);
	}
	st->space_id = id;
	st->nr_regions = (uint32_t)regions;
	st->seg_shift = (uint32_t)__builtin_ctzll(seg_size);
	return 0;
}

/* INFO on the space itself (one consistent snapshot), read-only if need be. */
static int sc_status_info(uint32_t id, struct scratch_space_status *st)
{
	struct scratch_info k = { .size = sizeof(k) };
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/dev/scratch%u", id);
	fd = __sys_open(path, O_RDWR);
	if (fd == -EACCES)
		fd = __sys_open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	ret = __sys_ioctl(fd, SCRATCH_IOC_INFO, &k);
	__sys_close(fd);
	if (ret < 0)
		return ret;
	*st = (struct scratch_space_status){
		.space_id = k.space_id, .nr_regions = k.nr_regions, .seg_shift = k.seg_shift,
		.capacity = k.capacity, .nr_segments = k.nr_segments,
		.free_segments = k.free_segments, .pinned_segments = k.pinned_segments,
		.used_bytes = k.used_bytes, .atoms = k.atoms, .evictions = k.evictions,
		.bytes_written = k.bytes_written, .bytes_read = k.bytes_read,
		.reload_us = k.reload_us, .atom_ram_bytes = k.atom_ram_bytes,
		.unverified = k.unverified, .verified = k.verified, .bad = k.bad,
		.write_errors = k.write_errors,
	};
	return 0;
}

__scratch_export
int scratch_space_status(uint32_t space_id, struct scratch_space_status *st, size_t size)
{
	struct scratch_space_status out;
	int ret;

	if (!st || size < SC_SPACE_STATUS_SIZE_1_1 || space_id > INT32_MAX)
		return -EINVAL;
	memset(&out, 0, sizeof(out));
	ret = sc_status_sysfs(space_id, &out);
	if (ret) {
		memset(&out, 0, sizeof(out));
		ret = sc_status_info(space_id, &out);
	}
	if (ret)
		return ret;
	__scratch_copy_out(st, size, &out, sizeof(out));
	return 0;
}
