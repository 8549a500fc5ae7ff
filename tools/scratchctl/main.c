// SPDX-License-Identifier: GPL-2.0
/*
 * scratchctl: attach, detach and inspect scratch spaces, and put or get atoms
 * by hand.  This file: the command table, the usage text and the one option
 * parser; each group of commands lives in its cmd_*.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scratchctl.h"

static const char usage_text[] =
"usage: " PROG " COMMAND [ARGS]    (" PROG " --version, " PROG " COMMAND --help)\n"
"\n"
"  attach [--format [--force]] [--seg-size SIZE] DEV[:OFFSET[:LENGTH]]...\n"
"        Attach block devices (or byte ranges of them) as one space and print\n"
"        its name (scratchN).  Without --format the regions are reloaded.\n"
"        SIZE, OFFSET, LENGTH take K, M, G, T suffixes (powers of 1024);\n"
"        SIZE is a power of two from 1M to 16G (default: about 1/64 of the\n"
"        smallest region, from 1M to 1G).  --format refuses a region that\n"
"        holds a file system, RAID, LVM, swap or partition table signature\n"
"        unless --force is given.\n"
"  scan [--json]\n"
"        The scratch regions that start a block device on this host: device,\n"
"        space uuid, member index and count, size, and whether it is in use.\n"
"  assemble UUID|--all|--config FILE [--json]\n"
"        Attach the space UUID (every space found, with --all) from the\n"
"        devices its members are on today, in its order; refuse one with a\n"
"        member missing, naming it.  --config: the spaces FILE lists (NAME,\n"
"        uuid=UUID or DEV,DEV..., options format-blank and seg-size=SIZE).\n"
"  detach N|scratchN|/dev/scratchN|--all\n"
"        Sync and detach a space (every space, with --all).\n"
"  status [N] [--tenants] [--json|--prometheus]\n"
"        Capacity, use, counters, uuid and members of every attached space,\n"
"        or of space N; --prometheus as node_exporter textfile metrics.\n"
"        --tenants: also each tenant's atoms, stored bytes, bytes written\n"
"        and read, pinned segments and reserved bytes.\n"
"  features [--json]\n"
"        Features of the loaded module, one name per line.\n"
"  ls [--json]\n"
"        The attached spaces, one per line.\n"
"  put N [FILE|-] [--type T] [--tenant T] [--zstd[=LEVEL]] [--no-sync]\n"
"        Store FILE (default: standard input) as one atom (XXH64 and, with\n"
"        --zstd, compression by libscratch), sync, and print its id.\n"
"  get N ID [--tenant T] [--mmap] [-o FILE]\n"
"        Write the atom's bytes (checked, decompressed) to standard output or\n"
"        FILE; --mmap reads them through a read-only shared mapping.\n"
"  cat N ID... [--tenant T]\n"
"        The atoms' bytes one after the other, read in one batch; nothing is\n"
"        written unless every atom was read and checked.\n"
"  stat N ID [--tenant T] [--json]\n"
"        Show an atom's lengths, checksum, type, flags, parts and whether it\n"
"        is verified (written since attach, or checked since reloaded).\n"
"  part ARRAY-ID I\n"
"        Print the id of part I of an array.\n"
"  horizon N ID... [--tenant T] [--json]\n"
"        How many bytes of new writes each atom's segment has before it is\n"
"        evicted (first in, first out), and about how long at the space's\n"
"        recent write rate; 'pinned' (mapped or in use: not evicted) or\n"
"        'missing'.  Fails if an atom is missing.\n"
"  scrub N [--rate MB] [--recheck] [--no-sync] [--json]\n"
"        Verify every atom of space N not yet verified since attach (--recheck:\n"
"        every atom) at most MB megabytes (10^6 bytes) a second (default 100,\n"
"        0: no limit), report the bad ones and drop them (they become missing;\n"
"        a sync makes that durable unless --no-sync).  Progress on a terminal.\n"
"  fsck IMAGE [--offset B] [--length B] [--payload] [--json]\n"
"        Check a scratch region that is not attached (a block device or an\n"
"        image file; B takes K, M, G suffixes): both superblocks, every segment\n"
"        header and atom record, with the module's own parsers; --payload also\n"
"        hashes every atom's bytes (progress on a terminal).  Prints a summary\n"
"        and each problem.\n"
"\n"
"N names a space: 0, scratch0, /dev/scratch0 or a link to it such as\n"
"/dev/scratch/NAME.  ID is 32 hex digits.\n"
"Exit status: 0 success, 1 failure, 2 usage error.  scrub and fsck: 0 clean,\n"
"1 damage found, 2 usage, I/O or system error.\n";

int help(void)
{
	fputs(usage_text, stdout);
	return EXIT_OK;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcomplain(fmt, ap);
	va_end(ap);
	fputs("Try '" PROG " --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

/* ---- the option parser ---------------------------------------------------------- */

