// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Asynchronous reads: a queue is one io_uring and a table of slots, one per
 * read in flight.  scratch_queue_get() STATs the atom and prepares its read;
 * scratch_queue_submit() hands the reads to the kernel; scratch_queue_reap()
 * finishes the completed ones (checksum, decompression, the presence check)
 * and returns them with the caller's user_data.  Batch gets run on queues
 * from a per-handle pool, so threads sharing a handle never share a ring.
 *
 * Each slot has at most one SQE outstanding (a short read is resubmitted from
 * its completion), so a ring of depth entries never runs out of SQEs.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>

#include "lib.h"

struct sc_slot {
	struct sc_plan	plan;
	void		*buf;
	void		*stored;	/* buf, or a bounce buffer (zstd, short buffers) */
	uint64_t	cap;
	uint64_t	user_data;
	uint64_t	done;		/* stored bytes read so far */
	int		res;		/* a result known without I/O */
	bool		planned;	/* plan holds the STAT of the id */
};

struct scratch_queue {
	struct scratch		*s;
	struct io_uring		ring;
	unsigned int		depth;
	unsigned int		nfree;
	unsigned int		ready_head;	/* slots done without I/O: a FIFO */
	unsigned int		ready_tail;
	unsigned int		io;		/* slots with a read in the kernel */
	unsigned int		unsubmitted;	/* SQEs prepared, not yet submitted */
	struct sc_slot		*slots;
	uint32_t		*free;		/* depth entries */
	uint32_t		*ready;		/* depth entries */
	struct scratch_queue	*next;		/* in the handle's pool */
};

__scratch_export
int scratch_queue_init(struct scratch *s, unsigned int depth, unsigned int flags,
		       struct scratch_queue **qp)
{
	struct scratch_queue *q;
	unsigned int i;
	int ret;

	if (!s || !qp || flags || depth > SCRATCH_MAX_QD)
		return -EINVAL;
	if (!depth)
		depth = s->qd;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->s = s;
	q->depth = depth;
	q->slots = calloc(depth, sizeof(*q->slots));
	q->free = calloc(depth, sizeof(*q->free));
	q->ready = calloc(depth, sizeof(*q->ready));
	if (!q->slots || !q->free || !q->ready) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < depth; i++)
		q->free[i] = depth - 1 - i;
	q->nfree = depth;
	ret = io_uring_queue_init(depth, &q->ring, 0);
	if (ret)
		goto err_free;
	*qp = q;
	return 0;

err_free:
	free(q->ready);
	free(q->free);
	free(q->slots);
	free(q);
	return ret;
}

__scratch_export
void scratch_queue_exit(struct scratch_queue *q)
{
	unsigned int i;

	if (!q)
		return;
	/* Closing the ring cancels reads still in flight; wait them out first. */
	while (q->io) {
		struct io_uring_cqe *cqe;
		int ret = io_uring_submit_and_wait(&q->ring, 1);

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
			break;
		q->unsubmitted = 0;
		while (!io_uring_peek_cqe(&q->ring, &cqe)) {
			io_uring_cqe_seen(&q->ring, cqe);
			q->io--;
		}
	}
	io_uring_queue_exit(&q->ring);
	for (i = 0; i < q->depth; i++)
		if (q->slots[i].stored != q->slots[i].buf)
			free(q->slots[i].stored);
	free(q->ready);
	free(q->free);
	free(q->slots);
	free(q);
}

/* Queue the next piece of @sl's read. */
static int sc_slot_read(struct scratch_queue *q, uint32_t idx)
{
	struct sc_slot *sl = &q->slots[idx];
	uint64_t left = sl->plan.stored_len - sl->done;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, q->s->fd, (char *)sl->stored + sl->done,
			   (unsigned int)(left < SC_READ_CHUNK ? left : SC_READ_CHUNK),
			   sl->plan.offset + sl->done);
	io_uring_sqe_set_data64(sqe, idx);
	q->unsubmitted++;
	return 0;
}

static void sc_slot_ready(struct scratch_queue *q, uint32_t idx, int res)
{
	q->slots[idx].res = res;
	q->ready[q->ready_tail++ % q->depth] = idx;
}

