// SPDX-License-Identifier: GPL-2.0
/*
 * scratchctl on libscratch: ls, put (file, pipe, empty, --zstd), get (read
 * and --mmap), cat (one batch), stat --json and part, byte for byte; a
 * missing id fails with exit 1 and no output.  attach --format refuses a region
 * holding a partition table or a swap signature, naming it, unless --force.
 */
#include "libtest.h"

#define CTL	"/bin/scratchctl"

FIXTURE(ctl) {
	struct st_space sp;
};

FIXTURE_SETUP(ctl)
{
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_MMAP |
		       SCRATCH_F_ARRAY, 22, { st_dev(0), 0, 128 * ST_MIB });
	if (access(CTL, X_OK))
		SKIP(return, "%s not installed in the guest", CTL);
}

FIXTURE_TEARDOWN(ctl)
{
	ST_TEARDOWN();
}

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		r = -EIO;
	close(fd);
	return r;
}

ST_TEST_F(ctl, put_get_cat_stat)
{
	size_t n = 300000;
	unsigned char *in = lt_pattern(n, 77), *z = calloc(1, n);
	char out[4096], id[64], zid[64], eid[64], pid[64];
	unsigned int s = self->sp.id;

	ASSERT_TRUE(in && z);
	memset(z + 1000, 0x5a, 70000);
	ASSERT_EQ(0, write_file("/tmp/ctl.in", in, n));
	ASSERT_EQ(0, write_file("/tmp/ctl.z", z, n));
	ASSERT_EQ(0, write_file("/tmp/ctl.empty", in, 0));

	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " ls"));
	snprintf(id, sizeof(id), "scratch%u\n", s);
	EXPECT_NE(NULL, strstr(out, id));

	ASSERT_EQ(0, st_sh(id, sizeof(id), CTL " put %u /tmp/ctl.in --type 7", s));
	ASSERT_EQ(33, strlen(id));
	id[32] = 0;
	ASSERT_EQ(0, st_sh(zid, sizeof(zid), "cat /tmp/ctl.z | " CTL " put %u --zstd=5", s));
	zid[32] = 0;
	ASSERT_EQ(0, st_sh(eid, sizeof(eid), CTL " put %u /tmp/ctl.empty --no-sync", s));
	eid[32] = 0;

	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " get %u %s -o /tmp/ctl.out && cmp /tmp/ctl.in "
			   "/tmp/ctl.out && echo same", s, id));
	EXPECT_STREQ("same\n", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " get %u %s --mmap | cmp /tmp/ctl.in - && echo same",
			   s, id));
	EXPECT_STREQ("same\n", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " get %u %s | cmp /tmp/ctl.z - && echo same", s, zid));
	EXPECT_STREQ("same\n", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " get %u %s | wc -c", s, eid));
	EXPECT_EQ(0, atoi(out));
	ASSERT_EQ(0, st_sh(out, sizeof(out), "cat /tmp/ctl.in /tmp/ctl.z > /tmp/ctl.both && "
			   CTL " cat %u %s %s %s | cmp /tmp/ctl.both - && echo same", s, id, eid, zid));
	EXPECT_STREQ("same\n", out);

	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " stat %u %s --json", s, zid));
	EXPECT_NE(NULL, strstr(out, "\"zstd\": true")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"length\": 300000")) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " stat %u %s", s, id));
	EXPECT_NE(NULL, strstr(out, "type       7")) TH_LOG("%s", out);

	/* A missing atom: exit 1, nothing on stdout, even within cat. */
	id[5] ^= 1;
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " get %u %s", s, id));
	EXPECT_STREQ("", out);
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " cat %u %s %s", s, zid, id));
	EXPECT_STREQ("", out);
	EXPECT_EQ(2, st_sh(out, sizeof(out), CTL " get %u not-an-id", s));

	ASSERT_EQ(0, st_sh(pid, sizeof(pid), CTL " part %s 3", zid));
	EXPECT_EQ(0, strncmp(pid, zid, 16));
	free(in);
	free(z);
}

/* Write @len bytes of @sig at @off of @dev's first page image @page, then the page to @dev. */
static int plant(const char *dev, __u64 at, unsigned char *page, size_t off, const void *sig,
		 size_t len)
{
	memcpy(page + off, sig, len);
	return st_dev_rw(dev, true, page, ST_PAGE, at);
}

ST_TEST_F(ctl, format_refuses_to_clobber)
{
	static const unsigned char mbr_part[16] = {
		0x00, 0, 0, 0, 0x83, 0, 0, 0, 0x00, 0x08, 0, 0, 0x00, 0x10, 0, 0,
	};
	static const __u32 swap_hdr[2] = { 1, 16383 };	/* version 1, last page */
	const char *dev = st_dev(1);
	unsigned char page[ST_PAGE];
	char out[512];
	__u64 at = 64 * ST_MIB;
	unsigned int sp;

	/* A DOS partition table with one Linux partition at the region's start. */
	memset(page, 0, sizeof(page));
	page[510] = 0x55;
	page[511] = 0xaa;
	ASSERT_EQ(0, plant(dev, at, page, 446, mbr_part, sizeof(mbr_part)));
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " attach --format %s:64M:64M 2>&1", dev));
	EXPECT_NE(NULL, strstr(out, "dos partition table")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "--force")) TH_LOG("%s", out);

	/* Swap: refused the same way, and named. */
	memset(page, 0, sizeof(page));
	memcpy(page + 1024, swap_hdr, sizeof(swap_hdr));
	ASSERT_EQ(0, plant(dev, at, page, ST_PAGE - 10, "SWAPSPACE2", 10));
	EXPECT_EQ(1, st_sh(out, sizeof(out), CTL " attach --format %s:64M:64M 2>&1", dev));
	EXPECT_NE(NULL, strstr(out, "swap")) TH_LOG("%s", out);
	EXPECT_EQ(2, st_sh(out, sizeof(out), CTL " attach --force %s:64M:64M 2>&1", dev));

	/* --force formats it; a scratch region is no signature: formatting it again needs none. */
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " attach --format --force %s:64M:64M", dev));
	ASSERT_EQ(1, sscanf(out, "scratch%u", &sp)) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " detach %u", sp));
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " attach --format %s:64M:64M", dev)) TH_LOG("%s", out);
	ASSERT_EQ(1, sscanf(out, "scratch%u", &sp)) TH_LOG("%s", out);
	ASSERT_EQ(0, st_sh(out, sizeof(out), CTL " detach %u", sp));
}

TEST_HARNESS_MAIN
