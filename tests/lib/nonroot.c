// SPDX-License-Identifier: GPL-2.0
/*
 * An engine that is not root: /dev/scratchN given to a group, mode 0660 (what
 * deploy/60-scratch.rules does under udev), and a process whose only privilege
 * is that group puts, syncs, gets, maps, stats and checks presence through the
 * library; without the group it is refused (EACCES); the control node stays
 * root's, and the status of a space needs no privilege.
 */
#include <grp.h>

#include "libtest.h"

#define GROUP	4242
#define USER	4343

FIXTURE(nr) {
	struct st_space sp;
	char path[64];
};

FIXTURE_SETUP(nr)
{
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_MMAP, 22,
		       { st_dev(0), 0, 128 * ST_MIB });
	snprintf(self->path, sizeof(self->path), "/dev/scratch%u", self->sp.id);
	ASSERT_EQ(0, chown(self->path, 0, GROUP));
	ASSERT_EQ(0, chmod(self->path, 0660));
}

FIXTURE_TEARDOWN(nr)
{
	ST_TEARDOWN();
}

/* Become user USER, in group GROUP or not; no capability is left after setuid. */
static int become(bool in_group)
{
	gid_t g = GROUP;

	if (setgroups(in_group ? 1 : 0, &g) || setgid(in_group ? GROUP : USER) || setuid(USER))
		return -errno;
	return 0;
}

/* The worker, in a child: 0 if everything held, else the number of the step that did not. */
static int worker(const char *path, uint32_t space)
{
	size_t n = 100000;
	unsigned char *in = lt_pattern(n, 91), *out = malloc(n);
	struct scratch_space_status st;
	struct scratch_atom_info ai;
	struct scratch_ctl *ctl;
	struct scratch_map *m;
	struct scratch_id id;
	struct scratch *s;
	uint8_t here = 0;
	uint64_t len = 0;

	if (!in || !out || become(true))
		return 1;
	if (scratch_space_open(path, 0, 0, 0, &s))
		return 2;
	if (scratch_atom_put(s, in, n, 3, 0, &id) || scratch_space_sync(s))
		return 3;
	if (scratch_atom_get(s, id, out, n, 0, &len) || len != n || memcmp(in, out, n))
		return 4;
	if (scratch_atom_map(s, id, 0, &m) || scratch_map_len(m) != n ||
	    memcmp(scratch_map_data(m), in, n))
		return 5;
	scratch_map_release(m);
	if (scratch_atom_present(s, &id, 1, &here) != 1 || !here ||
	    scratch_atom_stat(s, id, &ai, sizeof(ai)) || ai.length != n || ai.type != 3)
		return 6;
	scratch_space_close(s);
	if (scratch_ctl_open(NULL, 0, &ctl) != -EACCES)
		return 7;
	if (scratch_space_status(space, &st, sizeof(st)) || st.atoms != 1)
		return 8;
	return 0;
}

ST_TEST_F(nr, group_member_without_privilege)
{
	int status;
	pid_t pid = st_fork();

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(worker(self->path, self->sp.id));
	ASSERT_EQ(pid, st_waitpid(pid, &status));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("the worker failed at step %d", WEXITSTATUS(status));
}

ST_TEST_F(nr, outside_the_group_refused)
{
	int status;
	pid_t pid = st_fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct scratch *s;

		if (become(false))
			_exit(1);
		_exit(scratch_space_open(self->path, 0, 0, 0, &s) == -EACCES ? 0 : 2);
	}
	ASSERT_EQ(pid, st_waitpid(pid, &status));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
