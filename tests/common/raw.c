// SPDX-License-Identifier: GPL-2.0
/*
 * The drive under a detached space: the format's geometry recomputed
 * independently, and raw reads, writes and bit flips around the page cache
 * (corruption, verify).
 */
#include "scratch_test.h"

__u64 st_payload_bytes(unsigned int shift)
{
	__u64 pages = 1ULL << (shift - 12);
	__u64 slots = pages / 4;

	if (slots < 64)
		slots = 64;
	slots = ST_ROUND_UP(slots, 64);
	return (pages - 1 - slots / 64) * ST_PAGE;
}

/* Segments of a region of @len bytes: 0 if it cannot hold two. */
__u64 st_region_segs(unsigned int shift, __u64 len)
{
	__u64 n;

	if (len <= SCRATCH_DISK_DATA_OFF)
		return 0;
	n = (len - SCRATCH_DISK_DATA_OFF) >> shift;
	return n < 2 ? 0 : n;
}

/*
 * Device offset of space offset @off of a one-region space on @r: the
 * header formula (data from 1 MiB, segment i at i << seg_shift).
 */
__u64 st_dev_pos(const struct st_region *r, __u64 off)
{
	return r->offset + SCRATCH_DISK_DATA_OFF + off;
}

/*
 * pread or pwrite @len bytes at @off of a device, around stale cached copies
 * on either side (BLKFLSBUF before and after), durably for a write.
 */
int st_dev_rw(const char *dev, bool wr, void *buf, size_t len, __u64 off)
{
	int fd = open(dev, (wr ? O_RDWR : O_RDONLY) | O_CLOEXEC), r = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	ioctl(fd, BLKFLSBUF, 0);
	n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	if (n != (ssize_t)len)
		r = n < 0 ? -errno : -EIO;
	if (!r && wr && fsync(fd))
		r = -errno;
	if (!r && ioctl(fd, BLKFLSBUF, 0))
		r = -errno;
	close(fd);
	return r;
}

/* XOR the byte at @off of a device with @mask. */
int st_xor(const char *dev, __u64 off, unsigned char mask)
{
	unsigned char b;
	int r = st_dev_rw(dev, false, &b, 1, off);

	if (r)
		return r;
	b ^= mask;
	return st_dev_rw(dev, true, &b, 1, off);
}

/* Flip one bit of the byte at @off of a device. */
int st_flip(const char *dev, __u64 off)
{
	return st_xor(dev, off, 0x40);
}
