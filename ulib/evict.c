// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Ahead of eviction and after it: the horizon of ids (how many bytes of new
 * writes before their segment goes, and the write rate to turn that into
 * time), and a watch that follows the space's evictions, with the match of
 * evictions against ids done here, without I/O: an id names its segment and
 * generation, and an eviction names the segment and the generation it ended.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib.h"
#include "syscall.h"

struct scratch_watch {
	int	fd;
};

__scratch_export
int scratch_atom_horizon(struct scratch *s, const struct scratch_id *ids, unsigned int n,
			 uint64_t *bytes, uint64_t *write_rate)
{
	unsigned int done = 0, count = 0;
	int ret;

	if (!s || (n && (!ids || !bytes)) || n > INT_MAX)
		return -EINVAL;
	if (!(s->features & SCRATCH_F_HORIZON))
		return -EOPNOTSUPP;
	do {
		unsigned int k = n - done < SCRATCH_HORIZON_MAX ? n - done : SCRATCH_HORIZON_MAX;
		struct scratch_horizon h = {
			.size = sizeof(h), .count = k,
			.ids_addr = (uintptr_t)(ids + done),
			.results_addr = (uintptr_t)(bytes + done),
		};

		ret = __sys_ioctl(s->fd, SCRATCH_IOC_HORIZON, &h);
		if (ret < 0)
			return ret;
		if (write_rate && !done)
			*write_rate = h.write_rate;
		count += (unsigned int)ret;
		done += k;
	} while (done < n);
	return (int)count;
}

__scratch_export
int scratch_watch_open(struct scratch *s, unsigned int flags, struct scratch_watch **wp)
{
	struct scratch_events_fd req = { .size = sizeof(req), .flags = flags };
	struct scratch_watch *w;
	int ret;

	if (!s || !wp || __scratch_check_flags(flags, SCRATCH_EVENTS_FROM_START))
		return -EINVAL;
	*wp = NULL;
	if (!(s->features & SCRATCH_F_EVICTIONS))
		return -EOPNOTSUPP;
	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	ret = __sys_ioctl(s->fd, SCRATCH_IOC_EVENTS_FD, &req);
	if (ret < 0) {
		free(w);
		return ret;
	}
	w->fd = req.fd;
	*wp = w;
	return 0;
}

__scratch_export
void scratch_watch_close(struct scratch_watch *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w);
}

__scratch_export
int scratch_watch_fd(const struct scratch_watch *w)
{
	return w ? w->fd : -EINVAL;
}

__scratch_export
int scratch_watch_read(struct scratch_watch *w, uint64_t *cursor, struct scratch_eviction *ev,
		       unsigned int cap, uint64_t *lost)
{
	struct scratch_evictions req = { .size = sizeof(req) };
	int ret;

	if (!w || !cursor || (cap && !ev) || cap > INT_MAX)
		return -EINVAL;
	req.cursor = *cursor;
	req.events_addr = (uintptr_t)ev;
	req.capacity = cap;
	ret = __sys_ioctl(w->fd, SCRATCH_IOC_EVICTIONS, &req);
	if (ret < 0)
		return ret;
	*cursor = req.cursor;
	if (lost)
		*lost = req.lost;
	return (int)req.count;
}

static int sc_ev_cmp(const void *a, const void *b)
{
	const struct scratch_eviction *x = a, *y = b;

	if (x->segment != y->segment)
		return x->segment < y->segment ? -1 : 1;
	return (x->generation > y->generation) - (x->generation < y->generation);
}

__scratch_export
int scratch_watch_gone(struct scratch_eviction *ev, unsigned int n,
		       const struct scratch_id *ids, unsigned int nids, uint8_t *gone)
{
	unsigned int i, count = 0;

	if ((n && !ev) || (nids && (!ids || !gone)) || nids > INT_MAX)
		return -EINVAL;
	qsort(ev, n, sizeof(*ev), sc_ev_cmp);
	for (i = 0; i < nids; i++) {
		struct scratch_eviction key = {
			.segment = (uint32_t)ids[i].lo,
			.generation = (uint32_t)(ids[i].lo >> 32),
		};

		gone[i] = n && bsearch(&key, ev, n, sizeof(*ev), sc_ev_cmp) != NULL;
		count += gone[i];
	}
	return (int)count;
}
