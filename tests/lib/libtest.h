/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the library's VM tests (tests/lib/ files): a formatted space from
 * tests/common/scratch_test.h, opened through libscratch, and the patterns to check bytes.
 */
#ifndef SCRATCH_LIBTEST_H
#define SCRATCH_LIBTEST_H

#include <scratch.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

/* Open /dev/scratchN of @sp through the library. */
static inline int lt_open(const struct st_space *sp, uint32_t tenant, unsigned int flags,
			  unsigned int qd, struct scratch **s)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/scratch%u", sp->id);
	return scratch_space_open(path, tenant, flags, qd, s);
}

/* A buffer of @len pattern bytes (st_fill) of @seed; NULL on ENOMEM. */
static inline void *lt_pattern(size_t len, __u64 seed)
{
	void *p = malloc(len ? len : 1);

	if (p)
		st_fill(p, len, seed, 0);
	return p;
}

/* XOR one byte of the drive at @off with 0xff (through the device, caches dropped). */
static inline int lt_flip(const char *dev, __u64 off)
{
	return st_xor(dev, off, 0xff);
}

#endif /* SCRATCH_LIBTEST_H */
