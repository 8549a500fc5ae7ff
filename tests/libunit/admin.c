// SPDX-License-Identifier: GPL-2.0
/*
 * libscratch's administration and scrub calls without a kernel: arguments are
 * checked before any system call (a control handle on /dev/null answers every
 * ioctl with ENOTTY, so a call that gets that far passed its checks), sizes
 * below 1.1's are refused, and a space that does not exist is -ENOENT.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "lib.h"

/* 1.1's sizes are what programs built now pass: they must never shrink. */
TEST(first_release_sizes)
{
	ASSERT_EQ(56, SC_SIZE_TO(struct scratch_module_features, reserved));
	ASSERT_EQ(200, SC_SIZE_TO(struct scratch_space_status, reserved));
	ASSERT_EQ(72, SC_SIZE_TO(struct scratch_scrub_stats, reserved));
	ASSERT_EQ(40, sizeof(struct scratch_region));
}

TEST(ctl_open)
{
	struct scratch_ctl *c = NULL;

	EXPECT_EQ(-EINVAL, scratch_ctl_open(NULL, 0, NULL));
	EXPECT_EQ(-EINVAL, scratch_ctl_open("/dev/null", 1, &c));
	EXPECT_EQ(-ENOENT, scratch_ctl_open("/nonexistent/scratch-control", 0, &c));
	EXPECT_EQ(NULL, c);
	ASSERT_EQ(0, scratch_ctl_open("/dev/null", 0, &c));
	scratch_ctl_close(c);
	scratch_ctl_close(NULL);
}

TEST(ctl_calls_check_their_arguments)
{
	struct scratch_region r[SCRATCH_MAX_REGIONS + 1];
	struct scratch_module_features f;
	struct scratch_ctl *c;
	uint32_t id = 77;
	unsigned int i;

	memset(r, 0, sizeof(r));
	for (i = 0; i <= SCRATCH_MAX_REGIONS; i++)
		r[i].path = "/dev/null";
	ASSERT_EQ(0, scratch_ctl_open("/dev/null", 0, &c));

	EXPECT_EQ(-EINVAL, scratch_ctl_attach(NULL, r, 1, 0, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_ctl_attach(c, NULL, 1, 0, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_ctl_attach(c, r, 0, 0, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_ctl_attach(c, r, SCRATCH_MAX_REGIONS + 1, 0, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_ctl_attach(c, r, 1, 1U << 1, 0, &id));
	EXPECT_EQ(-EINVAL, scratch_ctl_attach(c, r, 1, 0, 0, NULL));
	r[3].reserved[1] = 1;
	EXPECT_EQ(-EINVAL, scratch_ctl_attach(c, r, 4, 0, 0, &id));
	r[3].reserved[1] = 0;
	r[2].path = NULL;
	EXPECT_EQ(-EINVAL, scratch_ctl_attach(c, r, 4, 0, 0, &id));
	r[2].path = "/dev/null";
	/* Well formed: the request reaches the "module". */
	EXPECT_EQ(-ENOTTY, scratch_ctl_attach(c, r, SCRATCH_MAX_REGIONS,
					      SCRATCH_ATTACH_FORMAT, 20, &id));
	EXPECT_EQ(77, id);

	EXPECT_EQ(-EINVAL, scratch_ctl_detach(NULL, 0));
	EXPECT_EQ(-ENOTTY, scratch_ctl_detach(c, 0));

	EXPECT_EQ(-EINVAL, scratch_ctl_features(NULL, &f, sizeof(f)));
	EXPECT_EQ(-EINVAL, scratch_ctl_features(c, NULL, sizeof(f)));
	EXPECT_EQ(-EINVAL, scratch_ctl_features(c, &f, sizeof(f) - 8));
	EXPECT_EQ(-ENOTTY, scratch_ctl_features(c, &f, sizeof(f)));
	scratch_ctl_close(c);
}

TEST(spaces_without_a_handle)
{
	struct scratch_space_status st;
	uint32_t ids[4];
	int n;

	EXPECT_EQ(-EINVAL, scratch_space_list(NULL, 4));
	/* No module here: none attached, or no control node and no sysfs class. */
	n = scratch_space_list(ids, 4);
	EXPECT_TRUE(n >= 0 || n == -ENOENT) TH_LOG("scratch_space_list: %d", n);

	EXPECT_EQ(-EINVAL, scratch_space_status(0, NULL, sizeof(st)));
	EXPECT_EQ(-EINVAL, scratch_space_status(0, &st, sizeof(st) - 64));
	EXPECT_EQ(-EINVAL, scratch_space_status(0x80000000U, &st, sizeof(st)));
	EXPECT_EQ(-ENOENT, scratch_space_status(0x7fffffff, &st, sizeof(st)));
}

TEST(scrub_checks_its_arguments)
{
	struct scratch_scrub_stats st;
	struct scratch_id bad[2];
	uint64_t cursor = 0;

	EXPECT_EQ(-EINVAL, scratch_space_scrub(NULL, &cursor, 0, 0, bad, 2, &st, sizeof(st)));
	EXPECT_EQ(0, cursor);
}

TEST_HARNESS_MAIN
