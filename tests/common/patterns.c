// SPDX-License-Identifier: GPL-2.0
/*
 * Ids and the deterministic byte patterns of test atoms; and, before main(),
 * a line-buffered stdout.
 */
#include "scratch_test.h"

/* 6.1's harness does not line-buffer stdout: TAP lines would interleave. */
static void __attribute__((constructor)) st_stdout_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

bool st_id_eq(const struct scratch_id *a, const struct scratch_id *b)
{
	return a->lo == b->lo && a->hi == b->hi;
}

/* The text form scratchctl uses: 32 hex digits of lo then hi. */
const char *st_id_str(const struct scratch_id *id, char out[33])
{
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)id->lo,
		 (unsigned long long)id->hi);
	return out;
}

/* Field access per the header's documented encoding (tests only). */
__u32 st_id_seg(const struct scratch_id *id)
{
	return (__u32)id->lo;
}

__u32 st_id_gen(const struct scratch_id *id)
{
	return (__u32)(id->lo >> 32);
}

__u32 st_id_slot(const struct scratch_id *id)
{
	return (__u32)id->hi;
}

struct scratch_id st_id_make(__u32 seg, __u32 gen, __u32 slot, __u32 part)
{
	struct scratch_id id = {
		.lo = (__u64)seg | ((__u64)gen << 32),
		.hi = (__u64)slot | ((__u64)part << 32),
	};
	return id;
}

/* The id of part @i of array @arr. */
struct scratch_id st_part_id(const struct scratch_id *arr, __u32 i)
{
	struct scratch_id id = { .lo = arr->lo, .hi = (__u32)arr->hi | ((__u64)(i + 1) << 32) };
	return id;
}

__u64 st_mix(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Byte k of an atom with seed s is byte (k & 7) of table[(k >> 3) & 511]
 * XOR key(s, k >> 12): random within a page, different for every page of every
 * atom.  So bytes from another atom, another page or another offset in the
 * page are detected, and checks need no second copy of the data.  The seeds
 * are mixed with a per-run nonce: stale data of earlier tests or runs on the
 * drives never matches.
 */
static __u64 st_table[512];
static __u64 st_nonce;

static void __attribute__((constructor)) st_pattern_init(void)
{
	const char *env = getenv("SCRATCH_TEST_SEED");
	unsigned int i;

	for (i = 0; i < 512; i++)
		st_table[i] = st_mix(0x5c7a7c4ULL + i);
	if (env && *env)
		st_nonce = strtoull(env, NULL, 0);
	else if (getrandom(&st_nonce, sizeof(st_nonce), 0) != sizeof(st_nonce))
		st_nonce = (__u64)time(NULL) ^ ((__u64)getpid() << 32);
}

/* A seed for the n-th atom of a test, unique per run. */
__u64 st_seed(__u64 n)
{
	return st_mix(st_nonce ^ st_mix(n));
}

static __u64 st_page_key(__u64 seed, __u64 page)
{
	return st_mix(seed ^ st_mix(page + 0x1000));
}

/* Bytes [in, in + n) of one page whose key is @key. */
static void st_fill_page(unsigned char *p, size_t in, size_t n, __u64 key)
{
	size_t j = in, end = in + n;

	for (; j < end && (j & 7); j++)
		*p++ = (unsigned char)((st_table[j >> 3] ^ key) >> (8 * (j & 7)));
	for (; j + 8 <= end; j += 8, p += 8) {
		__u64 v = htole64(st_table[j >> 3] ^ key);

		memcpy(p, &v, 8);
	}
	for (; j < end; j++)
		*p++ = (unsigned char)((st_table[j >> 3] ^ key) >> (8 * (j & 7)));
}

/* Fill @buf with the bytes [pos, pos + len) of the atom with @seed. */
void st_fill(void *buf, size_t len, __u64 seed, __u64 pos)
{
	unsigned char *p = buf;

	while (len) {
		size_t in = pos & (ST_PAGE - 1);
		size_t n = ST_MIN(len, ST_PAGE - in);

		st_fill_page(p, in, n, st_page_key(seed, pos / ST_PAGE));
		p += n;
		pos += n;
		len -= n;
	}
}

/*
 * Check that @buf holds bytes [pos, pos + len) of the atom with @seed.
 * Returns -1 if it does, else the index of the first wrong byte.
 */
long st_check(const void *buf, size_t len, __u64 seed, __u64 pos)
{
	const unsigned char *p = buf;
	unsigned char want[ST_PAGE];
	size_t done = 0;

	while (done < len) {
		size_t in = pos & (ST_PAGE - 1);
		size_t n = ST_MIN(len - done, ST_PAGE - in);

		st_fill_page(want, in, n, st_page_key(seed, pos / ST_PAGE));
		if (memcmp(p + done, want, n)) {
			size_t k = 0;

			while (p[done + k] == want[k])
				k++;
			return (long)(done + k);
		}
		done += n;
		pos += n;
	}
	return -1;
}

/* A small PRNG for test decisions (not for patterns). */
__u64 st_rand(__u64 *state)
{
	*state = st_mix(*state);
	return *state;
}
