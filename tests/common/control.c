// SPDX-License-Identifier: GPL-2.0
/*
 * The control device (features, attach, detach, list, sweep), a space's
 * node /dev/scratchN (open, tenant, the fixture's create/down/reload) and
 * its sysfs counters and INFO.
 */
#include "scratch_test.h"

int st_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

int st_ctl_open(void)
{
	int fd = open(ST_CONTROL, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* One ioctl on a fresh fd of the control device. */
int st_ctl(unsigned long req, void *arg)
{
	int fd = st_ctl_open(), r;

	if (fd < 0)
		return fd;
	r = st_ioctl(fd, req, arg);
	close(fd);
	return r;
}

int st_features(struct scratch_features *f)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	return st_ctl(SCRATCH_IOC_GET_FEATURES, f);
}

/*
 * 0 if scratch.ko is loaded with every feature in @mask and both test drives
 * exist; 1 (reason in @why) if the test should skip; -errno on an error.
 */
int st_need(__u64 mask, char *why, size_t n)
{
	struct scratch_features f;
	struct stat s;
	int r, i;

	snprintf(why, n, "ok");
	if (access(ST_CONTROL, F_OK)) {
		snprintf(why, n, "%s missing: scratch.ko not loaded", ST_CONTROL);
		return 1;
	}
	r = st_features(&f);
	if (r == -ENOTTY) {
		snprintf(why, n, "GET_FEATURES not implemented");
		return 1;
	}
	if (r) {
		snprintf(why, n, "GET_FEATURES: %s", strerror(-r));
		return r;
	}
	if (f.abi_version != SCRATCH_ABI_VERSION) {
		snprintf(why, n, "ABI version %u, tests expect %u", f.abi_version,
			 SCRATCH_ABI_VERSION);
		return 1;
	}
	if ((f.features & mask) != mask) {
		snprintf(why, n, "feature bits 0x%llx missing (module has 0x%llx)",
			 (unsigned long long)(mask & ~f.features),
			 (unsigned long long)f.features);
		return 1;
	}
	for (i = 0; i < 2; i++) {
		if (stat(st_dev(i), &s) || !S_ISBLK(s.st_mode)) {
			snprintf(why, n, "test drive %s missing", st_dev(i));
			return 1;
		}
	}
	return 0;
}

/* Does the module have every feature in @mask? */
bool st_has(__u64 mask)
{
	struct scratch_features f;

	return st_features(&f) == 0 && (f.features & mask) == mask;
}

void st_spec(struct scratch_region_spec *s, const struct st_region *r)
{
	memset(s, 0, sizeof(*s));
	s->path_addr = (uintptr_t)r->path;
	s->path_len = strlen(r->path);
	s->offset = r->offset;
	s->length = r->length;
}

/* ATTACH as given; a space it attaches is detached by teardown. */
int st_attach_raw(struct scratch_attach *a)
{
	int r = st_ctl(SCRATCH_IOC_ATTACH, a);

	if (r == 0)
		st_track_space(a->space_id);
	return r;
}

int st_attach(const struct st_region *regs, unsigned int n,
			    unsigned int seg_shift, bool format, __u32 *space_id)
{
	struct scratch_region_spec specs[SCRATCH_MAX_REGIONS];
	struct scratch_attach a;
	unsigned int i;
	int r;

	if (n > SCRATCH_MAX_REGIONS)
		return -E2BIG;
	for (i = 0; i < n; i++)
		st_spec(&specs[i], &regs[i]);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = format ? SCRATCH_ATTACH_FORMAT : 0;
	a.nr_regions = n;
	a.seg_shift = format ? seg_shift : 0;
	a.regions_addr = (uintptr_t)specs;
	r = st_attach_raw(&a);
	if (r == 0 && space_id)
		*space_id = a.space_id;
	return r;
}

int st_detach(__u32 space_id)
{
	struct scratch_detach d = { .size = sizeof(d), .space_id = space_id };
	int r = st_ctl(SCRATCH_IOC_DETACH, &d);

	if (r == 0)
		st_untrack_space(space_id);
	return r;
}

int st_list(__u32 *ids, __u32 capacity, __u32 *count)
{
	struct scratch_list l = {
		.size = sizeof(l), .capacity = capacity, .ids_addr = (uintptr_t)ids,
	};
	int r = st_ctl(SCRATCH_IOC_LIST, &l);

	if (r == 0)
		*count = l.count;
	return r;
}

bool st_listed(__u32 space_id)
{
	__u32 ids[64], n = 0, i;

	if (st_list(ids, 64, &n))
		return false;
	for (i = 0; i < n && i < 64; i++)
		if (ids[i] == space_id)
			return true;
	return false;
}

/*
 * Detach every attached space except @keep (-1: none): what a test killed by
 * the harness's timeout left behind.  Tests run one at a time, so nothing
 * attached at a test's start belongs to anyone else.  Returns how many.
 */
int st_sweep(long keep)
{
	__u32 ids[64], n = 0, i;
	int done = 0;

	if (st_list(ids, 64, &n))
		return 0;
	for (i = 0; i < n && i < 64; i++) {
		if ((long)ids[i] == keep)
			continue;
		if (st_detach(ids[i]) == 0) {
			fprintf(stderr, "# swept stale space scratch%u\n", ids[i]);
			done++;
		}
	}
	return done;
}

int st_set_tenant(int fd, __u32 tenant)
{
	struct scratch_tenant t = { .size = sizeof(t), .tenant = tenant };

	return st_ioctl(fd, SCRATCH_IOC_SET_TENANT, &t);
}

/* /dev/scratchN (the node may take a moment to appear), bound to @tenant (-1: default). */
int st_open_flags(__u32 space_id, int flags, long tenant)
{
	char path[64];
	int fd, tries = 0, r;

	snprintf(path, sizeof(path), "/dev/scratch%u", space_id);
	for (;;) {
		fd = open(path, flags | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || ++tries > 100)
			break;
		usleep(20000);
	}
	if (fd < 0)
		return -errno;
	if (tenant >= 0) {
		r = st_set_tenant(fd, (__u32)tenant);
		if (r) {
			close(fd);
			return r;
		}
	}
	st_track_fd(fd);
	return fd;
}

/* Open /dev/scratchN read-write, bound to @tenant (-1: leave the default). */
int st_open(__u32 space_id, long tenant)
{
	return st_open_flags(space_id, O_RDWR, tenant);
}

int st_close(int fd)
{
	st_untrack_fd(fd);
	return close(fd) ? -errno : 0;
}

/* Sweep, format + attach, open.  On failure nothing stays attached. */
int st_space_create(struct st_space *sp, const struct st_region *regs,
				  unsigned int n, unsigned int shift)
{
	int r;

	sp->fd = -1;
	sp->up = false;
	st_sweep(-1);
	r = st_attach(regs, n, shift, true, &sp->id);
	if (r)
		return r;
	sp->fd = st_open(sp->id, -1);
	if (sp->fd < 0) {
		r = sp->fd;
		sp->fd = -1;
		st_detach(sp->id);
		return r;
	}
	sp->up = true;
	return 0;
}

/* Close the fixture's fd and detach; @sp can then be reattached. */
int st_space_down(struct st_space *sp)
{
	int r;

	if (sp->fd >= 0) {
		st_close(sp->fd);
		sp->fd = -1;
	}
	if (!sp->up)
		return 0;
	r = st_detach(sp->id);
	if (r == 0)
		sp->up = false;
	return r;
}

/* Reattach @regs without FORMAT (reload) and open it again. */
int st_space_reload(struct st_space *sp, const struct st_region *regs,
				  unsigned int n)
{
	int r = st_attach(regs, n, 0, false, &sp->id);

	if (r)
		return r;
	sp->up = true;
	sp->fd = st_open(sp->id, -1);
	return sp->fd < 0 ? sp->fd : 0;
}

/* /sys/class/scratch/scratchN/<name> as a number. */
int st_sysfs(__u32 space_id, const char *name, __u64 *v)
{
	char path[128], buf[64], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/scratch/scratch%u/%s", space_id, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

/* The counter, or UINT64_MAX if it cannot be read (fails any sane assert). */
__u64 st_counter(__u32 space_id, const char *name)
{
	__u64 v = 0;

	return st_sysfs(space_id, name, &v) ? UINT64_MAX : v;
}

int st_info(int fd, struct scratch_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return st_ioctl(fd, SCRATCH_IOC_INFO, info);
}
