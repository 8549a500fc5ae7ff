// SPDX-License-Identifier: GPL-2.0
/*
 * scratchctl scan and assemble: a two-drive space given in swapped order is
 * found by its uuid on both drives and attached again in its own order with its
 * atoms; a second assemble of an attached space, and one with a member missing,
 * are refused with a message that names why; --all skips what it cannot attach.
 * status shows the uuid and the members in the space's order, by device.
 * assemble --config formats blank listed devices only with format-blank, then
 * assembles the space by its devices or its uuid, and says what it did.
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

static int conf(const char *text)
{
	char out[64];

	return st_sh(out, sizeof(out), "printf '%s' > /tmp/spaces.conf", text);
}

ST_TEST_F(asm, config)
{
	const char *d0 = st_dev(0), *d1 = st_dev(1);
	unsigned char zero[2 * ST_PAGE] = { 0 }, page[ST_PAGE] = { 0 };
	char out[4096], id[64], line[256], u[40];
	unsigned int sp, sp2, i, n;
	bool busy;

	ASSERT_EQ(0, st_dev_rw(d0, true, zero, sizeof(zero), 0));
	ASSERT_EQ(0, st_dev_rw(d1, true, zero, sizeof(zero), 0));
	ASSERT_EQ(0, st_sh(out, sizeof(out), "head -c 100000 /dev/urandom > /tmp/cf.in"));

	/* Blank devices are formatted only when the line says format-blank. */
	snprintf(line, sizeof(line), "# test\\nwork %s,%s -\\n", d1, d0);
	ASSERT_EQ(0, conf(line));
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " assemble --config /tmp/spaces.conf 2>&1"));
	EXPECT_NE(NULL, strstr(out, "format-blank is not set")) TH_LOG("%s", out);
	snprintf(line, sizeof(line), "work %s,%s format-blank,seg-size=4M\\n", d1, d0);
	ASSERT_EQ(0, conf(line));
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " assemble --config /tmp/spaces.conf"));
	ASSERT_EQ(1, sscanf(out, "work: scratch%u (formatted)", &sp)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "(formatted)")) TH_LOG("%s", out);
	/* The line's NAME is the space's label (udev's /dev/scratch/work). */
	snprintf(line, sizeof(line), "cat /sys/class/scratch/scratch%u/label", sp);
	ASSERT_EQ(0, st_sh(out, sizeof(out), "%s", line));
	EXPECT_STREQ("work\n", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " status %u --json", sp));
	EXPECT_NE(NULL, strstr(out, "\"label\": \"work\"")) TH_LOG("%s", out);
	snprintf(line, sizeof(line), "echo 'bad name' > /sys/class/scratch/scratch%u/label", sp);
	EXPECT_NE(0, st_sh(out, sizeof(out), "%s", line));
	ASSERT_EQ(0, st_sh(id, sizeof(id), CTL " put %u /tmp/cf.in", sp));
	id[32] = 0;
	ASSERT_EQ(0, scanned(d0, u, &i, &n, &busy));
	EXPECT_EQ(1, i);
	EXPECT_TRUE(busy);

	/* Attached already: said so, not an error; detached: assembled, with its atom. */
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " assemble --config /tmp/spaces.conf --json"));
	EXPECT_NE(NULL, strstr(out, "\"done\": \"already attached\"")) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " detach %u", sp));
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " assemble --config /tmp/spaces.conf"));
	ASSERT_EQ(1, sscanf(out, "work: scratch%u (assembled)", &sp2)) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " get %u %s | cmp /tmp/cf.in - && echo same", sp2,
			   id));
	EXPECT_STREQ("same\n", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " detach --all"));
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " ls"));
	EXPECT_STREQ("", out);

	/* By uuid. */
	snprintf(line, sizeof(line), "work uuid=%s\\n", u);
	ASSERT_EQ(0, conf(line));
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " assemble --config /tmp/spaces.conf"));
	ASSERT_EQ(1, sscanf(out, "work: scratch%u (assembled)", &sp2)) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " detach %u", sp2));

	/* A blank device with a partition table is not formatted, even with format-blank. */
	ASSERT_EQ(0, st_dev_rw(d0, true, zero, sizeof(zero), 0));
	ASSERT_EQ(0, st_dev_rw(d1, true, zero, sizeof(zero), 0));
	page[510] = 0x55;
	page[511] = 0xaa;
	page[446 + 4] = 0x83;
	page[446 + 9] = 0x08;
	page[446 + 13] = 0x10;
	ASSERT_EQ(0, st_dev_rw(d0, true, page, sizeof(page), 0));
	snprintf(line, sizeof(line), "work %s,%s format-blank\\n", d1, d0);
	ASSERT_EQ(0, conf(line));
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " assemble --config /tmp/spaces.conf 2>&1"));
	EXPECT_NE(NULL, strstr(out, "partition table")) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " ls"));
	EXPECT_STREQ("", out);
	ASSERT_EQ(0, conf("work /dev/nvme0n1 bogus\\n"));
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " assemble --config /tmp/spaces.conf 2>&1"));
	EXPECT_NE(NULL, strstr(out, "unknown option 'bogus'")) TH_LOG("%s", out);
	ASSERT_EQ(0, st_dev_rw(d0, true, zero, sizeof(zero), 0));
}

TEST_HARNESS_MAIN
