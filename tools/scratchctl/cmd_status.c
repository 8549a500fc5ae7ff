// SPDX-License-Identifier: GPL-2.0
/*
 * status and ls: the attached spaces, their counters, uuid and members (with
 * the members' stable names under /dev/disk/by-id), for people and as JSON.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "scratchctl.h"

/* The attached spaces, ascending, in a buffer of ours. */
static int list_spaces(uint32_t **out, unsigned int *nr)
{
	unsigned int cap = 64;
	uint32_t *ids = NULL, *p;
	int n;

	for (;;) {
		p = realloc(ids, cap * sizeof(*ids));
		if (!p) {
			free(ids);
			return -ENOMEM;
		}
		ids = p;
		n = scratch_space_list(ids, cap);
		if (n < 0) {
			free(ids);
			return n;
		}
		if ((unsigned int)n <= cap)
			break;
		cap = (unsigned int)n + 16;
	}
	*out = ids;
	*nr = (unsigned int)n;
	return 0;
}

/* A stable name of the device @major:@minor under /dev/disk/by-id, or "" (no udev). */
static void by_id(uint32_t major, uint32_t minor, char *out, size_t n)
{
	struct dirent **e;
	struct stat st;
	char p[512];
	int i, k;

	out[0] = 0;
	k = scandir("/dev/disk/by-id", &e, NULL, alphasort);
	for (i = 0; i < k; i++) {
		snprintf(p, sizeof(p), "/dev/disk/by-id/%s", e[i]->d_name);
		if (!out[0] && e[i]->d_name[0] != '.' && !stat(p, &st) && S_ISBLK(st.st_mode) &&
		    major(st.st_rdev) == major && minor(st.st_rdev) == minor)
			snprintf(out, n, "%s", p);
		free(e[i]);
	}
	if (k >= 0)
		free(e);
}

static void uuid_text(const uint8_t *u, char *buf)
{
	sprintf(buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		u[13], u[14], u[15]);
}

/* The members of space @id, with their stable names: as JSON, or as lines. */
static void print_members(uint32_t id, bool json)
{
	struct scratch_member m[SCRATCH_MAX_REGIONS];
	char stable[512], a[32];
	int n, i;

	n = scratch_space_members(id, m, SCRATCH_MAX_REGIONS, sizeof(m[0]));
	if (n > SCRATCH_MAX_REGIONS)
		n = SCRATCH_MAX_REGIONS;
	if (json)
		fputs(", \"members\": [", stdout);
	for (i = 0; i < n; i++) {
		by_id(m[i].major, m[i].minor, stable, sizeof(stable));
		if (json) {
			printf("%s{\"index\": %u, \"device\": \"/dev/%s\", \"by_id\": ", i ? ", " : "",
			       m[i].index, m[i].name);
			if (stable[0])
				json_str(stable);
			else
				fputs("null", stdout);
			printf(", \"offset\": %llu, \"length\": %llu, \"read_errors\": %llu, "
			       "\"write_errors\": %llu, \"state\": \"%s\"}", (ull)m[i].offset,
			       (ull)m[i].length, (ull)m[i].read_errors, (ull)m[i].write_errors,
			       m[i].read_errors || m[i].write_errors ? "errors" : "online");
		} else {
			printf("  member %u   /dev/%s%s%s  %s at %llu, %llu read / %llu write errors\n",
			       m[i].index, m[i].name, stable[0] ? " = " : "", stable,
			       human(m[i].length, a, sizeof(a)), (ull)m[i].offset,
			       (ull)m[i].read_errors, (ull)m[i].write_errors);
		}
	}
	if (json)
		putchar(']');
}

/* --tenants: the per-tenant accounting of each space shown. */
static bool with_tenants;

/* The tenants of space @id (sysfs "tenants"), in a buffer of ours; how many, or -errno. */
static int get_tenants(uint32_t id, struct scratch_tenant_stat **out)
{
	struct scratch_tenant_stat *t = NULL, *p;
	int n = 0, cap = 0;

	for (;;) {
		n = scratch_space_tenants(id, t, (unsigned int)cap, sizeof(*t));
		if (n < 0 || n <= cap)
			break;
		cap = n + 16;
		p = realloc(t, (size_t)cap * sizeof(*t));
		if (!p) {
			n = -ENOMEM;
			break;
		}
		t = p;
	}
	if (n < 0) {
		free(t);
		return n;
	}
	*out = t;
	return n;
}

