// SPDX-License-Identifier: GPL-2.0
/*
 * Data path: reads and writes on /dev/scratchN are forwarded to the backing
 * device's file at the translated offset, so they go through its page cache
 * (or O_DIRECT) and stay coherent with mappings.  Nothing is copied into
 * buffers of our own.
 *
 * A read is atomic: each ->read_iter call returns the requested bytes
 * (clipped at the atom's end) from one pin of the atom, or fails having
 * returned nothing.  Callers that retry at the advanced position (io_uring,
 * a library after a short read) so never see the bytes of two atoms.
 */
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include "scratch_priv.h"

/* One read of the device file at @dpos into @to, with the caller's mode in @flags. */
static ssize_t sc_read_dev(struct sc_region *r, u64 dpos, struct kiocb *iocb, int flags,
			   struct iov_iter *to)
{
	struct kiocb k;

	/*
	 * Under IOCB_WAITQ the kiocb carries io_uring's wait entry: the page
	 * cache queues that entry, never this kiocb, so it can live on the
	 * stack.
	 */
	init_sync_kiocb(&k, r->file);
	k.ki_pos = dpos;
	k.ki_flags |= flags;
	if (flags & IOCB_WAITQ)
		k.ki_waitq = iocb->ki_waitq;
	return r->file->f_op->read_iter(&k, to);
}

/*
 * Blocking, or non-blocking (io_uring's inline attempt, RWF_NOWAIT): all of
 * @want or an error.  A blocking read that stops short (a page that would
 * not read, a fault in the user's buffer, a fatal signal) is asked for the
 * rest, which fails with the error itself; a non-blocking one that would be
 * short is -EAGAIN, and io_uring retries it whole.
 */
static ssize_t sc_read_all(struct sc_region *r, u64 dpos, struct kiocb *iocb,
			   struct iov_iter *to, size_t want)
{
	int flags = iocb->ki_flags & (IOCB_NOWAIT | IOCB_DIRECT | IOCB_HIPRI);
	size_t done = 0;
	ssize_t ret;

	while (done < want) {
		ret = sc_read_dev(r, dpos + done, iocb, flags, to);
		if (ret > 0 && !(flags & IOCB_NOWAIT)) {
			done += ret;
			continue;
		}
		if (ret > 0 && done + ret == want)
			return want;
		iov_iter_revert(to, done + max_t(ssize_t, ret, 0));
		if (ret > 0)
			return -EAGAIN;
		if (!ret || ret == -EIO) {
			atomic64_inc(&r->read_errors);
			return -EIO;
		}
		return ret;
	}
	return done;
}

/*
 * io_uring's retry after its inline attempt found pages uncached
 * (IOCB_WAITQ): it calls ->read_iter again and again at the advanced
 * position until the request is complete.  So this returns either the whole
 * rest of the request or nothing: a partial count would be followed by a call
 * past the atom's end (into the next atom), or by a call after a wait, when
 * the atom may be gone.  While part of the range is uncached, nothing is
 * copied: the first uncached page is read (with readahead for the rest) on a
 * copy of the iterator, which arms io_uring's wait on it, and io_uring calls
 * again when it is read.  A request larger than the atom is left to an io-wq
 * worker (-EAGAIN), which reads it in one blocking call.
 */
static ssize_t sc_read_waitq(struct sc_region *r, u64 dpos, struct kiocb *iocb,
			     struct iov_iter *to, size_t want)
{
	struct iov_iter w;
	ssize_t ret;
	u64 upto;
	int tries;

	if (want < iov_iter_count(to))
		return -EAGAIN;
	for (tries = 0; tries < 4; tries++) {
		upto = scratch_region_cached_upto(r, dpos, want);
		if (upto == dpos + want) {
			ret = sc_read_dev(r, dpos, iocb, IOCB_NOWAIT, to);
			if (ret == want)
				return ret;
			/* A page went meanwhile: look again. */
			if (ret > 0)
				iov_iter_revert(to, ret);
			else if (ret != -EAGAIN)
				return ret;
			continue;
		}
		w = *to;
		iov_iter_advance(&w, upto - dpos);
		/* -EIOCBQUEUED: io_uring calls again, from the start, once the page is read. */
		ret = sc_read_dev(r, upto, iocb, IOCB_WAITQ, &w);
		if (ret <= 0)
			return ret;
	}
	return -EAGAIN;
}

