// SPDX-License-Identifier: GPL-2.0
/*
 * scratchctl on libscratch: ls, put (file, pipe, empty, --zstd), get (read
 * and --mmap), cat (one batch), stat --json and part, byte for byte; a
 * missing id fails with exit 1 and no output.
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

TEST_HARNESS_MAIN