static void tenant_name(const struct scratch_tenant_stat *t, char *buf, size_t len)
{
	if (t->other)
		snprintf(buf, len, "other");
	else
		snprintf(buf, len, "%u", t->tenant);
}

static void print_tenants(uint32_t id, bool json)
{
	struct scratch_tenant_stat *t = NULL;
	char who[16], a[32], b[32], c[32], d[32];
	int n, i;

	n = get_tenants(id, &t);
	if (n < 0) {
		report(CTX_SPACE, n, "status scratch%u: tenants", id);
		n = 0;
	}
	if (json)
		fputs(", \"tenants\": [", stdout);
	else if (n)
		printf("  %-10s %10s %10s %10s %10s %7s %10s\n", "tenant", "atoms", "stored",
		       "written", "read", "pinned", "reserved");
	for (i = 0; i < n; i++) {
		tenant_name(&t[i], who, sizeof(who));
		if (json) {
			printf("%s{\"tenant\": %s%s%s, \"atoms\": %llu, \"stored_bytes\": %llu, "
			       "\"bytes_written\": %llu, \"bytes_read\": %llu, "
			       "\"pinned_segments\": %llu, \"reserved_bytes\": %llu}", i ? ", " : "",
			       t[i].other ? "\"" : "", who, t[i].other ? "\"" : "",
			       (ull)t[i].atoms, (ull)t[i].stored_bytes, (ull)t[i].bytes_written,
			       (ull)t[i].bytes_read, (ull)t[i].pinned_segments,
			       (ull)t[i].reserved_bytes);
		} else {
			printf("  %-10s %10llu %10s %10s %10s %7llu %10s\n", who, (ull)t[i].atoms,
			       human(t[i].stored_bytes, a, sizeof(a)),
			       human(t[i].bytes_written, b, sizeof(b)),
			       human(t[i].bytes_read, c, sizeof(c)), (ull)t[i].pinned_segments,
			       human(t[i].reserved_bytes, d, sizeof(d)));
		}
	}
	if (json)
		putchar(']');
	free(t);
}

static void print_status_json(const struct scratch_space_status *in, uint32_t id)
{
	char u[40];

	printf("{\"id\": %u, \"device\": \"/dev/scratch%u\", \"regions\": %u, "
	       "\"seg_size\": %llu, \"seg_shift\": %u, \"capacity\": %llu, "
	       "\"used\": %llu, \"nr_segments\": %llu, \"free_segments\": %llu, "
	       "\"pinned_segments\": %llu, \"atoms\": %llu, \"evictions\": %llu, "
	       "\"bytes_written\": %llu, \"bytes_read\": %llu, \"reload_us\": %llu, "
	       "\"atom_ram\": %llu, \"atom_ram_per_atom\": %llu, \"unverified\": %llu, "
	       "\"verified\": %llu, \"bad\": %llu, \"write_errors\": %llu",
	       id, id, in->nr_regions, 1ULL << in->seg_shift, in->seg_shift,
	       (ull)in->capacity, (ull)in->used_bytes, (ull)in->nr_segments,
	       (ull)in->free_segments, (ull)in->pinned_segments, (ull)in->atoms,
	       (ull)in->evictions, (ull)in->bytes_written, (ull)in->bytes_read,
	       (ull)in->reload_us, (ull)in->atom_ram_bytes,
	       in->atoms ? (ull)(in->atom_ram_bytes / in->atoms) : 0ULL,
	       (ull)in->unverified, (ull)in->verified, (ull)in->bad, (ull)in->write_errors);
	uuid_text(in->uuid, u);
	printf(", \"uuid\": \"%s\", \"label\": ", u);
	json_str(in->label);
	print_members(id, true);
	if (with_tenants)
		print_tenants(id, true);
	putchar('}');
}

