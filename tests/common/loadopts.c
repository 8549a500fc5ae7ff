// SPDX-License-Identifier: GPL-2.0
/*
 * The options the load programs (tests/crash/crashload.c, reloadload.c) share:
 * where the region lies on each device and its segment size.  One table here,
 * each program's own options in its own table.
 */
#include "scratch_test.h"

static const struct option st_load_opts_table[] = {
	{ "offset-mib", required_argument, NULL, 'o' },
	{ "region-mib", required_argument, NULL, 'l' },
	{ "seg-shift", required_argument, NULL, 's' },
};

#define ST_LOAD_NOPTS	(sizeof(st_load_opts_table) / sizeof(st_load_opts_table[0]))

int st_load_getopt(int argc, char **argv, const struct option *extra, struct st_load_opts *o,
		   int (*opt)(int c, char *arg))
{
	struct option all[64];
	unsigned int n = 0, i;
	int c;

	for (i = 0; i < ST_LOAD_NOPTS; i++)
		all[n++] = st_load_opts_table[i];
	for (i = 0; extra[i].name && n + 1 < sizeof(all) / sizeof(all[0]); i++)
		all[n++] = extra[i];
	memset(&all[n], 0, sizeof(all[n]));
	while ((c = getopt_long(argc, argv, "", all, NULL)) != -1) {
		switch (c) {
		case 'o': o->offset = strtoull(optarg, NULL, 0) * ST_MIB; break;
		case 'l': o->length = strtoull(optarg, NULL, 0) * ST_MIB; break;
		case 's': o->shift = atoi(optarg); break;
		case '?': return -1;
		default:
			if (opt(c, optarg))
				return -1;
		}
	}
	return 0;
}