__scratch_export
int scratch_queue_get(struct scratch_queue *q, struct scratch_id id, void *buf, uint64_t cap,
		      unsigned int flags, uint64_t user_data)
{
	struct scratch_stat st;
	struct sc_slot *sl;
	uint32_t idx;
	int ret;

	if (!q || (cap && !buf) || __scratch_check_flags(flags, SCRATCH_GET_ALL))
		return -EINVAL;
	if (!q->nfree)
		return -EBUSY;
	idx = q->free[--q->nfree];
	sl = &q->slots[idx];
	*sl = (struct sc_slot){ .buf = buf, .cap = cap, .user_data = user_data };
	/* Failures known now complete like any other read, in order. */
	ret = __scratch_stat(q->s, id, &st);
	if (!ret)
		ret = __scratch_plan(&st, id, __scratch_verify(q->s, flags), &sl->plan);
	if (!ret && sl->plan.length > cap) {
		sl->done = sl->plan.length;	/* reported as len */
		ret = -ENOBUFS;
	}
	if (!ret) {
		sl->stored = __scratch_in_place(&sl->plan, cap) ? buf :
			     malloc((size_t)sl->plan.stored_len);
		if (!sl->stored && sl->plan.stored_len)
			ret = -ENOMEM;
	}
	sl->planned = !ret;
	if (!ret && !sl->plan.stored_len) {
		sc_slot_ready(q, idx, 0);	/* an empty part: nothing to read */
		return 0;
	}
	if (!ret)
		ret = sc_slot_read(q, idx);
	if (ret) {
		sc_slot_ready(q, idx, ret);
		return 0;
	}
	q->io++;
	return 0;
}

__scratch_export
int scratch_queue_submit(struct scratch_queue *q)
{
	int ret;

	if (!q)
		return -EINVAL;
	if (!q->unsubmitted)
		return 0;
	ret = io_uring_submit(&q->ring);
	if (ret < 0)
		return ret;
	q->unsubmitted -= (unsigned int)ret < q->unsubmitted ? (unsigned int)ret : q->unsubmitted;
	return ret;
}

/*
 * A completion for slot @idx; the slot goes back to the free list.  Returns
 * true when the bytes still need the presence check (they were not hashed):
 * the caller batches those into one PRESENT call.
 */
static bool sc_slot_complete(struct scratch_queue *q, uint32_t idx, struct scratch_completion *c)
{
	struct sc_slot *sl = &q->slots[idx];
	uint64_t len = sl->res == -ENOBUFS ? sl->done : 0;
	int res = sl->res;
	bool check;

	if (!res)
		res = __scratch_finish(&sl->plan, sl->stored, sl->buf, sl->cap, &len);
	if (sl->planned && (res == -EBADMSG || res == -EIO))
		res = __scratch_gone(q->s, sl->plan.id, res);
	check = sl->planned && !res && !sl->plan.verify;
	if (sl->stored != sl->buf)
		free(sl->stored);
	sl->stored = NULL;
	sl->buf = NULL;
	*c = (struct scratch_completion){ .user_data = sl->user_data, .len = len, .res = res };
	q->free[q->nfree++] = idx;
	return check;
}

#define SC_CHECK_BATCH	64

/* The ids of @n completions in @out at @pos: one PRESENT call; gone ones are -ENOENT. */
static void sc_check_present(struct scratch_queue *q, const struct scratch_id *ids,
			     const unsigned int *pos, unsigned int n,
			     struct scratch_completion *out)
{
	uint8_t here[SC_CHECK_BATCH];
	unsigned int i;
	int ret;

	if (!n)
		return;
	ret = scratch_atom_present(q->s, ids, n, here);
	for (i = 0; i < n; i++) {
		if (ret < 0 || !here[i]) {
			out[pos[i]].res = ret < 0 ? ret : -ENOENT;
			out[pos[i]].len = 0;
		}
	}
}

/* One CQE: finished (the slot moves to ready), or the rest is resubmitted. */
static void sc_cqe(struct scratch_queue *q, struct io_uring_cqe *cqe)
{
	uint32_t idx = (uint32_t)io_uring_cqe_get_data64(cqe);
	struct sc_slot *sl = &q->slots[idx];
	int res = cqe->res;

	q->io--;
	if (res > 0) {
		sl->done += (uint64_t)res;
		if (sl->done < sl->plan.stored_len) {
			if (!sc_slot_read(q, idx)) {
				q->io++;
				return;
			}
			res = -EBUSY;
		}
	} else if (!res) {
		res = -EIO;	/* end of the atom before its end */
	}
	sc_slot_ready(q, idx, res > 0 ? 0 : res);
}

