/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scratchctl's shared declarations: exit codes, the one-line error report,
 * the option parser every command uses, and the command functions, one
 * group per file (cmd_space.c, cmd_status.c, cmd_atom.c, cmd_scrub.c,
 * cmd_fsck.c, cmd_assemble.c; main.c's table says which).  Every call to the
 * module goes through libscratch.
 */
#ifndef SCRATCHCTL_H
#define SCRATCHCTL_H

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scratch.h>

#define PROG		"scratchctl"
#define CONTROL_PATH	"/dev/" SCRATCH_CONTROL_NAME

/* Exit codes: the contract scripts (and tests/vm/guest/demo.sh) rely on. */
#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_USAGE	2
/* scrub and fsck, like fsck(8)'s spirit: findings are not failures of the tool. */
#define EXIT_FOUND	1	/* damage found (and, for scrub, dropped) */
#define EXIT_TROUBLE	2	/* usage, I/O or system error: no verdict */

/* I/O unit for put and fsck: page aligned. */
#define CHUNK		(1UL << 20)
#define MiB		(1ULL << 20)

typedef unsigned long long ull;

/* ---- errors: one line on stderr, "scratchctl: WHAT: PLAIN WORDS (ENAME)" ---- */

/* What the failing call was, since one errno means different things per call. */
enum ctx {
	CTX_ANY,
	CTX_CONTROL,	/* opening /dev/scratch-control, or a root-only call */
	CTX_SPACE,	/* opening /dev/scratchN, or an unknown space id */
	CTX_ATTACH,
	CTX_DETACH,
	CTX_ATOM,	/* put/stat/get/map of an atom */
	CTX_TENANT,
	CTX_FILE,	/* the user's input or output file */
};

void report(enum ctx ctx, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A problem with no errno behind it. */
void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vcomplain(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* A usage problem: the message, a hint at --help; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int help(void);

/* ---- options ---------------------------------------------------------------- */

/* A command's own options, one entry each: getopt_long's struct option. */
#define OPT_FLAG(name, c)	{ name, no_argument, NULL, c }
#define OPT_ARG(name, c)	{ name, required_argument, NULL, c }
#define OPT_OPTARG(name, c)	{ name, optional_argument, NULL, c }
#define OPT_END			{ NULL, 0, NULL, 0 }

/* The options several commands share, parsed in one place (main.c). */
#define OPT_JSON	(1U << 0)	/* --json, -j */
#define OPT_TENANT	(1U << 1)	/* --tenant T, -T */
#define OPT_NO_SYNC	(1U << 2)	/* --no-sync, -n */

#define OPTS_MAX	12

struct opts {
	const char		*cmd;		/* for messages */
	unsigned int		common;		/* OPT_* the command takes */
	const struct option	*own;		/* its own, { NULL }-terminated; or NULL */
	const char		*own_short;	/* their letters, getopt style; or NULL */
	/* out: the common options */
	bool			json;
	bool			no_sync;
	uint32_t		tenant;
	int			status;		/* the exit status once opts_next() is -1 */
	/* the parser's */
	struct option		all[OPTS_MAX];
	char			shorts[2 * OPTS_MAX + 2];	/* with the leading ':' */
};

/*
 * The command's next own option (its letter, optarg set), 0 after the last
 * (argv[optind] is the first operand), or -1: --help was printed or a usage
 * error reported, and the command returns o->status.
 */
int opts_next(struct opts *o, int argc, char **argv);
/* For a command without options of its own: true if it must return o->status. */
bool opts_stop(struct opts *o, int argc, char **argv);

/* ---- parsing and output (util.c) ------------------------------------------- */

bool parse_size(const char *s, ull *out);
bool parse_u32(const char *s, uint32_t *out, uint32_t max);
/* "3", "scratch3", "/dev/scratch3" -> 3. */
bool parse_space(const char *s, uint32_t *id);
/* The device path of the space named by @arg into @buf; NULL if it names none. */
const char *space_arg_path(const char *arg, char *buf, size_t len);
const char *human(ull v, char *buf, size_t len);
const char *human_us(ull us, char *buf, size_t len);
void json_str(const char *s);
int write_full(int fd, const void *buf, size_t len);

/* Seconds on the monotonic clock; whether progress goes to a person (stderr a terminal). */
double now_s(void);
bool want_progress(void);

/* The control device; NULL after reporting. */
struct scratch_ctl *ctl_open(void);
/* A space through libscratch, bound to @tenant; NULL after reporting. */
struct scratch *lib_open(const char *cmd, const char *path, uint32_t tenant);

/* probe.c: what formatting @path's range would destroy (1, described in @what), 0, -errno. */
int probe_signature(const char *path, ull offset, ull length, char *what, size_t n);

/* ---- commands, one group per file --------------------------------------------- */

typedef int cmd_fn(int argc, char **argv);

cmd_fn cmd_attach, cmd_detach, cmd_features;				/* cmd_space.c */
cmd_fn cmd_status, cmd_ls;						/* cmd_status.c */
cmd_fn cmd_put, cmd_get, cmd_cat, cmd_stat, cmd_part, cmd_horizon;		/* cmd_atom.c */
cmd_fn cmd_scrub;							/* cmd_scrub.c */
cmd_fn cmd_fsck;							/* cmd_fsck.c */
cmd_fn cmd_scan, cmd_assemble;						/* cmd_assemble.c */

#endif /* SCRATCHCTL_H */
