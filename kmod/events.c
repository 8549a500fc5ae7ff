// SPDX-License-Identifier: GPL-2.0
/*
 * Eviction events: every eviction appends (segment, generation it had) to a
 * ring of the space, and an events fd lets an engine learn which atoms died
 * without probing each id: poll()/epoll say when there is something new,
 * EVICTIONS copies the evictions past the caller's cursor, and the library
 * matches them against ids (an id names its segment and generation) with no
 * I/O.
 *
 * The events fd is a file of its own, not the space's fd: a ->poll on the
 * space's fd would change how io_uring waits for its reads (it would poll
 * for readiness instead of waiting on the page).  It counts as an open of
 * the space (detach is EBUSY while it lives) and holds the module.
 *
 * State, under space->lock: ev_ring (ev_size entries, allocated with the
 * segments), ev_head (evictions since attach; entry i is ev_ring[i %
 * ev_size] while i >= ev_head - ev_size).  ev_wq is woken after each
 * eviction, outside the lock.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "scratch_priv.h"

/* The most recent evictions kept: two full turns of the space, at least 4096. */
#define SC_EV_MIN		4096U
#define SC_EV_MAX		(1U << 20)
/* Copied out per round of the lock. */
#define SC_EV_CHUNK		256U

struct sc_evfile {
	struct sc_space *space;
	spinlock_t lock;
	u64 armed;		/* poll is ready while ev_head is past this */
};

int scratch_events_init(struct sc_space *s)
{
	s->ev_size = clamp_t(u64, 2 * s->nr_segs, SC_EV_MIN, SC_EV_MAX);
	s->ev_ring = kvcalloc(s->ev_size, sizeof(*s->ev_ring), GFP_KERNEL);
	s->ev_head = 0;
	init_waitqueue_head(&s->ev_wq);
	return s->ev_ring ? 0 : -ENOMEM;
}

void scratch_events_free(struct sc_space *s)
{
	kvfree(s->ev_ring);
	s->ev_ring = NULL;
}

/* Caller holds s->lock: @seg is being evicted; its ids carried @gen. */
void scratch_events_record_locked(struct sc_space *s, u32 seg, u32 gen)
{
	struct scratch_eviction *e;

	lockdep_assert_held(&s->lock);
	e = &s->ev_ring[s->ev_head % s->ev_size];
	e->segment = seg;
	e->generation = gen;
	s->ev_head++;
}

/* After an eviction, outside s->lock. */
void scratch_events_wake(struct sc_space *s)
{
	wake_up_interruptible_poll(&s->ev_wq, EPOLLIN | EPOLLRDNORM);
}

static __poll_t sc_ev_poll(struct file *file, struct poll_table_struct *wait)
{
	struct sc_evfile *ef = file->private_data;
	struct sc_space *s = ef->space;
	u64 head, armed;

	poll_wait(file, &s->ev_wq, wait);
	spin_lock(&s->lock);
	head = s->ev_head;
	spin_unlock(&s->lock);
	spin_lock(&ef->lock);
	armed = ef->armed;
	spin_unlock(&ef->lock);
	return head > armed ? EPOLLIN | EPOLLRDNORM : 0;
}

/* Output fields are not checked: a caller passes the struct back as it came. */
static const struct sc_zero sc_evictions_zero[] = {
	SC_ZERO(struct scratch_evictions, reserved0),
	SC_ZERO(struct scratch_evictions, reserved),
};

/*
 * Copy up to @n evictions from *@cursor into @buf under the lock; *@cursor
 * skips past evictions the ring no longer holds (counted in *@lost).
 */
static u32 sc_ev_take(struct sc_space *s, u64 *cursor, struct scratch_eviction *buf, u32 n,
		      u64 *lost, u64 *head)
{
	u32 i = 0;
	u64 c;

	spin_lock(&s->lock);
	*head = s->ev_head;
	c = sc_ev_first(s->ev_head, s->ev_size, *cursor, lost);
	for (; i < n && c < s->ev_head; i++, c++)
		buf[i] = s->ev_ring[c % s->ev_size];
	spin_unlock(&s->lock);
	*cursor = c;
	return i;
}

