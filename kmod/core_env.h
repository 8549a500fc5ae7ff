/* SPDX-License-Identifier: GPL-2.0 */
/* The few types and helpers core.c needs, from the kernel or from libc. */
#ifndef SCRATCH_CORE_ENV_H
#define SCRATCH_CORE_ENV_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/string.h>
#include <linux/xxhash.h>
#include <asm/byteorder.h>

static inline u64 sc_xxh64(const void *p, size_t n)
{
	return xxh64(p, n, 0);
}
#else
#include <errno.h>
#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <xxhash.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#ifndef U32_MAX
#define U32_MAX		UINT32_MAX
#endif
#define cpu_to_le16(x)	htole16(x)
#define cpu_to_le32(x)	htole32(x)
#define cpu_to_le64(x)	htole64(x)
#define le16_to_cpu(x)	le16toh(x)
#define le32_to_cpu(x)	le32toh(x)
#define le64_to_cpu(x)	le64toh(x)

static inline u64 sc_xxh64(const void *p, size_t n)
{
	return XXH64(p, n, 0);
}
#endif

#endif /* SCRATCH_CORE_ENV_H */