static const struct {
	unsigned int	bit;	/* OPT_*; 0: every command's */
	struct option	opt;
} common_opts[] = {
	{ OPT_JSON,	{ "json",	no_argument,		NULL, 'j' } },
	{ OPT_TENANT,	{ "tenant",	required_argument,	NULL, 'T' } },
	{ OPT_NO_SYNC,	{ "no-sync",	no_argument,		NULL, 'n' } },
	{ 0,		{ "help",	no_argument,		NULL, 'h' } },
};

static void opt_add(struct opts *o, size_t *n, const struct option *opt)
{
	char *s = o->shorts + strlen(o->shorts);

	o->all[(*n)++] = *opt;
	*s++ = (char)opt->val;
	if (opt->has_arg == required_argument)
		*s++ = ':';
	*s = '\0';
}

/* The command's table and the common options it takes, as getopt_long wants them. */
static void opts_build(struct opts *o)
{
	size_t n = 0, i;

	o->shorts[0] = '\0';
	for (i = 0; i < sizeof(common_opts) / sizeof(common_opts[0]); i++)
		if (!common_opts[i].bit || (common_opts[i].bit & o->common))
			opt_add(o, &n, &common_opts[i].opt);
	for (i = 0; o->own && o->own[i].name; i++)
		o->all[n++] = o->own[i];
	if (o->own_short)
		strcat(o->shorts, o->own_short);
	memset(&o->all[n], 0, sizeof(o->all[n]));
}

int opts_next(struct opts *o, int argc, char **argv)
{
	int c;

	if (!o->all[0].name)
		opts_build(o);
	/* getopt's own messages would make two lines of one error: ours name the option. */
	opterr = 0;
	if (o->shorts[0] != ':') {
		memmove(o->shorts + 1, o->shorts, strlen(o->shorts) + 1);
		o->shorts[0] = ':';
	}
	for (;;) {
		c = getopt_long(argc, argv, o->shorts, o->all, NULL);
		switch (c) {
		case -1:
			return 0;
		case 'j':
			o->json = true;
			continue;
		case 'n':
			o->no_sync = true;
			continue;
		case 'T':
			if (!parse_u32(optarg, &o->tenant, 0xffffffffU)) {
				o->status = usage_error("%s: bad tenant '%s'", o->cmd, optarg);
				return -1;
			}
			continue;
		case 'h':
			o->status = help();
			return -1;
		case '?':
			if (optopt)
				o->status = usage_error("%s: unknown option '-%c'", o->cmd, optopt);
			else
				o->status = usage_error("%s: unknown option '%s'", o->cmd,
							argv[optind - 1]);
			return -1;
		case ':':
			o->status = usage_error("%s: option '%s' needs a value", o->cmd,
						argv[optind - 1]);
			return -1;
		default:
			return c;
		}
	}
}

bool opts_stop(struct opts *o, int argc, char **argv)
{
	return opts_next(o, argc, argv) < 0;
}

/* ---- commands --------------------------------------------------------------------- */

static const struct {
	const char *name;
	cmd_fn *fn;
} commands[] = {
	{ "attach",	cmd_attach },	/* cmd_space.c */
	{ "detach",	cmd_detach },
	{ "features",	cmd_features },
	{ "status",	cmd_status },	/* cmd_status.c */
	{ "ls",		cmd_ls },
	{ "put",	cmd_put },	/* cmd_atom.c */
	{ "get",	cmd_get },
	{ "cat",	cmd_cat },
	{ "stat",	cmd_stat },
	{ "part",	cmd_part },
	{ "horizon",	cmd_horizon },
	{ "scrub",	cmd_scrub },	/* cmd_scrub.c */
	{ "fsck",	cmd_fsck },	/* cmd_fsck.c */
	{ "scan",	cmd_scan },	/* cmd_assemble.c */
	{ "assemble",	cmd_assemble },
};

/* The tool's, the library's it runs with, and the loaded module's versions. */
static int version(void)
{
	char mod[64] = "not loaded";
	FILE *f = fopen("/sys/module/scratch/version", "r");

	if (f) {
		if (!fgets(mod, sizeof(mod), f))
			snprintf(mod, sizeof(mod), "unknown");
		mod[strcspn(mod, "\n")] = 0;
		fclose(f);
	}
	printf("scratchctl %s (libscratch %s, module %s)\n", LIBSCRATCH_VERSION, scratch_version(),
	       mod);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage_error("no command given");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return help();
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return version();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
