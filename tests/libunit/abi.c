// SPDX-License-Identifier: GPL-2.0
/*
 * libscratch's ABI without a kernel: the run-time version matches the header's,
 * structs the library fills honour the caller's size (too small is refused before
 * any system call; a larger one is zero-extended, a smaller one truncated), and ids
 * are decoded by the library alone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "lib.h"

TEST(version)
{
	char want[32];

	snprintf(want, sizeof(want), "%d.%d.%d", LIBSCRATCH_VERSION_MAJOR,
		 LIBSCRATCH_VERSION_MINOR, LIBSCRATCH_VERSION_PATCH);
	ASSERT_STREQ(want, scratch_version());
	ASSERT_STREQ(LIBSCRATCH_VERSION, scratch_version());
	ASSERT_EQ(LIBSCRATCH_VERSION_MAJOR, scratch_version_major());
	ASSERT_EQ(LIBSCRATCH_VERSION_MINOR, scratch_version_minor());
	ASSERT_TRUE(LIBSCRATCH_VERSION_AT_LEAST(1, 0));
	ASSERT_TRUE(LIBSCRATCH_VERSION_AT_LEAST(LIBSCRATCH_VERSION_MAJOR,
						LIBSCRATCH_VERSION_MINOR));
	ASSERT_FALSE(LIBSCRATCH_VERSION_AT_LEAST(LIBSCRATCH_VERSION_MAJOR,
						 LIBSCRATCH_VERSION_MINOR + 1));
	ASSERT_FALSE(LIBSCRATCH_VERSION_AT_LEAST(LIBSCRATCH_VERSION_MAJOR + 1, 0));
}

/* The first release's sizes are what 1.0 programs pass: they must never shrink. */
TEST(first_release_sizes)
{
	ASSERT_EQ(136, SC_INFO_SIZE_1_0);
	ASSERT_EQ(40, SC_ATOM_INFO_SIZE_1_0);
	ASSERT_LE(SC_INFO_SIZE_1_0, sizeof(struct scratch_info));
	ASSERT_LE(SC_ATOM_INFO_SIZE_1_0, sizeof(struct scratch_atom_info));
}

TEST(size_checked_before_the_call)
{
	struct scratch s = { .fd = -1 };
	struct scratch_info info;
	struct scratch_atom_info ai;
	struct scratch_id id = { 1 | 1ULL << 32, 0 };

	ASSERT_EQ(-EINVAL, scratch_space_info(&s, &info, SC_INFO_SIZE_1_0 - 8));
	ASSERT_EQ(-EINVAL, scratch_space_info(&s, NULL, sizeof(info)));
	ASSERT_EQ(-EINVAL, scratch_atom_stat(&s, id, &ai, SC_ATOM_INFO_SIZE_1_0 - 1));
	/* A size the library accepts reaches the (here absent) device. */
	ASSERT_EQ(-EBADF, scratch_space_info(&s, &info, sizeof(info)));
	ASSERT_EQ(-EBADF, scratch_space_info(&s, &info, sizeof(info) + 64));
}

TEST(copy_out_extends_and_truncates)
{
	unsigned char src[16], dst[40];

	memset(src, 0xab, sizeof(src));
	memset(dst, 0xff, sizeof(dst));
	/* A newer caller's larger struct: the tail the library does not know is zero. */
	__scratch_copy_out(dst, 32, src, sizeof(src));
	ASSERT_EQ(0xab, dst[15]);
	ASSERT_EQ(0, dst[16]);
	ASSERT_EQ(0, dst[31]);
	ASSERT_EQ(0xff, dst[32]);
	/* An older caller's smaller struct: nothing past its size is written. */
	memset(dst, 0xff, sizeof(dst));
	__scratch_copy_out(dst, 8, src, sizeof(src));
	ASSERT_EQ(0xab, dst[7]);
	ASSERT_EQ(0xff, dst[8]);
}

TEST(ids)
{
	struct scratch_id a = { 7 | 3ULL << 32, 12 }, p, none = { 0, 0 };

	ASSERT_EQ(0, scratch_id_is_part(a));
	p = scratch_array_part_id(a, 0);
	ASSERT_EQ(1, scratch_id_is_part(p));
	ASSERT_EQ(0, scratch_id_equal(a, p));
	/* A part has no parts. */
	ASSERT_EQ(1, scratch_id_equal(none, scratch_array_part_id(p, 1)));
	ASSERT_EQ(0, scratch_id_is_part(none));
}

TEST_HARNESS_MAIN
