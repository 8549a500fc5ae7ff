// SPDX-License-Identifier: GPL-2.0
/*
 * Atom commands, all through libscratch: put, get, cat, stat and part.  A
 * command never writes bytes the library has not checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratchctl.h"

/* The whole of a pipe or terminal: its size is not known before the reservation. */
static int slurp(int fd, char **out, size_t *len, ull limit)
{
	size_t cap = CHUNK, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *p;

			if (limit && cap > limit)
				break;
			p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (limit && n > limit) {
			free(buf);
			return -EFBIG;
		}
	}
	*out = buf;
	*len = n;
	return 0;
}

/*
 * put: a regular file is mapped and handed to the library as it is (the
 * bytes go from the file's page cache to the device's, no buffer of ours);
 * a pipe is read whole first, up to a segment.
 */
int cmd_put(int argc, char **argv)
{
	static const struct option own[] = {
		OPT_ARG("type", 't'), OPT_OPTARG("zstd", 'z'), OPT_END,
	};
	char pathbuf[64], idtxt[SCRATCH_ID_STRLEN];
	struct opts o = {
		.cmd = "put", .common = OPT_TENANT | OPT_NO_SYNC, .own = own, .own_short = "t:z::",
	};
	const char *path, *input = "-";
	unsigned int flags = 0;
	uint32_t type = 0, level;
	struct scratch_info info;
	struct scratch_id id = { 0, 0 };
	struct scratch *s = NULL;
	char *mem = NULL;
	void *map = MAP_FAILED;
	size_t len = 0;
	int c, in = STDIN_FILENO, ret, status = EXIT_ERR;
	struct stat st;

	while ((c = opts_next(&o, argc, argv)) > 0) {
		if (c == 't') {
			if (!parse_u32(optarg, &type, 0xffff))
				return usage_error("put: bad type '%s' (0..65535)", optarg);
			continue;
		}
		level = 0;
		if (optarg && (!parse_u32(optarg, &level, 22) || !level))
			return usage_error("put: bad zstd level '%s' (1..22)", optarg);
		flags |= SCRATCH_PUT_ZSTD | SCRATCH_PUT_LEVEL(level);
	}
	if (c < 0)
		return o.status;
	if (!o.no_sync)
		flags |= SCRATCH_PUT_SYNC;
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error("put: expected N [FILE|-]");
	path = space_arg_path(argv[optind], pathbuf, sizeof(pathbuf));
	if (!path)
		return usage_error("put: '%s' is not a space", argv[optind]);
	if (argc - optind == 2)
		input = argv[optind + 1];

	if (strcmp(input, "-")) {
		in = open(input, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			report(CTX_FILE, -errno, "put: %s", input);
			return EXIT_ERR;
		}
	}
	s = lib_open("put", path, o.tenant);
	if (!s)
		goto out;
	if (fstat(in, &st) == 0 && S_ISREG(st.st_mode) && lseek(in, 0, SEEK_CUR) == 0) {
		len = (size_t)st.st_size;
		if (len) {
			map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, in, 0);
			if (map == MAP_FAILED) {
				report(CTX_FILE, -errno, "put: mapping %s", input);
				goto out;
			}
		}
	} else {
		ull limit = 0;

		/* A segment bounds an atom: stop reading a runaway pipe there. */
		if (scratch_space_info(s, &info, sizeof(info)) == 0 && info.seg_shift)
			limit = 1ULL << info.seg_shift;
		ret = slurp(in, &mem, &len, limit);
		if (ret < 0) {
			report(ret == -EFBIG ? CTX_ANY : CTX_FILE, ret, "put: reading %s",
			       strcmp(input, "-") ? input : "standard input");
			goto out;
		}
	}
	ret = scratch_atom_put(s, map != MAP_FAILED ? map : mem, len, (uint16_t)type, flags, &id);
	if (ret < 0 && !id.lo) {
		report(CTX_ATOM, ret, "put %s: %zu bytes", path, len);
		goto out;
	}
	scratch_id_format(id, idtxt);
	puts(idtxt);
	if (ret < 0) {
		/* Committed and readable (the id is printed); only its durability is in doubt. */
		report(CTX_ANY, ret, "put %s: sync", path);
		goto out;
	}
	status = EXIT_OK;
out:
	if (map != MAP_FAILED)
		munmap(map, len);
	free(mem);
	scratch_space_close(s);
	if (in != STDIN_FILENO)
		close(in);
	return status;
}