__scratch_export
int scratch_queue_reap(struct scratch_queue *q, struct scratch_completion *out, unsigned int max,
		       unsigned int wait_nr)
{
	struct scratch_id ids[SC_CHECK_BATCH];
	unsigned int pos[SC_CHECK_BATCH], k = 0, n = 0;
	struct io_uring_cqe *cqe;
	int ret = 0;

	if (!q || (max && !out) || wait_nr > max || max > INT_MAX)
		return -EINVAL;
	for (;;) {
		while (!io_uring_peek_cqe(&q->ring, &cqe)) {
			sc_cqe(q, cqe);
			io_uring_cqe_seen(&q->ring, cqe);
		}
		while (n < max && q->ready_head != q->ready_tail) {
			uint32_t idx = q->ready[q->ready_head++ % q->depth];
			struct scratch_id id = q->slots[idx].plan.id;

			if (sc_slot_complete(q, idx, &out[n])) {
				ids[k] = id;
				pos[k++] = n;
			}
			n++;
			if (k == SC_CHECK_BATCH) {
				sc_check_present(q, ids, pos, k, out);
				k = 0;
			}
		}
		if (n >= wait_nr || n >= max || (!q->io && q->ready_head == q->ready_tail))
			break;
		ret = io_uring_submit_and_wait(&q->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
			break;
		if (ret > 0)
			q->unsubmitted -= (unsigned int)ret < q->unsubmitted ?
					  (unsigned int)ret : q->unsubmitted;
	}
	sc_check_present(q, ids, pos, k, out);
	/* Resubmitted pieces of short reads go out now, not at the next call. */
	if (q->unsubmitted)
		scratch_queue_submit(q);
	return n || ret >= 0 || ret == -EINTR || ret == -EAGAIN ? (int)n : ret;
}

__scratch_export
unsigned int scratch_queue_inflight(const struct scratch_queue *q)
{
	return q ? q->depth - q->nfree : 0;
}

__scratch_export
int scratch_queue_fd(const struct scratch_queue *q)
{
	return q ? q->ring.ring_fd : -EINVAL;
}

/* ---- batch gets, on pooled queues ----------------------------------------------- */

static int sc_pool_take(struct scratch *s, struct scratch_queue **qp)
{
	pthread_mutex_lock(&s->pool_lock);
	*qp = s->pool;
	if (*qp)
		s->pool = (*qp)->next;
	pthread_mutex_unlock(&s->pool_lock);
	return *qp ? 0 : scratch_queue_init(s, s->qd, 0, qp);
}

static void sc_pool_put(struct scratch *s, struct scratch_queue *q)
{
	pthread_mutex_lock(&s->pool_lock);
	q->next = s->pool;
	s->pool = q;
	pthread_mutex_unlock(&s->pool_lock);
}

void __scratch_pool_drain(struct scratch *s)
{
	struct scratch_queue *q;

	while ((q = s->pool)) {
		s->pool = q->next;
		scratch_queue_exit(q);
	}
}

#define SC_REAP_BATCH	64

__scratch_export
int scratch_atom_get_batch(struct scratch *s, struct scratch_get *reqs, unsigned int n,
			   unsigned int flags)
{
	struct scratch_completion c[SC_REAP_BATCH];
	unsigned int next = 0, done = 0, ok = 0, i;
	struct scratch_queue *q;
	int ret;

	if (!s || (n && !reqs) || n > INT_MAX || __scratch_check_flags(flags, SCRATCH_GET_ALL))
		return -EINVAL;
	if (!n)
		return 0;
	ret = sc_pool_take(s, &q);
	if (ret)
		return ret;
	while (done < n) {
		for (; next < n; next++) {
			struct scratch_get *g = &reqs[next];

			/* reserved must be zero: it may carry flags one day. */
			ret = g->reserved ? -EINVAL :
			      scratch_queue_get(q, g->id, g->buf, g->cap, flags, next);
			if (ret == -EBUSY)
				break;
			if (ret) {
				g->res = ret;
				g->len = 0;
				done++;
			}
		}
		ret = scratch_queue_submit(q);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			break;
		ret = scratch_queue_reap(q, c, SC_REAP_BATCH, 1);
		if (ret < 0)
			break;
		for (i = 0; i < (unsigned int)ret; i++) {
			struct scratch_get *g = &reqs[c[i].user_data];

			g->res = c[i].res;
			g->len = c[i].len;
			ok += !c[i].res;
		}
		done += (unsigned int)ret;
	}
	if (done < n) {
		/* The ring failed: no buffer may be written after we return. */
		scratch_queue_exit(q);
		return ret < 0 ? ret : -EIO;
	}
	sc_pool_put(s, q);
	return (int)ok;
}
