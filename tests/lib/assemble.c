// SPDX-License-Identifier: GPL-2.0
/*
 * scratchctl scan and assemble: a two-drive space given in swapped order is
 * found by its uuid on both drives and attached again in its own order with its
 * atoms; a second assemble of an attached space, and one with a member missing,
 * are refused with a message that names why; --all skips what it cannot attach.
 * status shows the uuid and the members in the space's order, by device.
 */
#include "libtest.h"

#define CTL	"/bin/scratchctl"

FIXTURE(asm) {
	int unused;
};

FIXTURE_SETUP(asm)
{
	ST_REQUIRE(SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_RELOAD | SCRATCH_F_MULTI_REGION);
	if (access(CTL, X_OK))
		SKIP(return, "%s not installed in the guest", CTL);
	st_sweep(-1);
}

FIXTURE_TEARDOWN(asm)
{
	st_sweep(-1);
}

/* The uuid, index and member count scan reports for @dev; 0 or -ENOENT. */
static int scanned(const char *dev, char *uuid, unsigned int *idx, unsigned int *nr, bool *busy)
{
	char out[4096], line[256], want[80], *p, *end;

	if (st_sh(out, sizeof(out), CTL " scan"))
		return -EIO;
	snprintf(want, sizeof(want), "%s  uuid ", dev);
	p = strstr(out, want);
	if (!p)
		return -ENOENT;
	end = strchr(p, '\n');
	snprintf(line, sizeof(line), "%.*s", end ? (int)(end - p) : (int)strlen(p), p);
	if (sscanf(line + strlen(want), "%36s member %u of %u", uuid, idx, nr) != 3)
		return -ENOENT;
	*busy = strstr(line, "in use") != NULL;
	return 0;
}

ST_TEST_F(asm, scan_and_assemble_by_uuid)
{
	const char *d0 = st_dev(0), *d1 = st_dev(1);
	char out[4096], id[64], u0[40], u1[40], want[128];
	unsigned int sp, i0, i1, n0, n1;
	unsigned char zero[2 * ST_PAGE] = { 0 };
	bool busy;

	ASSERT_EQ(0, st_sh(out, sizeof(out), "head -c 200000 /dev/urandom > /tmp/asm.in"));
	/* Member 0 on the second drive, member 1 on the first. */
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " attach --format --seg-size 1M %s:0:64M %s:0:64M",
			   d1, d0));
	ASSERT_EQ(1, sscanf(out, "scratch%u", &sp)) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(id, sizeof(id), CTL " put %u /tmp/asm.in", sp));
	id[32] = 0;
	ASSERT_EQ(0, scanned(d1, u1, &i1, &n1, &busy));
	EXPECT_TRUE(busy);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " detach %u", sp));

	ASSERT_EQ(0, scanned(d0, u0, &i0, &n0, &busy));
	EXPECT_FALSE(busy);
	ASSERT_EQ(0, scanned(d1, u1, &i1, &n1, &busy));
	EXPECT_STREQ(u0, u1);
	EXPECT_EQ(1, i0);
	EXPECT_EQ(0, i1);
	EXPECT_EQ(2, n0);
	EXPECT_EQ(2, n1);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " scan --json"));
	EXPECT_NE(NULL, strstr(out, u0)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"members\": 2")) TH_LOG("%s", out);

	/* Assembled in its order from the uuid alone: the atom is there. */
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " assemble %s", u0)) TH_LOG("%s", out);
	ASSERT_EQ(1, sscanf(out, "scratch%u", &sp)) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " get %u %s | cmp /tmp/asm.in - && echo same", sp,
			   id));
	EXPECT_STREQ("same\n", out);
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " assemble %s 2>&1", u0));
	EXPECT_NE(NULL, strstr(out, "in use")) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " status %u --json", sp));
	snprintf(want, sizeof(want), "\"uuid\": \"%s\"", u0);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "{\"index\": 0, \"device\": \"%s\"", d1);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "{\"index\": 1, \"device\": \"%s\"", d0);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"read_errors\": 0, \"write_errors\": 0, \"state\": \"online\""))
		TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " status %u", sp));
	EXPECT_NE(NULL, strstr(out, u0)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "member 1   %s", d0);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " status --prometheus"));
	snprintf(want, sizeof(want), "scratch_atoms{space=\"scratch%u\",uuid=\"%s\"} 1\n", sp, u0);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "# TYPE scratch_evictions_total counter\n")) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "scratch_member_read_errors_total{space=\"scratch%u\",member=\"1\","
		 "device=\"%s\"} 0\n", sp, d0 + 5);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " status --prometheus 99 2>&1"));
	/* --all skips a space attached already; detached, it attaches it. */
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " assemble --all"));
	EXPECT_STREQ("", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " detach %u", sp));
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " assemble --all --json"));
	EXPECT_NE(NULL, strstr(out, u0)) TH_LOG("%s", out);
	ASSERT_EQ(1, sscanf(strstr(out, "scratch") ?: "", "scratch%u", &sp)) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " detach %u", sp));

	/* Member 1 gone (both superblocks): refused, naming it; nothing attached. */
	ASSERT_EQ(0, st_dev_rw(d0, true, zero, sizeof(zero), 0));
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " assemble %s 2>&1", u0));
	EXPECT_NE(NULL, strstr(out, "member 1 of 2 is missing")) TH_LOG("%s", out);
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " assemble --all 2>&1"));
	EXPECT_NE(NULL, strstr(out, "member 1 of 2 is missing")) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " ls"));
	EXPECT_STREQ("", out);
	EXPECT_EQ(2, st_sh(out, sizeof(out), CTL " assemble not-a-uuid"));
	EXPECT_EQ(2, st_sh(out, sizeof(out), CTL " assemble"));
}

TEST_HARNESS_MAIN