/* "N ID..." of get, cat and stat: the space's path and @n ids; EXIT_OK or a usage exit. */
static int atom_args(const char *cmd, int argc, char **argv, char *pathbuf, size_t len,
		     const char **path, struct scratch_id *ids, int n)
{
	int i;

	if (argc - optind != n + 1)
		return usage_error("%s: expected N ID", cmd);
	*path = space_arg_path(argv[optind], pathbuf, len);
	if (!*path)
		return usage_error("%s: '%s' is not a space", cmd, argv[optind]);
	for (i = 0; i < n; i++)
		if (scratch_id_parse(argv[optind + 1 + i], &ids[i]))
			return usage_error("%s: '%s' is not an atom id (32 hex digits)", cmd,
					   argv[optind + 1 + i]);
	return EXIT_OK;
}

/* A buffer for the atom's logical bytes: *buf (free it) and *cap. */
static int atom_buffer(struct scratch *s, struct scratch_id id, char **buf, uint64_t *cap)
{
	struct scratch_atom_info info;
	int ret = scratch_atom_stat(s, id, &info, sizeof(info));

	if (ret < 0)
		return ret;
	if (info.nr_parts)
		return -EISDIR;
	if (info.length > SIZE_MAX)
		return -EFBIG;
	*buf = malloc(info.length ? (size_t)info.length : 1);
	if (!*buf)
		return -ENOMEM;
	*cap = info.length;
	return 0;
}

/* The atom's logical bytes, checked (and decompressed) by the library, into *buf. */
static int get_one(struct scratch *s, struct scratch_id id, bool use_map, char **buf,
		   uint64_t *len, struct scratch_map **m)
{
	uint64_t cap;
	int ret;

	if (use_map) {
		ret = scratch_atom_map(s, id, 0, m);
		if (ret < 0)
			return ret;
		*buf = (char *)scratch_map_data(*m);
		*len = scratch_map_len(*m);
		return 0;
	}
	ret = atom_buffer(s, id, buf, &cap);
	return ret < 0 ? ret : scratch_atom_get(s, id, *buf, cap, 0, len);
}

/* -o FILE (or standard output); -1 after reporting. */
static int open_output(const char *output)
{
	int out;

	if (!output || !strcmp(output, "-"))
		return STDOUT_FILENO;
	out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		report(CTX_FILE, -errno, "get: %s", output);
	return out;
}

int cmd_get(int argc, char **argv)
{
	static const struct option own[] = {
		OPT_ARG("output", 'o'), OPT_FLAG("mmap", 'm'), OPT_END,
	};
	struct opts o = { .cmd = "get", .common = OPT_TENANT, .own = own, .own_short = "o:m" };
	char pathbuf[64];
	const char *path, *output = NULL;
	bool use_mmap = false;
	struct scratch_map *m = NULL;
	struct scratch_id id;
	struct scratch *s;
	char *buf = NULL;
	uint64_t len = 0;
	int c, out, ret, status = EXIT_ERR;

	while ((c = opts_next(&o, argc, argv)) > 0) {
		if (c == 'o')
			output = optarg;
		else
			use_mmap = true;
	}
	if (c < 0)
		return o.status;
	ret = atom_args("get", argc, argv, pathbuf, sizeof(pathbuf), &path, &id, 1);
	if (ret != EXIT_OK)
		return ret;

	s = lib_open("get", path, o.tenant);
	if (!s)
		return EXIT_ERR;
	/* Never emit bytes that fail their checksum: the library checks before we write. */
	ret = get_one(s, id, use_mmap, &buf, &len, &m);
	if (ret < 0) {
		report(CTX_ATOM, ret, "get %s", argv[optind + 1]);
		goto out;
	}
	out = open_output(output);
	if (out < 0)
		goto out;
	ret = write_full(out, buf, (size_t)len);
	if (ret < 0)
		report(CTX_FILE, ret, "get: writing %s", output ? output : "standard output");
	if (out != STDOUT_FILENO && close(out) < 0) {
		report(CTX_FILE, -errno, "get: closing %s", output);
		ret = -1;
	}
	if (ret == 0)
		status = EXIT_OK;
out:
	if (m)
		scratch_map_release(m);
	else
		free(buf);
	scratch_space_close(s);
	return status;
}

