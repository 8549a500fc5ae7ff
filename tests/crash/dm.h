/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device-mapper ioctls for the crash tests, without libdevmapper or udev
 * (the test VM has busybox only): create a device from a table, remove it,
 * send a target message (dm-log-writes marks) and read a target's status.
 *
 * Each helper returns 0 or -errno.  Device nodes: devtmpfs makes /dev/dm-N;
 * dm_create() also makes /dev/mapper/NAME (mknod), the path the tests use.
 */
#ifndef SCRATCH_CRASH_DM_H
#define SCRATCH_CRASH_DM_H

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>

#define DM_CTL_PATH	"/dev/mapper/control"
#define DM_BUF_SIZE	16384

/* The control node, opened once per process (marks are sent per log line). */
static inline int dm_ctl(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open(DM_CTL_PATH, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A zeroed request for @name in @buf (DM_BUF_SIZE bytes, 8-byte aligned). */
static inline struct dm_ioctl *dm_req(void *buf, const char *name)
{
	struct dm_ioctl *io = buf;

	memset(buf, 0, DM_BUF_SIZE);
	io->version[0] = DM_VERSION_MAJOR;	/* the kernel wants 4.x, x <= its own */
	io->version[1] = 0;
	io->data_size = DM_BUF_SIZE;
	io->data_start = sizeof(*io);
	if (name)
		snprintf(io->name, sizeof(io->name), "%s", name);
	return io;
}

static inline int dm_call(unsigned long cmd, struct dm_ioctl *io)
{
	int fd = dm_ctl();

	if (fd < 0)
		return fd;
	return ioctl(fd, cmd, io) < 0 ? -errno : 0;
}

/*
 * Load @n targets into @name's inactive table: lines[i] is "START LEN TYPE
 * PARAMS..." in 512-byte sectors, as dmsetup tables are written.
 */
static inline int dm_load(const char *name, char *const *lines, int n)
{
	__u64 buf[DM_BUF_SIZE / 8];
	struct dm_ioctl *io = dm_req(buf, name);
	size_t off = sizeof(*io);
	int i;

	for (i = 0; i < n; i++) {
		struct dm_target_spec *sp = (void *)((char *)buf + off);
		unsigned long long start, len;
		char type[DM_MAX_TYPE_NAME];
		int used = 0;
		size_t plen;

		if (sscanf(lines[i], "%llu %llu %15s %n", &start, &len, type, &used) != 3 ||
		    !used)
			return -EINVAL;
		plen = strlen(lines[i] + used) + 1;
		if (off + sizeof(*sp) + plen + 8 > DM_BUF_SIZE)
			return -E2BIG;
		sp->sector_start = start;
		sp->length = len;
		snprintf(sp->target_type, sizeof(sp->target_type), "%s", type);
		memcpy(sp + 1, lines[i] + used, plen);
		sp->next = (__u32)((sizeof(*sp) + plen + 7) & ~7UL);
		off += sp->next;
	}
	io->target_count = n;
	return dm_call(DM_TABLE_LOAD, io);
}

/* Suspend @name (with @flags, e.g. DM_NOFLUSH_FLAG), or resume it (@suspend false). */
static inline int dm_suspend(const char *name, bool suspend, __u32 flags, __u64 *dev)
{
	__u64 buf[DM_BUF_SIZE / 8];
	struct dm_ioctl *io = dm_req(buf, name);
	int r;

	io->flags = (suspend ? DM_SUSPEND_FLAG : 0) | flags;
	r = dm_call(DM_DEV_SUSPEND, io);
	if (!r && dev)
		*dev = io->dev;
	return r;
}

/*
 * Create device @name with @n targets (see dm_load()): loads the table,
 * resumes the device and makes /dev/mapper/@name.
 */
static inline int dm_create(const char *name, char *const *lines, int n)
{
	__u64 buf[DM_BUF_SIZE / 8];
	char path[256];
	__u64 dev;
	int r;

	r = dm_call(DM_DEV_CREATE, dm_req(buf, name));
	if (r)
		return r;
	r = dm_load(name, lines, n);
	if (r)
		goto undo;
	r = dm_suspend(name, false, 0, &dev);	/* resume = activate */
	if (r)
		goto undo;
	/* The kernel's encoding of dev_t (huge_encode_dev). */
	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	unlink(path);
	if (mknod(path, S_IFBLK | 0600,
		  makedev((unsigned int)((dev >> 8) & 0xfff),
			  (unsigned int)((dev & 0xff) | ((dev >> 12) & 0xfff00)))) < 0) {
		r = -errno;
		goto undo;
	}
	return 0;
undo:
	dm_call(DM_DEV_REMOVE, dm_req(buf, name));
	return r;
}

/*
 * Swap @name's table for @n new targets: suspend, load, resume.  The suspend
 * skips the freeze that would write the device's dirty page cache first: a
 * test that switches to failing writes wants those pages to fail.
 */
static inline int dm_reload(const char *name, char *const *lines, int n)
{
	int r = dm_suspend(name, true, DM_SKIP_LOCKFS_FLAG, NULL);

	if (r)
		return r;
	r = dm_load(name, lines, n);
	/* Resume swaps in the new table if it loaded, else resumes the old one. */
	return dm_suspend(name, false, 0, NULL) ?: r;
}

static inline int dm_remove(const char *name)
{
	__u64 buf[DM_BUF_SIZE / 8];
	char path[256];
	int r = dm_call(DM_DEV_REMOVE, dm_req(buf, name));

	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	if (!r)
		unlink(path);
	return r;
}

/* Send @msg (e.g. "mark L12") to the target at sector 0 of device @name. */
static inline int dm_message(const char *name, const char *msg)
{
	__u64 buf[DM_BUF_SIZE / 8];
	struct dm_ioctl *io = dm_req(buf, name);
	struct dm_target_msg *m = (void *)((char *)buf + sizeof(*io));
	size_t len = strlen(msg) + 1;

	if (sizeof(*io) + sizeof(*m) + len > DM_BUF_SIZE)
		return -E2BIG;
	m->sector = 0;
	memcpy(m->message, msg, len);
	return dm_call(DM_TARGET_MSG, io);
}

/* The status (INFO) line of each target of @name, one per line, into @out. */
static inline int dm_status(const char *name, char *out, size_t outlen)
{
	__u64 buf[DM_BUF_SIZE / 8];
	struct dm_ioctl *io = dm_req(buf, name);
	size_t off, o = 0;
	unsigned int i;
	int r = dm_call(DM_TABLE_STATUS, io);

	if (r)
		return r;
	if (io->flags & DM_BUFFER_FULL_FLAG)
		return -E2BIG;
	out[0] = 0;
	off = io->data_start;
	for (i = 0; i < io->target_count && off < DM_BUF_SIZE; i++) {
		struct dm_target_spec *sp = (void *)((char *)buf + off);

		o += snprintf(out + o, o < outlen ? outlen - o : 0, "%llu %llu %s %s\n",
			      (unsigned long long)sp->sector_start,
			      (unsigned long long)sp->length, sp->target_type, (char *)(sp + 1));
		if (!sp->next)
			break;
		off = io->data_start + sp->next;	/* status: next is from data_start */
	}
	return 0;
}

#endif /* SCRATCH_CRASH_DM_H */
