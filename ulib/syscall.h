/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The one place in libscratch that reads errno: one tiny wrapper per system
 * call, each returning the result or -errno.  Nothing else in ulib/ may look
 * at errno (scripts/lint.sh checks it).
 */
#ifndef LIBSCRATCH_SYSCALL_H
#define LIBSCRATCH_SYSCALL_H

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

static inline int __sys_neg(long r)
{
	return r < 0 ? (errno ? -errno : -EIO) : 0;
}

static inline int __sys_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? __sys_neg(fd) : fd;
}

static inline int __sys_close(int fd)
{
	return __sys_neg(close(fd));
}

/* ioctl: the ioctl's non-negative result, or -errno. */
static inline int __sys_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? __sys_neg(r) : r;
}

static inline ssize_t __sys_pread(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n < 0 ? __sys_neg(n) : n;
}

static inline ssize_t __sys_pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	ssize_t n = pwritev(fd, iov, cnt, off);

	return n < 0 ? __sys_neg(n) : n;
}

/* mmap: 0 and *out, or -errno. */
static inline int __sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
			     off_t off, void **out)
{
	void *p = mmap(addr, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return __sys_neg(-1);
	*out = p;
	return 0;
}

static inline int __sys_munmap(void *addr, size_t len)
{
	return __sys_neg(munmap(addr, len));
}

static inline int __sys_mprotect(void *addr, size_t len, int prot)
{
	return __sys_neg(mprotect(addr, len, prot));
}

#endif /* LIBSCRATCH_SYSCALL_H */
