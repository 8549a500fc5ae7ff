// SPDX-License-Identifier: GPL-2.0
/*
 * examples/shuffle.c runs as written: M producers' arrays, N consumers' batch
 * reads of their part from every array, every byte checked (raw and zstd).
 */
#define main shuffle_main
#include "../../examples/shuffle.c"
#undef main

#include "libtest.h"

ST_SPACE_FIXTURE(shuf, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_ARRAY, 22,
		 { st_dev(0), 0, 256 * ST_MIB })

static int shuffle(const struct st_space *sp, const char *m, const char *n, const char *bytes,
		   const char *flag)
{
	char dev[64];
	char *argv[] = { "shuffle", dev, (char *)m, (char *)n, (char *)bytes, (char *)flag, NULL };

	snprintf(dev, sizeof(dev), "/dev/scratch%u", sp->id);
	return shuffle_main(flag ? 6 : 5, argv);
}

ST_TEST_F(shuf, raw)
{
	EXPECT_EQ(0, shuffle(&self->sp, "8", "16", "65536", NULL));
}

ST_TEST_F(shuf, zstd)
{
	EXPECT_EQ(0, shuffle(&self->sp, "6", "40", "20000", "--zstd"));
}

ST_TEST_F(shuf, usage)
{
	EXPECT_EQ(2, shuffle(&self->sp, "0", "16", "65536", NULL));
}

TEST_HARNESS_MAIN
