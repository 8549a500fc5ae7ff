// SPDX-License-Identifier: GPL-2.0
/*
 * fsck: a region that is not attached (a block device or an image file),
 * read with the module's own parsers (kmod/core.c): both superblocks, every
 * segment header and atom record and, with --payload, every atom's bytes.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include <xxhash.h>

#include "scratchctl.h"
#include "core.h"

/* Problems kept for the report; more are counted, not listed. */
#define FSCK_LIST_MAX	1000

struct finding {
	long long seg;		/* -1: not about one segment */
	long long slot;		/* -1: not about one record */
	bool has_id;
	struct scratch_id id;
	char what[200];
};

struct fsck {
	int fd;
	ull base;		/* image offset of the region */
	ull avail;		/* bytes of the image from base on */
	bool payload;
	bool progress;		/* --payload, stderr a terminal */
	struct sc_super_info si;
	struct sc_geom g;
	enum sc_why why[2];	/* primary and backup superblock */
	ull nr_check;		/* segments inside the image */
	ull open, free, unused, foreign, damaged;
	ull atoms, arrays, stored, payload_bytes;
	ull problems;
	struct finding *list;
	size_t nlist;
	ull *seqs;		/* of the OPEN segments, for duplicates */
	void *buf;		/* CHUNK bytes, page aligned */
};