static long sc_evictions_ioctl(struct sc_evfile *ef, void __user *arg)
{
	struct sc_space *s = ef->space;
	struct scratch_evictions req;
	struct scratch_eviction *buf;
	u64 head;
	u32 n;
	int ret;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, 0,
			       sc_evictions_zero, ARRAY_SIZE(sc_evictions_zero));
	if (ret)
		return ret;
	req.count = 0;
	req.lost = 0;
	spin_lock(&s->lock);
	head = s->ev_head;
	spin_unlock(&s->lock);
	if (req.cursor > head)
		return -EINVAL;
	buf = kmalloc_array(SC_EV_CHUNK, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (req.count < req.capacity) {
		n = sc_ev_take(s, &req.cursor, buf, min(req.capacity - req.count, SC_EV_CHUNK),
			       &req.lost, &req.head);
		if (!n)
			break;
		ret = -EFAULT;
		if (copy_to_user(u64_to_user_ptr(req.events_addr) +
				 (u64)req.count * sizeof(*buf), buf, n * sizeof(*buf)))
			goto out;
		req.count += n;
	}
	if (!req.capacity)	/* a call to learn the head, or to skip lost ones */
		sc_ev_take(s, &req.cursor, buf, 0, &req.lost, &req.head);
	req.ring_size = s->ev_size;
	spin_lock(&ef->lock);
	ef->armed = req.cursor;
	spin_unlock(&ef->lock);
	ret = copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : 0;
out:
	kfree(buf);
	return ret;
}

static long sc_ev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd == SCRATCH_IOC_EVICTIONS)
		return sc_evictions_ioctl(file->private_data, (void __user *)arg);
	return -ENOTTY;
}

static int sc_ev_release(struct inode *inode, struct file *file)
{
	struct sc_evfile *ef = file->private_data;

	scratch_space_put_open(ef->space);
	kfree(ef);
	return 0;
}

static const struct file_operations sc_ev_fops = {
	.owner		= THIS_MODULE,
	.poll		= sc_ev_poll,
	.unlocked_ioctl	= sc_ev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= sc_ev_release,
	.llseek		= noop_llseek,
};

static const struct sc_zero sc_events_fd_zero[] = {
	SC_ZERO(struct scratch_events_fd, reserved0),
	SC_ZERO(struct scratch_events_fd, reserved),
};

int scratch_events_fd_ioctl(struct sc_file *f, void __user *arg)
{
	struct sc_space *s = f->space;
	struct scratch_events_fd req;
	struct sc_evfile *ef;
	struct file *file;
	int ret, fd;

	ret = scratch_ioctl_in(&req, sizeof(req), arg, &req.flags, SCRATCH_EVENTS_ALL,
			       sc_events_fd_zero, ARRAY_SIZE(sc_events_fd_zero));
	if (ret)
		return ret;
	ef = kzalloc(sizeof(*ef), GFP_KERNEL);
	if (!ef)
		return -ENOMEM;
	ef->space = s;
	spin_lock_init(&ef->lock);
	ret = scratch_space_get_open(s);
	if (ret)
		goto err_free;
	spin_lock(&s->lock);
	req.cursor = s->ev_head;
	spin_unlock(&s->lock);
	ef->armed = req.flags & SCRATCH_EVENTS_FROM_START ? 0 : req.cursor;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_put;
	}
	file = anon_inode_getfile("[scratch-events]", &sc_ev_fops, ef, O_RDONLY);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_fd;
	}
	req.fd = fd;
	if (copy_to_user(arg, &req, sizeof(req))) {
		/* Not installed: its release drops the open and frees ef. */
		fput(file);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;

err_fd:
	put_unused_fd(fd);
err_put:
	scratch_space_put_open(s);
err_free:
	kfree(ef);
	return ret;
}