/* cat N ID...: the atoms' bytes one after the other, read with one batch get. */
int cmd_cat(int argc, char **argv)
{
	struct opts o = { .cmd = "cat", .common = OPT_TENANT };
	struct scratch_get *g = NULL;
	struct scratch_id *ids = NULL;
	char pathbuf[64];
	const char *path;
	struct scratch *s = NULL;
	int i, n, ret, status = EXIT_ERR;

	if (opts_stop(&o, argc, argv))
		return o.status;
	if (argc - optind < 2)
		return usage_error("cat: expected N ID...");
	n = argc - optind - 1;
	g = calloc((size_t)n, sizeof(*g));
	ids = calloc((size_t)n, sizeof(*ids));
	if (!g || !ids) {
		report(CTX_ANY, -ENOMEM, "cat");
		goto out;
	}
	status = atom_args("cat", argc, argv, pathbuf, sizeof(pathbuf), &path, ids, n);
	if (status != EXIT_OK)
		goto out;
	status = EXIT_ERR;
	s = lib_open("cat", path, o.tenant);
	if (!s)
		goto out;
	for (i = 0; i < n; i++) {
		g[i].id = ids[i];
		ret = atom_buffer(s, ids[i], (char **)&g[i].buf, &g[i].cap);
		if (ret < 0) {
			report(CTX_ATOM, ret, "cat %s", argv[optind + 1 + i]);
			goto out;
		}
	}
	ret = scratch_atom_get_batch(s, g, (unsigned int)n, 0);
	if (ret < 0) {
		report(CTX_ANY, ret, "cat");
		goto out;
	}
	/* All or nothing: no bytes reach the output unless every atom was read and checked. */
	for (i = 0; i < n; i++)
		if (g[i].res < 0) {
			report(CTX_ATOM, g[i].res, "cat %s", argv[optind + 1 + i]);
			goto out;
		}
	for (i = 0; i < n; i++) {
		ret = write_full(STDOUT_FILENO, g[i].buf, (size_t)g[i].len);
		if (ret < 0) {
			report(CTX_FILE, ret, "cat: writing standard output");
			goto out;
		}
	}
	status = EXIT_OK;
out:
	for (i = 0; g && i < n; i++)
		free(g[i].buf);
	free(g);
	free(ids);
	scratch_space_close(s);
	return status;
}

int cmd_stat(int argc, char **argv)
{
	struct opts o = { .cmd = "stat", .common = OPT_TENANT | OPT_JSON };
	char pathbuf[64], idtxt[SCRATCH_ID_STRLEN], a[32];
	const char *path;
	struct scratch_atom_info st;
	struct scratch_id id;
	struct scratch *s;
	int ret;

	if (opts_stop(&o, argc, argv))
		return o.status;
	ret = atom_args("stat", argc, argv, pathbuf, sizeof(pathbuf), &path, &id, 1);
	if (ret != EXIT_OK)
		return ret;
	scratch_id_format(id, idtxt);

	s = lib_open("stat", path, o.tenant);
	if (!s)
		return EXIT_ERR;
	ret = scratch_atom_stat(s, id, &st, sizeof(st));
	scratch_space_close(s);
	if (ret < 0) {
		report(CTX_ATOM, ret, "stat %s", idtxt);
		return EXIT_ERR;
	}

	/* xxh64 is a string: a JSON number loses bits above 2^53 in most parsers. */
	if (o.json) {
		printf("{\"id\": \"%s\", \"stored_len\": %llu, "
		       "\"length\": %llu, \"xxh64\": \"%016llx\", \"type\": %u, "
		       "\"atom_flags\": %u, \"zstd\": %s, \"nr_parts\": %u, \"verified\": %s}\n",
		       idtxt, (ull)st.stored_len, (ull)st.length,
		       (ull)st.xxh64, st.type, st.atom_flags,
		       st.atom_flags & SCRATCH_ATOM_ZSTD ? "true" : "false", st.nr_parts,
		       st.status & SCRATCH_STAT_VERIFIED ? "true" : "false");
		return EXIT_OK;
	}
	printf("id         %s\n", idtxt);
	printf("stored     %llu bytes (%s)\n", (ull)st.stored_len, human(st.stored_len, a, sizeof(a)));
	printf("length     %llu bytes\n", (ull)st.length);
	printf("xxh64      %016llx\n", (ull)st.xxh64);
	printf("type       %u\n", st.type);
	printf("flags      %s\n", st.atom_flags & SCRATCH_ATOM_ZSTD ? "zstd" :
	       st.atom_flags ? "unknown" : "none");
	if (st.nr_parts)
		printf("parts      %u\n", st.nr_parts);
	printf("verified   %s\n", st.status & SCRATCH_STAT_VERIFIED ? "yes" :
	       "no (reloaded; checked on first read)");
	return EXIT_OK;
}