static void finding(struct fsck *f, long long seg, long long slot,
		    const struct scratch_id *id, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void finding(struct fsck *f, long long seg, long long slot,
		    const struct scratch_id *id, const char *fmt, ...)
{
	struct finding *p;
	va_list ap;

	f->problems++;
	if (f->nlist >= FSCK_LIST_MAX)
		return;
	p = &f->list[f->nlist++];
	p->seg = seg;
	p->slot = slot;
	p->has_id = id != NULL;
	if (id)
		p->id = *id;
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
}

/* Exactly @len bytes at region offset @pos: 0, -errno, or -EIO if the image ends. */
static int fsck_read(struct fsck *f, void *buf, size_t len, ull pos)
{
	char *p = buf;

	if (pos > f->avail || len > f->avail - pos)
		return -EIO;
	while (len) {
		ssize_t n = pread(f->fd, p, len, (off_t)(f->base + pos));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		pos += (ull)n;
		len -= (size_t)n;
	}
	return 0;
}

/* XXH64 of @len bytes at region offset @pos, streamed through f->buf. */
static int fsck_hash(struct fsck *f, ull pos, ull len, __u64 *out)
{
	XXH64_state_t *xs = XXH64_createState();
	int ret = 0;

	if (!xs)
		return -ENOMEM;
	XXH64_reset(xs, 0);
	while (len && !ret) {
		size_t n = len < CHUNK ? (size_t)len : CHUNK;

		ret = fsck_read(f, f->buf, n, pos);
		if (!ret)
			XXH64_update(xs, f->buf, n);
		pos += n;
		len -= n;
		f->payload_bytes += n;
	}
	*out = XXH64_digest(xs);
	XXH64_freeState(xs);
	return ret;
}

static ull fsck_seg_pos(const struct fsck *f, ull i)
{
	return SCRATCH_DISK_DATA_OFF + (i << f->si.seg_shift);
}

/*
 * The stored bytes of one valid record: a plain atom against its xxh64; an
 * array's part table against its xxh64 and the layout rules, then every part.
 * 0 (checked, findings recorded) or an I/O error.
 */
static int fsck_payload(struct fsck *f, ull i, u32 slot, const struct scratch_id *id,
			const struct sc_rec_info *ri)
{
	ull pos = fsck_seg_pos(f, i) + ((ull)ri->page << SC_PAGE_SHIFT);
	struct scratch_disk_part *parts;
	size_t tlen = (size_t)ri->nr_parts * sizeof(*parts);
	__u64 h;
	u32 k;
	int ret;

	if (!ri->nr_parts) {
		ret = fsck_hash(f, pos, ri->stored_len, &h);
		if (!ret && h != ri->xxh64)
			finding(f, (long long)i, slot, id, "payload: checksum mismatch");
		return ret;
	}
	/* At most 2 MiB: the record decoder bounded nr_parts. */
	parts = malloc(tlen);
	if (!parts)
		return -ENOMEM;
	ret = fsck_read(f, parts, tlen, pos);
	if (ret)
		goto out;
	f->payload_bytes += tlen;
	if (XXH64(parts, tlen, 0) != ri->xxh64) {
		finding(f, (long long)i, slot, id, "array: part table checksum mismatch");
		goto out;
	}
	if (sc_parts_check(parts, ri->nr_parts, ri->stored_len)) {
		finding(f, (long long)i, slot, id, "array: part table out of bounds or order");
		goto out;
	}
	for (k = 0; k < ri->nr_parts && !ret; k++) {
		ret = fsck_hash(f, pos + le64toh(parts[k].off), le64toh(parts[k].len), &h);
		if (!ret && h != le64toh(parts[k].xxh64)) {
			finding(f, (long long)i, slot, id, "array: part %u: checksum mismatch", k);
			break;
		}
	}
out:
	free(parts);
	return ret;
}

/* The table of an OPEN segment, page by page, as the module's reload reads it. */
static int fsck_table(struct fsck *f, ull i, const struct sc_seg_info *sg)
{
	const struct scratch_disk_atom *recs = f->buf;
	struct sc_idparts ip = { .seg = (u32)(f->si.first_seg + i), .gen = sg->gen };
	ull next = f->g.first_page;
	u32 tp, k, slot;
	int ret;

	for (tp = 0; tp < f->g.table_pages; tp++) {
		ret = fsck_read(f, f->buf, SC_PAGE, fsck_seg_pos(f, i) + (1ULL + tp) * SC_PAGE);
		if (ret)
			return ret;
		for (k = 0; k < SC_RECS_PER_PAGE; k++) {
			struct sc_rec_info ri;
			struct scratch_id id;
			enum sc_why why;

			slot = tp * SC_RECS_PER_PAGE + k;
			ip.slot = slot;
			id = sc_id_encode(&ip);
			why = sc_rec_why(&recs[k], &f->g, sg->gen, sg->seq, &ri);
			if (why == SC_WHY_MAGIC || why == SC_WHY_STALE)
				continue;	/* empty, or of an older incarnation */
			if (why != SC_WHY_OK) {
				finding(f, (long long)i, slot, &id, "record: %s (its atom is lost)",
					sc_why_str(why));
				continue;
			}
			if (ri.page < next) {
				finding(f, (long long)i, slot, &id,
					"record: pages overlap the atom before it (dropped at reload)");
				continue;
			}
			next = ri.page + sc_pages(ri.stored_len);
			f->atoms++;
			f->arrays += ri.nr_parts != 0;
			f->stored += ri.stored_len;
			if (f->payload) {
				/* fsck_payload() reuses f->buf: keep this page's records. */
				struct scratch_disk_atom saved[SC_RECS_PER_PAGE];

				memcpy(saved, recs, sizeof(saved));
				ret = fsck_payload(f, i, slot, &id, &ri);
				memcpy(f->buf, saved, sizeof(saved));
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

static int cmp_ull(const void *a, const void *b)
{
	ull x = *(const ull *)a, y = *(const ull *)b;

	return x < y ? -1 : x > y;
}

/* --payload on a terminal: the segment reached and the bytes hashed, five times a second. */
static void fsck_progress(struct fsck *f, ull i, bool done)
{
	static double last;
	char b[32];

	if (!f->progress || (!done && now_s() - last < 0.2))
		return;
	last = now_s();
	if (done)
		fputs("\r\033[K", stderr);
	else
		fprintf(stderr, "\rfsck: segment %llu of %llu, %s hashed\033[K", i, f->nr_check,
			human(f->payload_bytes, b, sizeof(b)));
}

/* Superblocks, then every segment inside the image. 0 or an I/O error. */
static int fsck_region(struct fsck *f)
{
	struct scratch_disk_super sb[2];
	struct sc_super_info s2;
	ull i, nopen = 0;
	int ret, k;

	if (f->avail < 2 * SC_PAGE) {
		finding(f, -1, -1, NULL,
			"image too short: %llu bytes from the offset, a region starts with two %llu-byte superblocks",
			f->avail, (ull)SC_PAGE);
		f->why[0] = f->why[1] = SC_WHY_MAGIC;
		return 0;
	}
	for (k = 0; k < 2; k++) {
		ret = fsck_read(f, &sb[k], sizeof(sb[k]), (ull)k * SC_PAGE);
		if (ret)
			return ret;
	}
	f->why[0] = sc_super_why(&sb[0], &f->si);
	f->why[1] = sc_super_why(&sb[1], &s2);
	if (f->why[0] != SC_WHY_OK && f->why[1] != SC_WHY_OK) {
		finding(f, -1, -1, NULL, f->why[0] == SC_WHY_MAGIC && f->why[1] == SC_WHY_MAGIC ?
			"no superblock: not a scratch region (or not at this offset)" :
			"both superblocks unusable: primary %s, backup %s",
			sc_why_str(f->why[0]), sc_why_str(f->why[1]));
		return 0;
	}
	if (f->why[0] != SC_WHY_OK) {
		finding(f, -1, -1, NULL, "primary superblock: %s (the backup is used)",
			sc_why_str(f->why[0]));
		f->si = s2;
	} else if (f->why[1] != SC_WHY_OK) {
		finding(f, -1, -1, NULL, "backup superblock: %s", sc_why_str(f->why[1]));
	} else if (memcmp(&f->si, &s2, sizeof(s2))) {
		finding(f, -1, -1, NULL, "backup superblock differs from the primary");
	}
	/* Decoded, hence sane: a known geometry, nr_segs consistent with region_len. */
	sc_geom_init(&f->g, f->si.seg_shift);
	f->nr_check = f->si.nr_segs;
	if (f->si.region_len > f->avail) {
		finding(f, -1, -1, NULL, "region: %llu bytes, but only %llu in the image from the offset",
			(ull)f->si.region_len, f->avail);
		f->nr_check = f->avail > SCRATCH_DISK_DATA_OFF ?
			      (f->avail - SCRATCH_DISK_DATA_OFF) >> f->si.seg_shift : 0;
		if (f->nr_check > f->si.nr_segs)
			f->nr_check = f->si.nr_segs;
	}
	f->seqs = calloc(f->nr_check ? f->nr_check : 1, sizeof(*f->seqs));
	if (!f->seqs)
		return -ENOMEM;

	for (i = 0; i < f->nr_check; i++) {
		struct scratch_disk_seg hdr;
		struct sc_seg_info sg;
		enum sc_why why;

		fsck_progress(f, i, false);
		ret = fsck_read(f, &hdr, sizeof(hdr), fsck_seg_pos(f, i));
		if (ret)
			return ret;
		why = sc_seg_why(&hdr, f->si.uuid, f->si.first_seg + i, &sg);
		switch (why) {
		case SC_WHY_OK:
			if (sg.state == SCRATCH_SEG_FREE) {
				f->free++;
				continue;
			}
			f->open++;
			f->seqs[nopen++] = sg.seq;
			ret = fsck_table(f, i, &sg);
			if (ret)
				return ret;
			continue;
		case SC_WHY_MAGIC:
			/* Never opened since the format; unless the rest says otherwise. */
			if (!memcmp(hdr.uuid, f->si.uuid, sizeof(hdr.uuid))) {
				f->damaged++;
				finding(f, (long long)i, -1, NULL,
					"segment header: no magic, but this space's uuid (its atoms are lost)");
			} else {
				f->unused++;
			}
			continue;
		case SC_WHY_FOREIGN:
			f->foreign++;	/* from a format before this one: ignored */
			continue;
		default:
			f->damaged++;
			finding(f, (long long)i, -1, NULL, "segment header: %s (its atoms are lost)",
				sc_why_str(why));
			continue;
		}
	}
	qsort(f->seqs, nopen, sizeof(*f->seqs), cmp_ull);
	for (i = 1; i < nopen; i++)
		if (f->seqs[i] == f->seqs[i - 1])
			finding(f, -1, -1, NULL, "two open segments share fill order (seq) %llu",
				f->seqs[i]);
	return 0;
}

static void fsck_print_json(const struct fsck *f, const char *image, ull off, ull len)
{
	bool have = f->why[0] == SC_WHY_OK || f->why[1] == SC_WHY_OK;
	size_t k;
	int i;

	fputs("{\"image\": ", stdout);
	json_str(image);
	printf(", \"offset\": %llu, \"length\": %llu, \"superblock\": \"%s\", \"backup\": \"%s\"",
	       off, len, sc_why_str(f->why[0]), sc_why_str(f->why[1]));
	if (have) {
		fputs(", \"uuid\": \"", stdout);
		for (i = 0; i < 16; i++)
			printf("%02x", f->si.uuid[i]);
		printf("\", \"region\": %u, \"regions\": %u, \"seg_size\": %llu, \"segments\": %llu, "
		       "\"first_seg\": %llu, \"checked_segments\": %llu",
		       f->si.region_idx, f->si.nr_regions, 1ULL << f->si.seg_shift,
		       (ull)f->si.nr_segs, (ull)f->si.first_seg, f->nr_check);
	}
	printf(", \"open_segments\": %llu, \"free_segments\": %llu, \"unused_segments\": %llu, "
	       "\"foreign_segments\": %llu, \"damaged_segments\": %llu, \"atoms\": %llu, "
	       "\"arrays\": %llu, \"stored_bytes\": %llu, \"payload_checked\": %s, "
	       "\"payload_bytes\": %llu, \"problems\": %llu, \"findings\": [",
	       f->open, f->free, f->unused, f->foreign, f->damaged, f->atoms, f->arrays,
	       f->stored, f->payload ? "true" : "false", f->payload_bytes, f->problems);
	for (k = 0; k < f->nlist; k++) {
		const struct finding *p = &f->list[k];
		char idtxt[SCRATCH_ID_STRLEN];

		printf("%s{", k ? ", " : "");
		if (p->seg >= 0)
			printf("\"segment\": %lld, ", p->seg);
		if (p->slot >= 0)
			printf("\"slot\": %lld, ", p->slot);
		if (p->has_id) {
			scratch_id_format(p->id, idtxt);
			printf("\"id\": \"%s\", ", idtxt);
		}
		fputs("\"what\": ", stdout);
		json_str(p->what);
		putchar('}');
	}
	puts("]}");
}

static void fsck_print_human(const struct fsck *f, const char *image)
{
	bool have = f->why[0] == SC_WHY_OK || f->why[1] == SC_WHY_OK;
	char a[32], b[32];
	size_t k;
	int i;

	printf("%s:", image);
	if (have) {
		printf(" scratch region %u of %u, space ", f->si.region_idx + 1, f->si.nr_regions);
		for (i = 0; i < 16; i++)
			printf("%02x", f->si.uuid[i]);
	}
	printf("\n  superblock %s, backup %s\n", sc_why_str(f->why[0]), sc_why_str(f->why[1]));
	if (have) {
		printf("  segments   %llu of %s (space-wide %llu..%llu): %llu open, %llu free, "
		       "%llu unused, %llu foreign, %llu damaged\n",
		       (ull)f->si.nr_segs, human(1ULL << f->si.seg_shift, a, sizeof(a)),
		       (ull)f->si.first_seg, (ull)(f->si.first_seg + f->si.nr_segs - 1),
		       f->open, f->free, f->unused, f->foreign, f->damaged);
		printf("  atoms      %llu (%llu array%s), %s stored\n", f->atoms, f->arrays,
		       f->arrays == 1 ? "" : "s", human(f->stored, a, sizeof(a)));
		if (f->payload)
			printf("  payload    %s hashed\n", human(f->payload_bytes, b, sizeof(b)));
		else
			printf("  payload    not checked (--payload hashes every atom)\n");
	}
	if (!f->problems) {
		puts("clean");
		return;
	}
	printf("%llu problem%s:\n", f->problems, f->problems == 1 ? "" : "s");
	for (k = 0; k < f->nlist; k++) {
		const struct finding *p = &f->list[k];
		char idtxt[SCRATCH_ID_STRLEN];

		fputs("  ", stdout);
		if (p->has_id) {
			scratch_id_format(p->id, idtxt);
			printf("atom %s (segment %lld slot %lld): ", idtxt, p->seg, p->slot);
		} else if (p->seg >= 0) {
			printf("segment %lld: ", p->seg);
		}
		puts(p->what);
	}
	if (f->problems > f->nlist)
		printf("  ... and %llu more\n", f->problems - f->nlist);
}

int cmd_fsck(int argc, char **argv)
{
	static const struct option own[] = {
		OPT_ARG("offset", 'o'), OPT_ARG("length", 'l'), OPT_FLAG("payload", 'p'), OPT_END,
	};
	struct opts o = { .cmd = "fsck", .common = OPT_JSON, .own = own, .own_short = "o:l:p" };
	struct fsck f;
	const char *image;
	ull off = 0, len = 0, size = 0;
	struct stat st;
	int c, ret, status = EXIT_TROUBLE;

	memset(&f, 0, sizeof(f));
	while ((c = opts_next(&o, argc, argv)) > 0) {
		switch (c) {
		case 'o':
			if (!parse_size(optarg, &off))
				return usage_error("fsck: bad offset '%s'", optarg);
			break;
		case 'l':
			if (!parse_size(optarg, &len) || !len)
				return usage_error("fsck: bad length '%s'", optarg);
			break;
		case 'p':
			f.payload = true;
			break;
		}
	}
	if (c < 0)
		return o.status;
	if (argc - optind != 1)
		return usage_error("fsck: expected IMAGE (a block device or a file)");
	image = argv[optind];
	if (off % SCRATCH_DISK_DATA_OFF)
		return usage_error("fsck: offset %llu is not 1 MiB aligned", off);

	if (stat(image, &st) < 0) {
		report(CTX_FILE, -errno, "fsck: %s", image);
		return EXIT_TROUBLE;
	}
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
		complain("fsck: %s is neither a block device nor a regular file", image);
		return EXIT_TROUBLE;
	}
	/* O_EXCL on a block device fails while the module (or a mount) holds it. */
	f.fd = open(image, O_RDONLY | O_CLOEXEC | (S_ISBLK(st.st_mode) ? O_EXCL : 0));
	if (f.fd < 0)
		f.fd = -errno;
	if (f.fd == -EBUSY) {
		complain("fsck: %s is in use (attached or mounted): detach it first", image);
		return EXIT_TROUBLE;
	}
	if (f.fd < 0) {
		report(CTX_FILE, f.fd, "fsck: %s", image);
		return EXIT_TROUBLE;
	}
	if (S_ISBLK(st.st_mode)) {
		__u64 sz = 0;

		if (ioctl(f.fd, BLKGETSIZE64, &sz) < 0) {
			report(CTX_FILE, -errno, "fsck: %s: size", image);
			goto out;
		}
		size = sz;
	} else {
		size = (ull)st.st_size;
	}
	if (off >= size || (len && len > size - off)) {
		complain("fsck: %s: range %llu+%llu is past its end (%llu bytes)", image, off,
			 len, size);
		goto out;
	}
	f.base = off;
	f.avail = len ? len : size - off;
	f.list = calloc(FSCK_LIST_MAX, sizeof(*f.list));
	f.buf = aligned_alloc(SC_PAGE, CHUNK);
	if (!f.list || !f.buf) {
		report(CTX_ANY, -ENOMEM, "fsck");
		goto out;
	}
	f.progress = f.payload && want_progress();
	ret = fsck_region(&f);
	fsck_progress(&f, 0, true);
	if (ret < 0) {
		report(CTX_FILE, ret, "fsck: reading %s", image);
		goto out;
	}
	if (o.json)
		fsck_print_json(&f, image, off, f.avail);
	else
		fsck_print_human(&f, image);
	status = f.problems ? EXIT_FOUND : EXIT_OK;
out:
	free(f.list);
	free(f.buf);
	free(f.seqs);
	if (f.fd >= 0)
		close(f.fd);
	return status;
}

