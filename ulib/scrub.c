// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Scrub: one step of the module's walk over a space's atoms, which hashes the
 * ones not yet verified and drops the bad ones.  The caller keeps the cursor
 * and paces the steps (scratchctl scrub --rate).
 */
#include <string.h>

#include "lib.h"
#include "syscall.h"

#define SC_SCRUB_STATS_SIZE_1_1	SC_SIZE_TO(struct scratch_scrub_stats, reserved)

/* The cursor is (segment << 32 | slot); only this file reads it. */
#define SC_SCRUB_SEG_SHIFT	32

__scratch_export
int scratch_space_scrub(struct scratch *s, uint64_t *cursor, uint64_t max_bytes,
			unsigned int flags, struct scratch_id *bad_ids, unsigned int bad_cap,
			struct scratch_scrub_stats *st, size_t size)
{
	struct scratch_scrub k = {
		.size = sizeof(k), .flags = flags, .max_bytes = max_bytes,
		.bad_ids_addr = (uintptr_t)bad_ids, .bad_ids_cap = bad_cap,
	};
	struct scratch_scrub_stats out;
	int ret;

	if (!s || !cursor || !st || size < SC_SCRUB_STATS_SIZE_1_1 || (bad_cap && !bad_ids) ||
	    __scratch_check_flags(flags, SCRATCH_SCRUB_RECHECK))
		return -EINVAL;
	if (!(s->features & SCRATCH_F_VERIFY))
		return -EOPNOTSUPP;
	k.cursor = *cursor;
	ret = __sys_ioctl(s->fd, SCRATCH_IOC_SCRUB, &k);
	if (ret < 0)
		return ret;
	*cursor = k.cursor;
	out = (struct scratch_scrub_stats){
		.checked = k.checked, .bytes = k.bytes, .errors = k.errors,
		.nr_bad = k.nr_bad,
		.segment = k.cursor == SCRATCH_SCRUB_END ? 0 : k.cursor >> SC_SCRUB_SEG_SHIFT,
	};
	__scratch_copy_out(st, size, &out, sizeof(out));
	return 0;
}