static void print_status_human(const struct scratch_space_status *in, uint32_t id)
{
	char a[32], b[32], c[40];

	uuid_text(in->uuid, c);
	printf("scratch%u: /dev/scratch%u%s%s%s\n", id, id, in->label[0] ? " (" : "", in->label,
	       in->label[0] ? ")" : "");
	printf("  uuid       %s\n", c);
	printf("  capacity   %s in %llu segments of %s, %u region%s\n",
	       human(in->capacity, a, sizeof(a)), (ull)in->nr_segments,
	       human(1ULL << in->seg_shift, b, sizeof(b)), in->nr_regions,
	       in->nr_regions == 1 ? "" : "s");
	printf("  used       %s (%.1f%%)\n", human(in->used_bytes, a, sizeof(a)),
	       in->capacity ? 100.0 * (double)in->used_bytes / (double)in->capacity : 0.0);
	printf("  segments   %llu free / %llu total, %llu pinned\n",
	       (ull)in->free_segments, (ull)in->nr_segments, (ull)in->pinned_segments);
	if (in->atoms)
		printf("  atoms      %llu (%s of RAM each, %s in all)\n", (ull)in->atoms,
		       human(in->atom_ram_bytes / in->atoms, a, sizeof(a)),
		       human(in->atom_ram_bytes, b, sizeof(b)));
	else
		printf("  atoms      0 (%s of RAM for the index)\n",
		       human(in->atom_ram_bytes, a, sizeof(a)));
	printf("  evictions  %llu segment%s\n", (ull)in->evictions, in->evictions == 1 ? "" : "s");
	printf("  written    %s, read %s\n", human(in->bytes_written, a, sizeof(a)),
	       human(in->bytes_read, b, sizeof(b)));
	printf("  reload     %s\n", human_us(in->reload_us, c, sizeof(c)));
	if (in->unverified || in->verified || in->bad)
		printf("  verify     %llu atom%s not yet verified; since attach %llu verified, %llu bad\n",
		       (ull)in->unverified, in->unverified == 1 ? "" : "s",
		       (ull)in->verified, (ull)in->bad);
	if (in->write_errors)
		printf("  errors     %llu write error%s since attach (each dropped unsynced atoms)\n",
		       (ull)in->write_errors, in->write_errors == 1 ? "" : "s");
	print_members(id, false);
	if (with_tenants)
		print_tenants(id, false);
}

static void print_status(const struct scratch_space_status *in, uint32_t id, bool json)
{
	if (json)
		print_status_json(in, id);
	else
		print_status_human(in, id);
}

/*
 * --prometheus: node_exporter's text format (its textfile collector reads a
 * *.prom file that a timer rewrites), every family once, one sample per space.
 */
static const struct {
	const char	*name, *type, *help;
	size_t		off;
} prom_families[] = {
#define F(n, t, f, h) { "scratch_" n, t, h, offsetof(struct scratch_space_status, f) }
	F("capacity_bytes", "gauge", capacity, "Payload bytes over all segments."),
	F("used_bytes", "gauge", used_bytes, "Stored bytes of live atoms, page-rounded."),
	F("segments", "gauge", nr_segments, "Segments of the space."),
	F("free_segments", "gauge", free_segments, "Segments free for writing."),
	F("pinned_segments", "gauge", pinned_segments, "Segments mapped, read or being written."),
	F("atoms", "gauge", atoms, "Live atoms and arrays."),
	F("atom_ram_bytes", "gauge", atom_ram_bytes, "RAM of the atom index."),
	F("unverified_atoms", "gauge", unverified, "Reloaded atoms not yet verified."),
	F("evictions_total", "counter", evictions, "Segments evicted since attach."),
	F("written_bytes_total", "counter", bytes_written, "Bytes written since attach."),
	F("read_bytes_total", "counter", bytes_read, "Bytes read since attach."),
	F("verified_total", "counter", verified, "Verifications passed since attach."),
	F("bad_atoms_total", "counter", bad, "Atoms that failed verification since attach."),
	F("write_errors_total", "counter", write_errors, "Write errors since attach."),
#undef F
};