ssize_t scratch_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct sc_file *f = iocb->ki_filp->private_data;
	struct sc_space *s = f->space;
	size_t count = iov_iter_count(to), want;
	struct sc_region *r;
	struct sc_pin pin;
	u64 avail, dpos;
	ssize_t ret;

	if (!count)
		return 0;
	/* The device's direct I/O would block the io_uring submitter: a worker does it. */
	if ((iocb->ki_flags & (IOCB_DIRECT | IOCB_NOWAIT)) == (IOCB_DIRECT | IOCB_NOWAIT))
		return -EAGAIN;
	ret = scratch_file_use(f);
	if (ret)
		return ret;
	/*
	 * A reloaded atom is hashed before its first byte is served.  That
	 * is I/O: a non-blocking read fails with -EAGAIN, and io_uring's
	 * page-waiting retry (IOCB_WAITQ) too, so that the check runs in an
	 * io-wq worker instead of the submitter.
	 */
	ret = scratch_atom_pin_read(s, f->tenant, iocb->ki_pos, count, &pin,
				    (iocb->ki_flags & (IOCB_NOWAIT | IOCB_WAITQ) ? SC_V_NOWAIT : 0) |
				    (iocb->ki_flags & IOCB_DIRECT ? SC_V_FRESH : 0));
	if (ret)
		return ret;
	avail = pin.avail;
	r = sc_seg_region(s, pin.seg);
	dpos = sc_dev_pos(s, pin.seg, iocb->ki_pos);
	/*
	 * O_DIRECT moves whole sectors: read up to the sector-rounded end
	 * (commit zeroed the atom's last page past its end) and report only
	 * the atom's own bytes.
	 */
	if (iocb->ki_flags & IOCB_DIRECT)
		want = min_t(u64, count, round_up(avail, bdev_logical_block_size(r->bdev)));
	else
		want = min_t(u64, count, avail);

	if (iocb->ki_flags & IOCB_WAITQ) {
		ret = sc_read_waitq(r, dpos, iocb, to, want);
	} else {
		iov_iter_truncate(to, want);
		ret = sc_read_all(r, dpos, iocb, to, want);
		iov_iter_reexpand(to, iov_iter_count(to) + (count - want));
	}
	if (ret > 0 && ret > avail) {
		iov_iter_revert(to, ret - avail);
		ret = avail;
	}
	/*
	 * An atom not yet durable that a write error dropped during the read
	 * (handled here or by anyone else) may have been read back from the
	 * drive: the read fails as a read of the missing atom would.
	 */
	if (!(pin.state & SC_A_DURABLE) && scratch_region_wb_new(s, pin.seg->region))
		scratch_region_wb_check(s, pin.seg->region);
	if (!scratch_pin_put(s, &pin) && ret > 0 && !(pin.state & SC_A_DURABLE)) {
		iov_iter_revert(to, ret);
		ret = -ENOENT;
	}
	if (ret > 0) {
		iocb->ki_pos += ret;
		atomic64_add(ret, &s->bytes_read);
		atomic64_add(ret, &scratch_tstat(s, f->tenant)->read);
	}
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
	ret = scratch_file_use(f);
	if (ret)
		return ret;
	res = sc_write_begin(f, iocb->ki_pos, count);
	if (!res)
		return -EINVAL;
	pos = sc_dev_pos(s, res->seg, iocb->ki_pos);
	ret = sc_dev_err(vfs_iter_write(sc_seg_region(s, res->seg)->file, from, &pos, 0));
	sc_write_end(f, res, iocb->ki_pos, ret > 0 ? ret : 0);
	if (ret > 0) {
		iocb->ki_pos += ret;
		atomic64_add(ret, &s->bytes_written);
		atomic64_add(ret, &scratch_tstat(s, f->tenant)->written);
		scratch_rate_tick(s);
	}
	return ret;
}
