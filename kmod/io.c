// SPDX-License-Identifier: GPL-2.0
/*
 * Data path: reads and writes on /dev/scratchN are forwarded to the backing
 * device's file at the translated offset, so they go through its page cache
 * (or O_DIRECT) and stay coherent with mappings.  Nothing is copied into
 * buffers of our own.
 */
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/uio.h>
#include "scratch.h"

static u64 sc_dev_pos(struct sc_space *s, struct sc_segment *seg, u64 off)
{
	return sc_seg_dev_pos(s, seg) + (off & ((1ULL << s->geom.seg_shift) - 1));
}

ssize_t scratch_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct sc_file *f = iocb->ki_filp->private_data;
	struct sc_space *s = f->space;
	size_t count = iov_iter_count(to), want;
	struct sc_segment *seg;
	struct sc_region *r;
	struct sc_pin pin;
	struct kiocb k;
	u64 avail;
	ssize_t ret;

	if (!count)
		return 0;
	scratch_file_bind(f);
	ret = scratch_atom_pin(s, f->tenant, iocb->ki_pos, &pin);
	if (ret)
		return ret;
	seg = pin.seg;
	avail = pin.avail;
	/*
	 * A reloaded atom is hashed before its first byte is served.  That
	 * is I/O: a non-blocking read fails with -EAGAIN, and io_uring's
	 * page-waiting retry (IOCB_WAITQ) too, so that the check runs in an
	 * io-wq worker instead of the submitter.
	 */
	ret = scratch_pin_verify(s, &pin, iocb->ki_flags & (IOCB_NOWAIT | IOCB_WAITQ) ?
				 SC_V_NOWAIT : 0);
	if (ret) {
		scratch_seg_unpin(s, seg);
		return ret;
	}
	r = sc_seg_region(s, seg);
	/*
	 * O_DIRECT moves whole sectors: read up to the sector-rounded end
	 * (commit zeroed the atom's last page past its end) and report only
	 * the atom's own bytes.
	 */
	if (iocb->ki_flags & IOCB_DIRECT)
		want = min_t(u64, count, round_up(avail, bdev_logical_block_size(r->bdev)));
	else
		want = min_t(u64, count, avail);
	iov_iter_truncate(to, want);

	/*
	 * The device's own kiocb.  Under IOCB_WAITQ it carries io_uring's
	 * wait entry: the page cache queues that entry, never this kiocb,
	 * so the kiocb can live on the stack; the retry looks the atom up
	 * again (and finds it gone if it was evicted meanwhile).
	 */
	init_sync_kiocb(&k, r->file);
	k.ki_pos = sc_dev_pos(s, seg, iocb->ki_pos);
	k.ki_flags |= iocb->ki_flags & (IOCB_NOWAIT | IOCB_DIRECT | IOCB_HIPRI | IOCB_WAITQ);
	if (iocb->ki_flags & IOCB_WAITQ)
		k.ki_waitq = iocb->ki_waitq;
	ret = r->file->f_op->read_iter(&k, to);
	/*
	 * io_uring does not retry short reads on a character device: a
	 * non-blocking read that found only part of the range cached must
	 * fail whole, so that io_uring retries it (waiting on the page).
	 * On that retry (IOCB_WAITQ) io_uring handles partial reads itself.
	 */
	if ((iocb->ki_flags & IOCB_NOWAIT) && !(iocb->ki_flags & IOCB_WAITQ) &&
	    ret > 0 && ret < want) {
		iov_iter_revert(to, ret);
		ret = -EAGAIN;
	}
	if (ret > 0 && ret > avail) {
		iov_iter_revert(to, ret - avail);
		ret = avail;
	}
	iov_iter_reexpand(to, iov_iter_count(to) + (count - want));
	if (ret > 0) {
		iocb->ki_pos += ret;
		atomic64_add(ret, &s->bytes_read);
	}
	scratch_seg_unpin(s, seg);
	return ret;
}

/*
 * Find this fd's reservation holding [pos, pos + len) and check the write
 * rules: page-aligned start, page-aligned end or the atom's end.  Counts the
 * write in flight so that COMMIT cannot race it.
 */
static struct sc_resv *sc_write_begin(struct sc_file *f, u64 pos, size_t len)
{
	struct sc_resv *res;
	u64 rel;

	spin_lock(&f->lock);
	list_for_each_entry(res, &f->resv, node) {
		if (pos < res->off || pos >= res->off + res->stored_len)
			continue;
		rel = pos - res->off;
		if (rel & (SC_PAGE - 1) || len > res->stored_len - rel)
			break;
		if (((rel + len) & (SC_PAGE - 1)) && rel + len != res->stored_len)
			break;
		res->inflight++;
		spin_unlock(&f->lock);
		return res;
	}
	spin_unlock(&f->lock);
	return NULL;
}

static void sc_write_end(struct sc_file *f, struct sc_resv *res, u64 pos, size_t done)
{
	u64 rel = pos - res->off, end = rel + done;
	u32 first = rel >> SC_PAGE_SHIFT, last;

	/* Only whole pages (or the atom's final bytes) count as written. */
	last = end == res->stored_len ? sc_pages(end) : end >> SC_PAGE_SHIFT;
	spin_lock(&f->lock);
	if (last > first)
		bitmap_set(res->written, first, last - first);
	res->inflight--;
	spin_unlock(&f->lock);
}

ssize_t scratch_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct sc_file *f = iocb->ki_filp->private_data;
	struct sc_space *s = f->space;
	size_t count = iov_iter_count(from);
	struct sc_resv *res;
	loff_t pos;
	ssize_t ret;

	/* Buffered writes can block on writeback: io_uring runs them in a worker. */
	if (iocb->ki_flags & IOCB_NOWAIT)
		return -EAGAIN;
	if (!count)
		return 0;
	scratch_file_bind(f);
	res = sc_write_begin(f, iocb->ki_pos, count);
	if (!res)
		return -EINVAL;
	pos = sc_dev_pos(s, res->seg, iocb->ki_pos);
	ret = vfs_iter_write(sc_seg_region(s, res->seg)->file, from, &pos, 0);
	sc_write_end(f, res, iocb->ki_pos, ret > 0 ? ret : 0);
	if (ret > 0) {
		iocb->ki_pos += ret;
		atomic64_add(ret, &s->bytes_written);
	}
	return ret;
}