static void print_prometheus(const struct scratch_space_status *st, const uint32_t *ids,
			     unsigned int nr)
{
	struct scratch_member m[SCRATCH_MAX_REGIONS];
	unsigned int f, i;
	int k, n;
	char u[40];

	for (f = 0; f < sizeof(prom_families) / sizeof(prom_families[0]); f++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", prom_families[f].name, prom_families[f].help,
		       prom_families[f].name, prom_families[f].type);
		for (i = 0; i < nr; i++) {
			uuid_text(st[i].uuid, u);
			printf("%s{space=\"scratch%u\",uuid=\"%s\"} %llu\n", prom_families[f].name,
			       ids[i], u,
			       *(const ull *)((const char *)&st[i] + prom_families[f].off));
		}
	}
	for (f = 0; f < 2; f++) {
		const char *what = f ? "write" : "read";

		printf("# HELP scratch_member_%s_errors_total I/O errors a member returned since attach.\n"
		       "# TYPE scratch_member_%s_errors_total counter\n", what, what);
		for (i = 0; i < nr; i++) {
			n = scratch_space_members(ids[i], m, SCRATCH_MAX_REGIONS, sizeof(m[0]));
			for (k = 0; k < n && k < SCRATCH_MAX_REGIONS; k++)
				printf("scratch_member_%s_errors_total{space=\"scratch%u\",member=\"%u\","
				       "device=\"%s\"} %llu\n", what, ids[i], m[k].index, m[k].name,
				       (ull)(f ? m[k].write_errors : m[k].read_errors));
		}
	}
}

/* --prometheus --tenants: one sample per tenant of each space. */
static const struct {
	const char	*name, *type, *help;
	size_t		off;
} prom_tenant_families[] = {
#define F(n, t, f, h) { "scratch_tenant_" n, t, h, offsetof(struct scratch_tenant_stat, f) }
	F("atoms", "gauge", atoms, "Live atoms and arrays of the tenant."),
	F("stored_bytes", "gauge", stored_bytes, "Stored bytes of the tenant's atoms."),
	F("pinned_segments", "gauge", pinned_segments, "Segments the tenant pins."),
	F("reserved_bytes", "gauge", reserved_bytes, "Bytes of the tenant's open reservations."),
	F("written_bytes_total", "counter", bytes_written, "Bytes the tenant wrote since attach."),
	F("read_bytes_total", "counter", bytes_read, "Bytes the tenant read since attach."),
#undef F
};

static void print_prometheus_tenants(const uint32_t *ids, unsigned int nr)
{
	struct scratch_tenant_stat **t = calloc(nr ? nr : 1, sizeof(*t));
	int *n = calloc(nr ? nr : 1, sizeof(*n));
	unsigned int f, i;
	char who[16];
	int k;

	if (!t || !n)
		goto out;
	for (i = 0; i < nr; i++)
		n[i] = get_tenants(ids[i], &t[i]);
	for (f = 0; f < sizeof(prom_tenant_families) / sizeof(prom_tenant_families[0]); f++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", prom_tenant_families[f].name,
		       prom_tenant_families[f].help, prom_tenant_families[f].name,
		       prom_tenant_families[f].type);
		for (i = 0; i < nr; i++) {
			for (k = 0; k < n[i]; k++) {
				tenant_name(&t[i][k], who, sizeof(who));
				printf("%s{space=\"scratch%u\",tenant=\"%s\"} %llu\n",
				       prom_tenant_families[f].name, ids[i], who,
				       *(const ull *)((const char *)&t[i][k] +
						      prom_tenant_families[f].off));
			}
		}
	}
out:
	for (i = 0; t && i < nr; i++)
		if (n && n[i] > 0)
			free(t[i]);
	free(t);
	free(n);
}

/*
 * status --prometheus [SPACE]: every space (or the one @named) as node_exporter
 * metrics; a space detached meanwhile is skipped unless it was named.
 */
