// SPDX-License-Identifier: GPL-2.0
/*
 * scrub: walk a space with scratch_space_scrub() at a given pace, show
 * progress on a terminal, and report (and make durable) the bad atoms the
 * module dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scratchctl.h"

#define SCRUB_IDS	64	/* bad ids per call */

/* Ahead of the pace: sleep until @bytes / @rate MB a second have passed since @t0. */
static void pace(ull bytes, ull rate, double t0)
{
	double ahead = (double)bytes / ((double)rate * 1e6) - (now_s() - t0);
	struct timespec ts;

	if (ahead <= 0)
		return;
	ts.tv_sec = (time_t)ahead;
	ts.tv_nsec = (long)((ahead - (double)(time_t)ahead) * 1e9);
	nanosleep(&ts, NULL);
}

struct scrub_run {
	const char	*path;
	ull		checked, bytes, errors, calls, nbad;
	struct scratch_id *bad;
	double		secs;
};

static void scrub_print(const struct scrub_run *r, bool json, bool recheck, ull rate)
{
	char idtxt[SCRATCH_ID_STRLEN], a[32];
	ull i;

	if (json) {
		printf("{\"space\": \"%s\", \"checked\": %llu, \"bytes\": %llu, \"bad\": %llu, "
		       "\"errors\": %llu, \"calls\": %llu, \"seconds\": %.3f, \"recheck\": %s, "
		       "\"rate_mb\": %llu, \"bad_ids\": [", r->path, r->checked, r->bytes, r->nbad,
		       r->errors, r->calls, r->secs, recheck ? "true" : "false", rate);
		for (i = 0; i < r->nbad; i++) {
			scratch_id_format(r->bad[i], idtxt);
			printf("%s\"%s\"", i ? ", " : "", idtxt);
		}
		puts("]}");
		return;
	}
	printf("%s: %llu atom%s (%s) checked in %.1f s, %llu bad, %llu read error%s\n",
	       r->path, r->checked, r->checked == 1 ? "" : "s", human(r->bytes, a, sizeof(a)),
	       r->secs, r->nbad, r->errors, r->errors == 1 ? "" : "s");
	for (i = 0; i < r->nbad; i++) {
		scratch_id_format(r->bad[i], idtxt);
		printf("bad %s (dropped: now missing)\n", idtxt);
	}
}

int cmd_scrub(int argc, char **argv)
{
	static const struct option own[] = {
		OPT_ARG("rate", 'r'), OPT_FLAG("recheck", 'R'), OPT_END,
	};
	struct opts o = {
		.cmd = "scrub", .common = OPT_JSON | OPT_NO_SYNC, .own = own, .own_short = "r:R",
	};
	struct scratch_id ids[SCRUB_IDS];
	struct scratch_scrub_stats sc;
	struct scratch_info info;
	struct scrub_run r = { 0 };
	struct scratch *s;
	char pathbuf[64], a[32], *end;
	bool recheck = false, prog;
	ull rate = 100, max_bytes;
	uint64_t cursor = 0;
	double t0, last = 0;
	unsigned int i;
	int c, ret, status = EXIT_TROUBLE;

	while ((c = opts_next(&o, argc, argv)) > 0) {
		if (c == 'R') {
			recheck = true;
			continue;
		}
		errno = 0;
		rate = strtoull(optarg, &end, 10);
		if (errno || end == optarg || *end || rate > 1000000000ULL)
			return usage_error("scrub: bad rate '%s' (MB per second, 0: no limit)", optarg);
	}
	if (c < 0)
		return o.status;
	if (argc - optind != 1)
		return usage_error("scrub: expected N");
	r.path = space_arg_path(argv[optind], pathbuf, sizeof(pathbuf));
	if (!r.path)
		return usage_error("scrub: '%s' is not a space", argv[optind]);

	ret = scratch_space_open(r.path, 0, 0, 0, &s);
	if (ret < 0) {
		report(CTX_SPACE, ret, "%s", r.path);
		return EXIT_TROUBLE;
	}
	if (scratch_space_info(s, &info, sizeof(info)) < 0)
		info.nr_segments = 0;
	prog = want_progress();
	/* A tenth of a second's worth per call: the pace is kept smoothly. */
	max_bytes = rate ? rate * 100000 : 64 * MiB;
	if (max_bytes < MiB)
		max_bytes = MiB;
	t0 = now_s();
	do {
		ret = scratch_space_scrub(s, &cursor, max_bytes,
					  recheck ? SCRATCH_SCRUB_RECHECK : 0, ids, SCRUB_IDS,
					  &sc, sizeof(sc));
		if (ret < 0) {
			if (prog)
				fputs("\r\033[K", stderr);
			report(ret == -EPERM ? CTX_CONTROL : CTX_SPACE, ret, "scrub %s", r.path);
			goto out;
		}
		r.calls++;
		r.checked += sc.checked;
		r.bytes += sc.bytes;
		r.errors += sc.errors;
		if (sc.nr_bad) {
			struct scratch_id *p = realloc(r.bad, (r.nbad + sc.nr_bad) * sizeof(*r.bad));

			if (!p) {
				report(CTX_ANY, -ENOMEM, "scrub");
				goto out;
			}
			r.bad = p;
			for (i = 0; i < sc.nr_bad && i < SCRUB_IDS; i++)
				r.bad[r.nbad++] = ids[i];
		}
		if (rate)
			pace(r.bytes, rate, t0);
		if (prog && (now_s() - last > 0.2 || cursor == SCRATCH_SCRUB_END)) {
			last = now_s();
			fprintf(stderr, "\rscrub %s: segment %llu of %llu, %llu atoms (%s) checked, %llu bad\033[K",
				r.path, cursor == SCRATCH_SCRUB_END ? (ull)info.nr_segments :
				(ull)sc.segment, (ull)info.nr_segments, r.checked,
				human(r.bytes, a, sizeof(a)), r.nbad);
		}
	} while (cursor != SCRATCH_SCRUB_END);
	if (prog)
		fputs("\r\033[K", stderr);
	r.secs = now_s() - t0;

	/* Dropped records leave the drive's tables at the next sync: make it now. */
	if (r.nbad && !o.no_sync) {
		ret = scratch_space_sync(s);
		if (ret < 0) {
			report(CTX_ANY, ret, "scrub %s: sync", r.path);
			goto out;
		}
	}
	scrub_print(&r, o.json, recheck, rate);
	status = r.nbad || r.errors ? EXIT_FOUND : EXIT_OK;
out:
	free(r.bad);
	scratch_space_close(s);
	return status;
}
