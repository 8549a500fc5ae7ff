// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Atom ids: pure functions, any thread.  The encoding is the module's
 * (include/uapi/scratch.h): lo = segment | generation << 32, hi = slot | part << 32,
 * part 0 naming a whole atom or array and part i + 1 part i of an array.  Only this
 * file and lib.h's __scratch_id_is_part() look inside an id.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib.h"

__scratch_export
struct scratch_id scratch_array_part_id(struct scratch_id array, uint32_t i)
{
	struct scratch_id id = { array.lo, (uint32_t)array.hi };

	/* Part i is i + 1 in the id, so part 0 of nothing is never an array. */
	if (__scratch_id_is_part(array) || i >= SCRATCH_MAX_PARTS) {
		id.lo = 0;
		id.hi = 0;
		return id;
	}
	id.hi |= (uint64_t)(i + 1) << SC_ID_PART_SHIFT;
	return id;
}

__scratch_export
int scratch_id_is_part(struct scratch_id id)
{
	return __scratch_id_is_part(id);
}

__scratch_export
int scratch_id_equal(struct scratch_id a, struct scratch_id b)
{
	return a.lo == b.lo && a.hi == b.hi;
}

__scratch_export
void scratch_id_format(struct scratch_id id, char buf[SCRATCH_ID_STRLEN])
{
	snprintf(buf, SCRATCH_ID_STRLEN, "%016llx%016llx", (unsigned long long)id.lo,
		 (unsigned long long)id.hi);
}

static int sc_hex64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint64_t)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

__scratch_export
int scratch_id_parse(const char *str, struct scratch_id *id)
{
	uint64_t lo, hi;

	if (!str || !id || strlen(str) != SCRATCH_ID_STRLEN - 1 ||
	    sc_hex64(str, &lo) || sc_hex64(str + 16, &hi))
		return -EINVAL;
	id->lo = lo;
	id->hi = hi;
	return 0;
}