static int status_prometheus(const uint32_t *ids, unsigned int nr, bool named)
{
	struct scratch_space_status *st = calloc(nr ? nr : 1, sizeof(*st));
	uint32_t *ok = calloc(nr ? nr : 1, sizeof(*ok));
	unsigned int i, n = 0;
	int ret, status = EXIT_OK;

	if (!st || !ok) {
		report(CTX_ANY, -ENOMEM, "status");
		status = EXIT_ERR;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		ret = scratch_space_status(ids[i], &st[n], sizeof(st[n]));
		if ((ret == -ENOENT || ret == -ENODEV) && !named)
			continue;
		if (ret < 0) {
			report(CTX_SPACE, ret, "status scratch%u", ids[i]);
			status = EXIT_ERR;
			continue;
		}
		ok[n++] = ids[i];
	}
	print_prometheus(st, ok, n);
	if (with_tenants)
		print_prometheus_tenants(ok, n);
out:
	free(st);
	free(ok);
	return status;
}

int cmd_status(int argc, char **argv)
{
	static const struct option own[] = {
		OPT_FLAG("prometheus", 'P'), OPT_FLAG("tenants", 't'), OPT_END
	};
	struct opts o = { .cmd = "status", .common = OPT_JSON, .own = own, .own_short = "Pt" };
	struct scratch_space_status in;
	unsigned int nr = 0, i;
	uint32_t one = 0, *ids = NULL;
	bool first = true, prom = false;
	int c, ret, status = EXIT_OK;

	while ((c = opts_next(&o, argc, argv)) > 0) {
		if (c == 't')
			with_tenants = true;
		else
			prom = true;
	}
	if (c < 0)
		return o.status;
	if (argc - optind > 1)
		return usage_error("status: at most one space");
	if (prom && o.json)
		return usage_error("status: --json or --prometheus, not both");
	if (optind < argc && prom) {
		if (!parse_space(argv[optind], &one))
			return usage_error("status: '%s' is not a space", argv[optind]);
		return status_prometheus(&one, 1, true);
	}
	if (optind < argc) {
		if (!parse_space(argv[optind], &one))
			return usage_error("status: '%s' is not a space", argv[optind]);
		ret = scratch_space_status(one, &in, sizeof(in));
		if (ret < 0) {
			report(CTX_SPACE, ret, "status scratch%u", one);
			return EXIT_ERR;
		}
		print_status(&in, one, o.json);
		if (o.json)
			putchar('\n');
		return EXIT_OK;
	}

	ret = list_spaces(&ids, &nr);
	if (ret < 0) {
		report(CTX_CONTROL, ret, "status: listing spaces via %s", CONTROL_PATH);
		return EXIT_ERR;
	}
	if (prom) {
		status = status_prometheus(ids, nr, false);
		free(ids);
		return status;
	}
	if (o.json)
		fputs("{\"spaces\": [", stdout);
	else if (!nr)
		puts("no spaces attached");
	for (i = 0; i < nr; i++) {
		ret = scratch_space_status(ids[i], &in, sizeof(in));
		if (ret < 0) {
			/* Detached between the list and the status is not an error of ours. */
			if (ret != -ENOENT && ret != -ENODEV) {
				report(CTX_SPACE, ret, "status scratch%u", ids[i]);
				status = EXIT_ERR;
			}
			continue;
		}
		if (!first)
			fputs(o.json ? ", " : "\n", stdout);
		first = false;
		print_status(&in, ids[i], o.json);
	}
	if (o.json)
		puts("]}");
	free(ids);
	return status;
}

/* ls [--json]: the attached spaces, one name per line. */
int cmd_ls(int argc, char **argv)
{
	struct opts o = { .cmd = "ls", .common = OPT_JSON };
	unsigned int nr = 0, i;
	uint32_t *ids = NULL;
	int ret;

	if (opts_stop(&o, argc, argv))
		return o.status;
	if (optind < argc)
		return usage_error("ls: only --json is accepted");
	ret = list_spaces(&ids, &nr);
	if (ret < 0) {
		report(CTX_ANY, ret, "ls");
		return EXIT_ERR;
	}
	if (o.json)
		printf("[");
	for (i = 0; i < nr; i++)
		if (o.json)
			printf("%s\"scratch%u\"", i ? ", " : "", ids[i]);
		else
			printf("scratch%u\n", ids[i]);
	if (o.json)
		printf("]\n");
	free(ids);
	return EXIT_OK;
}