/*
 * horizon N ID...: how many bytes of new writes each atom's segment has
 * before eviction, and at the space's recent write rate how long that is.
 */
int cmd_horizon(int argc, char **argv)
{
	struct opts o = { .cmd = "horizon", .common = OPT_TENANT | OPT_JSON };
	struct scratch_id *ids = NULL;
	uint64_t *bytes = NULL, rate = 0;
	char pathbuf[64], a[32], r[32];
	struct scratch *s = NULL;
	const char *path;
	int i, n, ret, status = EXIT_ERR;

	if (opts_stop(&o, argc, argv))
		return o.status;
	if (argc - optind < 2)
		return usage_error("horizon: expected N ID...");
	n = argc - optind - 1;
	ids = calloc((size_t)n, sizeof(*ids));
	bytes = calloc((size_t)n, sizeof(*bytes));
	if (!ids || !bytes) {
		report(CTX_ANY, -ENOMEM, "horizon");
		goto out;
	}
	status = atom_args("horizon", argc, argv, pathbuf, sizeof(pathbuf), &path, ids, n);
	if (status != EXIT_OK)
		goto out;
	status = EXIT_ERR;
	s = lib_open("horizon", path, o.tenant);
	if (!s)
		goto out;
	ret = scratch_atom_horizon(s, ids, (unsigned int)n, bytes, &rate);
	if (ret < 0) {
		report(CTX_ANY, ret, "horizon");
		goto out;
	}
	if (o.json)
		printf("{\"write_rate\": %llu, \"atoms\": [", (ull)rate);
	else
		printf("write rate %s/s (recent)\n", human(rate, r, sizeof(r)));
	for (i = 0; i < n; i++) {
		const char *id = argv[optind + 1 + i];
		const char *state = bytes[i] == SCRATCH_HORIZON_MISSING ? "missing" :
				    bytes[i] == SCRATCH_HORIZON_PINNED ? "pinned" : NULL;

		if (o.json && state)
			printf("%s{\"id\": \"%s\", \"state\": \"%s\", \"bytes\": null}",
			       i ? ", " : "", id, state);
		else if (o.json && rate)
			printf("%s{\"id\": \"%s\", \"state\": \"stored\", \"bytes\": %llu, "
			       "\"seconds\": %.0f}", i ? ", " : "", id, (ull)bytes[i],
			       (double)bytes[i] / (double)rate);
		else if (o.json)
			printf("%s{\"id\": \"%s\", \"state\": \"stored\", \"bytes\": %llu, "
			       "\"seconds\": null}", i ? ", " : "", id, (ull)bytes[i]);
		else if (state)
			printf("%s  %s\n", id, state);
		else if (rate)
			printf("%s  %s of writes, about %.0f s at that rate\n", id,
			       human(bytes[i], a, sizeof(a)), (double)bytes[i] / (double)rate);
		else
			printf("%s  %s of writes\n", id, human(bytes[i], a, sizeof(a)));
	}
	if (o.json)
		printf("]}\n");
	/* Like cat: an id that is not there fails the command, after the report. */
	status = ret == n ? EXIT_OK : EXIT_ERR;
out:
	if (s)
		scratch_space_close(s);
	free(bytes);
	free(ids);
	return status;
}

/* part ID I: the id of part I of an array (no space needed). */
int cmd_part(int argc, char **argv)
{
	struct opts o = { .cmd = "part" };
	char idtxt[SCRATCH_ID_STRLEN];
	struct scratch_id id;
	uint32_t i;

	if (opts_stop(&o, argc, argv))
		return o.status;
	if (argc - optind != 2)
		return usage_error("part: expected ARRAY-ID I");
	if (scratch_id_parse(argv[optind], &id))
		return usage_error("part: '%s' is not an atom id (32 hex digits)", argv[optind]);
	if (!parse_u32(argv[optind + 1], &i, SCRATCH_MAX_PARTS - 1) || scratch_id_is_part(id))
		return usage_error("part: bad part '%s' of '%s'", argv[optind + 1], argv[optind]);
	scratch_id_format(scratch_array_part_id(id, i), idtxt);
	puts(idtxt);
	return EXIT_OK;
}
