// SPDX-License-Identifier: GPL-2.0
/*
 * A space in use cannot go away: detach is EBUSY while any fd (ours or a
 * child's) is open, rmmod of scratch is refused while a space is attached,
 * and the space keeps working after each refusal.
 */
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

ST_SPACE_FIXTURE(busy, SCRATCH_F_WRITE | SCRATCH_F_READ, 20,
		 { st_dev(0), 0, 64 * ST_MIB })

static bool module_loaded(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/modules", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		found |= !strncmp(line, "scratch ", 8);
	fclose(f);
	return found;
}

static int open_node(__u32 id)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/scratch%u", id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

ST_TEST_F(busy, detach_while_open)
{
	struct st_atom a, b;
	int fd2;

	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 7000));
	ASSERT_EQ(-EBUSY, st_detach(self->sp.id));
	/* The refusal changed nothing. */
	ASSERT_EQ(0, st_verify(self->sp.fd, &a));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &b, 2, 7000));

	fd2 = st_open(self->sp.id, -1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, st_close(self->sp.fd));
	self->sp.fd = -1;
	ASSERT_EQ(-EBUSY, st_detach(self->sp.id)) TH_LOG("second fd still open");
	ASSERT_EQ(0, st_verify(fd2, &a));
	ASSERT_EQ(0, st_verify(fd2, &b));
	ASSERT_EQ(0, st_close(fd2));

	ASSERT_EQ(0, st_detach(self->sp.id));
	self->sp.up = false;
	ASSERT_NE(0, open_node(self->sp.id));
	ASSERT_EQ(-ENODEV, st_detach(self->sp.id));
}

/* An fd inherited by a child keeps the space busy until the child exits. */
ST_TEST_F(busy, child_fd)
{
	int go[2], status;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	pid = st_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		close(go[1]);
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	close(go[0]);
	ASSERT_EQ(0, st_close(self->sp.fd));
	self->sp.fd = -1;
	ASSERT_EQ(-EBUSY, st_detach(self->sp.id)) TH_LOG("child holds the fd");
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, st_waitpid(pid, &status));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, st_detach(self->sp.id));
	self->sp.up = false;
	close(go[1]);
}

/* rmmod is refused while a space is attached, even with nothing open on it. */
ST_TEST_F(busy, rmmod_refused)
{
	struct st_atom a;
	int r, e, status;

	if (!module_loaded())
		SKIP(return, "scratch is not a loaded module (built in?)");
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 1, 9000));
	ASSERT_EQ(0, st_close(self->sp.fd));
	self->sp.fd = -1;

	/* What rmmod does, without depending on a rmmod binary. */
	errno = 0;
	r = syscall(SYS_delete_module, "scratch", O_NONBLOCK);
	e = errno;
	ASSERT_EQ(-1, r) TH_LOG("scratch was unloaded with a space attached");
	ASSERT_TRUE(e == EBUSY || e == EWOULDBLOCK) TH_LOG("errno %d", e);
	/* And through the tool, as an admin would. */
	status = system("rmmod scratch >/dev/null 2>&1");
	ASSERT_TRUE(status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0);
	ASSERT_TRUE(module_loaded());

	/* The space is untouched and usable. */
	self->sp.fd = st_open(self->sp.id, -1);
	ASSERT_LE(0, self->sp.fd);
	ASSERT_EQ(0, st_verify(self->sp.fd, &a));
	/* rmmod after detach is for the runner's last step, not here: tests follow. */
}

ST_TEST_F(busy, detach_unknown)
{
	ASSERT_EQ(-ENODEV, st_detach(1000000));
	ASSERT_EQ(-ENODEV, st_detach(self->sp.id + 1));
	ASSERT_TRUE(st_listed(self->sp.id));
}

TEST_HARNESS_MAIN
