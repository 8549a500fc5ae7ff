// SPDX-License-Identifier: GPL-2.0
/*
 * dmctl: the few dmsetup commands the crash tests need, as one static binary
 * for the busybox test VM (tests/vm/guest/dmlog.sh).
 *
 *   dmctl create NAME 'START LEN TYPE PARAMS' ...	(one argument per target)
 *   dmctl remove NAME...
 *   dmctl message NAME 'MESSAGE'
 *   dmctl status NAME					(INFO status, one line per target)
 *
 * create makes /dev/mapper/NAME.  Exit 0 on success, 1 with a message on
 * stderr otherwise.
 */
#include "dm.h"

static int usage(void)
{
	fprintf(stderr, "usage: dmctl create NAME 'START LEN TYPE PARAMS'...\n"
			"       dmctl remove NAME...\n"
			"       dmctl message NAME MESSAGE\n"
			"       dmctl status NAME\n");
	return 2;
}

int main(int argc, char **argv)
{
	char out[DM_BUF_SIZE];
	int r = 0, i;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "create")) {
		if (argc < 4)
			return usage();
		r = dm_create(argv[2], argv + 3, argc - 3);
	} else if (!strcmp(argv[1], "remove")) {
		for (i = 2; i < argc && !r; i++)
			r = dm_remove(argv[i]);
	} else if (!strcmp(argv[1], "message")) {
		if (argc != 4)
			return usage();
		r = dm_message(argv[2], argv[3]);
	} else if (!strcmp(argv[1], "status")) {
		r = dm_status(argv[2], out, sizeof(out));
		if (!r)
			fputs(out, stdout);
	} else {
		return usage();
	}
	if (r) {
		fprintf(stderr, "dmctl %s %s: %s\n", argv[1], argv[2], strerror(-r));
		return 1;
	}
	return 0;
}
