// SPDX-License-Identifier: GPL-2.0
/*
 * The guest around the tests: its two test drives, sysfs/procfs/debugfs
 * files, the page cache, capabilities and the shell.
 */
#include <dirent.h>

#include "scratch_test.h"

/*
 * The two free test drives: $SCRATCH_DRIVES (set by the guest init, drives
 * in -drive order) or /dev/nvme0n1 and /dev/nvme1n1.
 */
const char *st_dev(int i)
{
	static char devs[2][64];
	static bool done;

	if (!done) {
		const char *env = getenv("SCRATCH_DRIVES");

		strcpy(devs[0], "/dev/nvme0n1");
		strcpy(devs[1], "/dev/nvme1n1");
		if (env && *env) {
			char a[64] = "", b[64] = "";

			if (sscanf(env, "%63s %63s", a, b) == 2) {
				strcpy(devs[0], a);
				strcpy(devs[1], b);
			}
		}
		done = true;
	}
	return devs[i & 1];
}

/* Can someone else claim @dev exclusively?  (The module must hold it.) */
int st_excl_open(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int st_dev_size(const char *path, __u64 *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, size) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Set or clear the block layer's read-only flag of a whole device. */
int st_dev_set_ro(const char *path, int ro)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKROSET, &ro) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Zero @len bytes at @off of a device, durably (so the module reads zeros). */
int st_dev_zero(const char *path, __u64 off, __u64 len)
{
	static const unsigned char zero[ST_PAGE];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	while (len && !r) {
		size_t n = ST_MIN(len, sizeof(zero));
		ssize_t w = pwrite(fd, zero, n, off);

		if (w < 0)
			r = -errno;
		else if ((size_t)w != n)
			r = -EIO;
		off += n;
		len -= n;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	/* Drop the cached copy: the module may read through bios. */
	if (!r && ioctl(fd, BLKFLSBUF, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* A field of /proc/meminfo in bytes, or 0 when missing. */
__u64 st_meminfo(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	__u64 v = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, 10) * 1024;
			break;
		}
	}
	fclose(f);
	return v;
}

/* Write printf-formatted text to a sysfs, procfs, debugfs or cgroup file: 0/-errno. */
int st_write_file(const char *path, const char *fmt, ...)
{
	char v[128];
	va_list ap;
	int fd, n, r = 0;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(v))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, v, n) != n)
		r = -errno;
	close(fd);
	return r;
}

/* POSIX_FADV_DONTNEED on a block device's whole mapping; a device that will not open is skipped. */
static int st_dontneed(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return 0;
	r = -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return r;
}

/*
 * Drop clean cached pages.  drop_caches alone does not reach the block
 * devices' page cache on every kernel (6.12 keeps it), and it skips pages
 * that still sit in a CPU's LRU batch; POSIX_FADV_DONTNEED drains those
 * batches when it has to.  So the drives' mappings, and those of the
 * device-mapper devices a test may have put a space on, are told too.
 */
int st_drop_caches(void)
{
	char dev[300];
	struct dirent *d;
	DIR *dir;
	int fd, i, r = 0;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "3", 1) != 1)
		r = -errno;
	close(fd);
	for (i = 0; i < 2 && !r; i++)
		r = st_dontneed(st_dev(i));
	dir = opendir("/sys/block");
	while (dir && !r && (d = readdir(dir))) {
		if (strncmp(d->d_name, "dm-", 3))
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", d->d_name);
		r = st_dontneed(dev);
	}
	if (dir)
		closedir(dir);
	return r;
}

/* Drop CAP_SYS_ADMIN from this process (a forked child's). */
int st_drop_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[0].effective &= ~(1U << CAP_SYS_ADMIN);
	d[0].permitted &= ~(1U << CAP_SYS_ADMIN);
	d[0].inheritable &= ~(1U << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}
