// SPDX-License-Identifier: GPL-2.0
/*
 * lwreplay: rebuild crash states of a multi-drive space from dm-log-writes
 * logs, for the write-dropping power-cut test (tests/vm/guest/dmlog.sh).
 *
 *   lwreplay zero DEV
 *	Zero a whole device (BLKZEROOUT): the known state a log starts from.
 *   lwreplay index LOG IDX
 *	Scan a log once; write its entries to the file IDX; print a summary.
 *   lwreplay point STATE GROUP SEED LOG IDX BASE WORK [LOG IDX BASE WORK]...
 *	One crash state of all the drives (one LOG IDX BASE WORK each, in the
 *	order crashload --dm-mark got them), at the first usable mark group
 *	>= GROUP.  BASE is an image file (tmpfs; created as zeros, like the
 *	logged device) holding the state after the entries STATE (a file)
 *	says were applied; it is brought up to the cut, then written to the
 *	device WORK, plus for one drive (3 cuts in 4, SEED decides) some of
 *	the writes its volatile cache held.  Prints "group=G line=N ...": the
 *	cut, and the output lines the checker may use (1..N).  Exit 3 if no
 *	group from GROUP on gives a usable cut (see below), 1 on errors.
 *
 * What a crash state is.  dm-log-writes logs a plain write only once a flush
 * covering it completes: the log reads [writes completed before flush F1 was
 * issued] F1 [...] F2 ..., with FUA writes where they completed and marks
 * where they were sent, all in time order.  A power cut at an instant T
 * leaves on a drive every entry its log holds before T (flushed or FUA), and
 * any subset of the writes in its volatile cache, possibly torn at sector
 * granularity; flushes and FUA writes are the only binding entries.
 *
 * crashload --dm-mark sends mark groups, after every output line and every
 * few ms: group g after n lines is "G<g>.<n>" into logs 0 .. D-1, then
 * "G<g>.<n>e" into logs 0 .. D-2.  The cut T is the instant log D-1 got
 * G<g>: it holds its prefix up to that mark; a drive before it holds its
 * prefix up to its own G<g> if no binding entry lies between its G<g> and
 * G<g>e (else the next group is tried).  All drives are cut at one instant:
 * the module may rely on "this flush completed before that write was
 * issued" across drives, and a cut per drive would break that.  Lines
 * 1..n were printed before T: every SYNCED among them had returned, so its
 * flushes are in every prefix.
 *
 * The volatile cache.  Which unflushed writes were issued before T is not in
 * the log, but at T' just before drive k's next flush F completes, every
 * write of F's group (the plain writes logged right before F) had completed:
 * any subset of them may be on the drive, with every FUA write logged before
 * F.  T' is a valid cut for the other drives only if none of them logged a
 * binding entry between T and T'; T' precedes the first mark drive k logged
 * after F, so each other drive is checked up to its first mark sent after
 * that one (marks are sent in a fixed order).  If no drive qualifies, the
 * state is the plain prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The on-disk format of drivers/md/dm-log-writes.c (little endian). */
#define LOG_FLUSH_FLAG		(1 << 0)
#define LOG_FUA_FLAG		(1 << 1)
#define LOG_DISCARD_FLAG	(1 << 2)
#define LOG_MARK_FLAG		(1 << 3)
#define LOG_METADATA_FLAG	(1 << 4)
#define WRITE_LOG_VERSION	1ULL
#define WRITE_LOG_MAGIC		0x6a736677736872ULL

struct log_write_super {
	uint64_t magic;
	uint64_t version;
	uint64_t nr_entries;
	uint32_t sectorsize;
} __attribute__((packed));

struct log_write_entry {
	uint64_t sector;
	uint64_t nr_sectors;
	uint64_t flags;
	uint64_t data_len;
};

/* One entry of the index file. */
struct ent {
	uint64_t data_off;	/* byte offset of the written data in the log */
	uint64_t sector;	/* in sectorsize units */
	uint64_t nr;		/* sectors */
	uint64_t flags;
	char name[40];		/* mark */
};

struct idx_head {
	uint64_t magic;
	uint64_t nr;
	uint32_t ss;
	uint32_t pad;
};
#define IDX_MAGIC	0x7864696c77ULL

#define ALIGN_IO	4096
#define MAX_DEVS	16

static void die(const char *fmt, const char *a, int err)
{
	fprintf(stderr, "lwreplay: ");
	fprintf(stderr, fmt, a);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return mix(*s);
}

static void *xalloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, ALIGN_IO, n ? n : ALIGN_IO))
		die("out of memory%s", "", 0);
	return p;
}

enum io_dir { IO_READ, IO_WRITE };

/* All len bytes at off, read into or written from buf, or die naming what. */
static void io_all(enum io_dir dir, int fd, void *buf, size_t len, uint64_t off, const char *what)
{
	while (len) {
		ssize_t n = dir == IO_READ ? pread(fd, buf, len, (off_t)off)
					   : pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(dir == IO_READ ? "read of %s failed" : "write to %s failed",
			    what, n < 0 ? errno : EIO);
		buf = (char *)buf + n;
		off += n;
		len -= n;
	}
}

static uint64_t dev_size(int fd, const char *path)
{
	uint64_t sz;

	if (ioctl(fd, BLKGETSIZE64, &sz) < 0)
		die("BLKGETSIZE64 %s", path, errno);
	return sz;
}

static int open_dev(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		die("open %s", path, errno);
	return fd;
}

/* ---- zero ----------------------------------------------------------------------------------- */

static int cmd_zero(const char *dev)
{
	int fd = open_dev(dev, O_RDWR);
	uint64_t range[2] = { 0, dev_size(fd, dev) };

	if (ioctl(fd, BLKZEROOUT, range) < 0)
		die("BLKZEROOUT %s", dev, errno);
	if (fsync(fd) < 0)
		die("fsync %s", dev, errno);
	close(fd);
	return 0;
}

/* "G<g>.<n>" or "G<g>.<n>e": crashload --dm-mark's group g, after n output lines. */
static bool parse_mark(const char *name, uint64_t *g, uint64_t *line, int *e)
{
	char *end;

	if (name[0] != 'G' || name[1] < '0' || name[1] > '9')
		return false;
	*g = strtoull(name + 1, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return false;
	*line = strtoull(end + 1, &end, 10);
	*e = *end == 'e';
	return *end == 0 || (*end == 'e' && end[1] == 0);
}

/* ---- index ---------------------------------------------------------------------------------- */

static int cmd_index(const char *log, const char *idx)
{
	struct log_write_super sb;
	struct idx_head h = { .magic = IDX_MAGIC };
	unsigned char *sec;
	uint64_t off, i, n_w = 0, n_fl = 0, n_fua = 0, n_dis = 0, n_mark = 0, bytes = 0;
	uint64_t g, line, max_g = 0;
	int me;
	int fd = open_dev(log, O_RDONLY);
	uint64_t lsize = dev_size(fd, log);
	FILE *out;

	sec = xalloc(ALIGN_IO);
	io_all(IO_READ, fd, sec, 512, 0, log);
	memcpy(&sb, sec, sizeof(sb));
	if (sb.magic != WRITE_LOG_MAGIC || sb.version != WRITE_LOG_VERSION)
		die("%s: not a dm-log-writes log (bad magic or version)", log, 0);
	if (sb.sectorsize < 512 || sb.sectorsize > ALIGN_IO || (sb.sectorsize & (sb.sectorsize - 1)))
		die("%s: bad sector size", log, 0);
	h.nr = sb.nr_entries;
	h.ss = sb.sectorsize;
	out = fopen(idx, "we");
	if (!out)
		die("create %s", idx, errno);
	fwrite(&h, sizeof(h), 1, out);
	off = sb.sectorsize;
	for (i = 0; i < sb.nr_entries; i++) {
		struct log_write_entry e;
		struct ent x = { 0 };

		if (off + sb.sectorsize > lsize)
			die("%s: entry past the end of the log", log, 0);
		io_all(IO_READ, fd, sec, sb.sectorsize, off, log);
		memcpy(&e, sec, sizeof(e));
		x.sector = e.sector;
		x.nr = e.nr_sectors;
		x.flags = e.flags;
		off += sb.sectorsize;
		x.data_off = off;
		if (e.flags & LOG_MARK_FLAG) {
			size_t l = e.data_len < sizeof(x.name) - 1 ? e.data_len : sizeof(x.name) - 1;

			memcpy(x.name, sec + sizeof(e), l);
			x.name[l] = 0;
			n_mark++;
			if (parse_mark(x.name, &g, &line, &me) && g > max_g)
				max_g = g;
		} else if (e.flags & LOG_DISCARD_FLAG) {
			n_dis++;
		} else {
			off += e.nr_sectors * sb.sectorsize;
			if (e.nr_sectors) {
				n_w++;
				bytes += e.nr_sectors * sb.sectorsize;
			}
			n_fua += !!(e.flags & LOG_FUA_FLAG);
		}
		n_fl += !!(e.flags & LOG_FLUSH_FLAG);
		fwrite(&x, sizeof(x), 1, out);
	}
	if (fclose(out))
		die("write %s", idx, errno);
	printf("groups=%llu entries=%llu writes=%llu flushes=%llu fua=%llu discards=%llu marks=%llu "
	       "data_mib=%.1f sectorsize=%u\n", (unsigned long long)max_g,
	       (unsigned long long)sb.nr_entries,
	       (unsigned long long)n_w, (unsigned long long)n_fl, (unsigned long long)n_fua,
	       (unsigned long long)n_dis, (unsigned long long)n_mark, bytes / 1048576.0,
	       sb.sectorsize);
	return 0;
}

static struct ent *load_index(const char *idx, struct idx_head *h)
{
	FILE *f = fopen(idx, "re");
	struct ent *e;

	if (!f)
		die("open %s", idx, errno);
	if (fread(h, sizeof(*h), 1, f) != 1 || h->magic != IDX_MAGIC)
		die("%s: not an index", idx, 0);
	e = calloc(h->nr + 1, sizeof(*e));
	if (!e)
		die("out of memory%s", "", 0);
	if (fread(e, sizeof(*e), h->nr, f) != h->nr)
		die("%s: short index", idx, 0);
	fclose(f);
	return e;
}

/* ---- point ---------------------------------------------------------------------------------- */

/*
 * One drive of the space: its log, index, base image (the state after the
 * first `applied` entries) and work device.  The log is read in large
 * sequential O_DIRECT chunks (the entries one call applies are contiguous):
 * one I/O per 8 MiB rather than one per logged 4 KiB write.
 */
#define LOG_CHUNK	(8u << 20)
#define NONE		UINT64_MAX

struct dev {
	const char *log, *idx, *base, *work;
	struct idx_head h;
	struct ent *e;
	uint64_t *mpos;		/* entry of mark G<g> at [2g], of G<g>e at [2g + 1] */
	uint64_t *mline;	/* lines printed before group g */
	uint64_t max_group;
	uint64_t applied, m;	/* entries in the base; the cut's mark */
	int lfd, wfd;
	unsigned char *buf;	/* log chunk */
	size_t cap;
	uint64_t start, end;	/* byte range of the log in buf */
	unsigned char *bimg, *wimg;
	uint64_t size;
};

static unsigned int ndev;

static const unsigned char *log_data(struct dev *d, uint64_t off, uint64_t len)
{
	uint64_t start, n;
	size_t got = 0;

	if (off >= d->start && off + len <= d->end)
		return d->buf + (off - d->start);
	start = off & ~(uint64_t)(ALIGN_IO - 1);
	n = (off + len - start + ALIGN_IO - 1) & ~(uint64_t)(ALIGN_IO - 1);
	if (n < LOG_CHUNK)
		n = LOG_CHUNK;
	if (n > d->cap) {
		free(d->buf);
		d->cap = n;
		d->buf = xalloc(n);
	}
	/* A chunk running past the end of the log device reads short: enough. */
	while (got < off + len - start) {
		ssize_t r = pread(d->lfd, d->buf + got, n - got, (off_t)(start + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("read of %s failed", d->log, r < 0 ? errno : EIO);
		got += r;
	}
	d->start = start;
	d->end = start + got;
	return d->buf + (off - start);
}

/*
 * Apply entry @i of @d to the image @img.  @tear: 0 whole; 1 a random prefix
 * of its sectors; 2 a random subset of its 4 KiB pieces; 3 a random subset of
 * its sectors.  A discard zeroes its range or leaves it, at random (both are
 * legal outcomes of a discard).
 */
static void apply(struct dev *d, unsigned char *img, uint64_t i, int tear, uint64_t *rs)
{
	const struct ent *e = &d->e[i];
	uint32_t ss = d->h.ss;
	uint64_t pos = e->sector * ss, len = e->nr * ss, s, n, step;
	const unsigned char *p;

	if (e->flags & LOG_MARK_FLAG || !e->nr)
		return;
	if (pos + len > d->size)
		die("%s: a logged write lies past the end of the device", d->log, 0);
	if (e->flags & LOG_DISCARD_FLAG) {
		if (rnd(rs) & 1)
			memset(img + pos, 0, len);
		return;
	}
	p = log_data(d, e->data_off, len);
	if (!tear) {
		memcpy(img + pos, p, len);
		return;
	}
	if (tear == 1) {
		n = (rnd(rs) % e->nr) * ss;	/* strictly less than the whole */
		memcpy(img + pos, p, n);
		return;
	}
	step = tear == 2 ? 4096 : ss;
	for (s = 0; s < len; s += step) {
		n = len - s < step ? len - s : step;
		if (rnd(rs) & 1)
			memcpy(img + pos + s, p + s, n);
	}
}

/* Mark order: G<g> into logs 0 .. D-1, then G<g>e into logs 0 .. D-2. */
static uint64_t mark_seq(unsigned int dev, uint64_t g, int e)
{
	return g * (2 * ndev - 1) + (e ? ndev + dev : dev);
}

/* A flush or FUA write: from its place in the log on, the drive must hold it. */
static bool binding(const struct ent *e)
{
	return e->flags & (LOG_FLUSH_FLAG | LOG_FUA_FLAG);
}

/* Any binding entry strictly between @a and @b? */
static bool binding_between(const struct dev *d, uint64_t a, uint64_t b)
{
	uint64_t i;

	for (i = a + 1; i < b && i < d->h.nr; i++)
		if (binding(&d->e[i]))
			return true;
	return false;
}

static void load_dev(struct dev *d)
{
	uint64_t i, g, line;
	struct stat st;
	int e, bfd;

	d->e = load_index(d->idx, &d->h);
	for (i = 0; i < d->h.nr; i++)
		if (d->e[i].flags & LOG_MARK_FLAG && parse_mark(d->e[i].name, &g, &line, &e) &&
		    g > d->max_group)
			d->max_group = g;
	d->mpos = malloc((d->max_group + 1) * 2 * sizeof(*d->mpos));
	d->mline = calloc(d->max_group + 1, sizeof(*d->mline));
	if (!d->mpos || !d->mline)
		die("out of memory%s", "", 0);
	memset(d->mpos, 0xff, (d->max_group + 1) * 2 * sizeof(*d->mpos));
	for (i = 0; i < d->h.nr; i++)
		if (d->e[i].flags & LOG_MARK_FLAG && parse_mark(d->e[i].name, &g, &line, &e)) {
			d->mpos[2 * g + e] = i;
			d->mline[g] = line;
		}
	d->lfd = open_dev(d->log, O_RDONLY | O_DIRECT);
	d->wfd = open_dev(d->work, O_RDWR | O_DIRECT);
	d->size = dev_size(d->wfd, d->work);
	/* The base is a file (tmpfs): created as zeros, the state the log started from. */
	bfd = open(d->base, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (bfd < 0 || fstat(bfd, &st) < 0)
		die("open %s", d->base, errno);
	if (!st.st_size && ftruncate(bfd, (off_t)d->size) < 0)
		die("ftruncate %s", d->base, errno);
	else if (st.st_size && (uint64_t)st.st_size != d->size)
		die("%s: not the size of the work device", d->base, 0);
	d->bimg = mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	if (d->bimg == MAP_FAILED)
		die("mmap %s", d->base, errno);
	close(bfd);
	d->wimg = xalloc(d->size);
}

/* The seq of the first mark at or after entry @from of drive @k (NONE: none). */
static uint64_t mark_after(const struct dev *d, unsigned int k, uint64_t from)
{
	uint64_t i, g, line;
	int e;

	for (i = from; i < d->h.nr; i++)
		if (d->e[i].flags & LOG_MARK_FLAG && parse_mark(d->e[i].name, &g, &line, &e))
			return mark_seq(k, g, e);
	return NONE;
}

/* The seq of the last mark before entry @to of drive @k (NONE: none). */
static uint64_t mark_before(const struct dev *d, unsigned int k, uint64_t to)
{
	uint64_t i, g, line;
	int e;

	for (i = to; i-- > 0;)
		if (d->e[i].flags & LOG_MARK_FLAG && parse_mark(d->e[i].name, &g, &line, &e))
			return mark_seq(k, g, e);
	return NONE;
}

/*
 * Move the cut of drive @k to T', just before its next flush F completes
 * (*flush: F's entry, or the end of the log).  Every other drive j is cut at
 * T' too (ext_m[j]: its last entry before T').  Marks order events across
 * logs: a binding entry of j is before T' if a mark j logged after it was
 * sent before a mark k logged before F, and after T' if a mark j logged
 * before it was sent after a mark k logged after F.  False if some binding
 * entry of another drive is neither: T' cannot be placed.
 */
static bool can_extend(struct dev *D, unsigned int k, uint64_t *flush, uint64_t *ext_m)
{
	struct dev *d = &D[k];
	uint64_t f, i, before_f, after_f;
	unsigned int j;

	for (f = d->m + 1; f < d->h.nr && !(d->e[f].flags & LOG_FLUSH_FLAG); f++)
		;
	*flush = f;
	before_f = mark_before(d, k, f);	/* the cut's own marks at least */
	after_f = f < d->h.nr ? mark_after(d, k, f + 1) : NONE;
	for (j = 0; j < ndev; j++) {
		struct dev *o = &D[j];

		ext_m[j] = o->m;
		if (j == k)
			continue;
		for (i = o->m + 1; i < o->h.nr; i++) {
			const struct ent *e = &o->e[i];
			uint64_t g, line, seq;
			int me;

			if (e->flags & LOG_MARK_FLAG && parse_mark(e->name, &g, &line, &me)) {
				seq = mark_seq(j, g, me);
				if (after_f != NONE && seq > after_f)
					break;		/* from here on: after T' */
				continue;
			}
			if (!binding(e))
				continue;
			seq = mark_after(o, j, i + 1);
			if (seq == NONE || before_f == NONE || seq > before_f)
				return false;		/* maybe before T', maybe after */
			ext_m[j] = i;			/* before T': on the drive */
		}
	}
	return true;
}

static int cmd_point(int argc, char **argv)
{
	const char *statef = argv[0];
	uint64_t want = strtoull(argv[1], NULL, 0), seed = strtoull(argv[2], NULL, 0);
	uint64_t g, i, flush = 0, rs = mix(seed ^ 0x10a5), rs_base = mix(0xba5e);
	unsigned int k, ext = 0, group = 0, kept = 0, torn = 0, fua = 0, skipped = 0, tries;
	uint64_t ext_m[MAX_DEVS], moved = 0;
	bool extended = false, ok;
	struct dev *D;
	FILE *f;

	if (argc < 7 || (argc - 3) % 4 || (argc - 3) / 4 > MAX_DEVS)
		return 2;
	ndev = (unsigned int)(argc - 3) / 4;
	D = calloc(ndev, sizeof(*D));
	if (!D)
		die("out of memory%s", "", 0);
	for (k = 0; k < ndev; k++) {
		D[k].log = argv[3 + 4 * k];
		D[k].idx = argv[4 + 4 * k];
		D[k].base = argv[5 + 4 * k];
		D[k].work = argv[6 + 4 * k];
		load_dev(&D[k]);
	}
	f = fopen(statef, "re");
	for (k = 0; f && k < ndev; k++) {
		unsigned long long a;

		if (fscanf(f, "%llu", &a) == 1)
			D[k].applied = a;
	}
	if (f)
		fclose(f);

	/*
	 * The cut: the instant T drive D-1 logged mark G<g>.  Drives before it
	 * logged G<g> earlier and G<g>e later; if nothing binding lies between
	 * the two, their state at T is their log up to G<g>.  Otherwise the
	 * next group is tried.
	 */
	for (g = want;; g++) {
		ok = true;
		for (k = 0; k < ndev && ok; k++) {
			struct dev *d = &D[k];

			if (g > d->max_group) {
				/* Rare: every group left has a flush between its marks. */
				fprintf(stderr, "lwreplay: no usable cut at or after mark group %s\n",
					argv[1]);
				exit(3);
			}
			d->m = d->mpos[2 * g];
			if (d->m == NONE || (k + 1 < ndev && d->mpos[2 * g + 1] == NONE))
				die("the marks of a group are missing from %s", d->log, 0);
			if (d->m < d->applied)
				die("the cut lies before the entries already applied to %s", d->base, 0);
			if (k + 1 < ndev && binding_between(d, d->m, d->mpos[2 * g + 1]))
				ok = false;
		}
		if (ok)
			break;
		skipped++;
	}
	/* The bases: every entry up to the cut.  Discards: decided per entry, not per cut. */
	for (k = 0; k < ndev; k++) {
		struct dev *d = &D[k];

		for (i = d->applied; i <= d->m; i++) {
			uint64_t r = mix(rs_base ^ i);

			apply(d, d->bimg, i, 0, &r);
		}
		d->applied = d->m + 1;
		memcpy(d->wimg, d->bimg, d->size);
	}
	/*
	 * 3 times in 4, one drive also keeps part of its volatile cache: the cut
	 * moves to T', just before its next flush F completes; the FUA writes
	 * logged before F are on it, and of F's group (the writes F covers) a
	 * random subset, some torn.  The other drives get what they logged
	 * before T' (see can_extend()).
	 */
	if (rnd(&rs) % 4) {
		unsigned int first = (unsigned int)(rnd(&rs) % ndev);

		for (tries = 0; tries < ndev && !extended; tries++) {
			ext = (first + tries) % ndev;
			extended = can_extend(D, ext, &flush, ext_m);
		}
		if (extended) {
			struct dev *d = &D[ext];

			/* The other drives at T': what they logged up to then. */
			for (k = 0; k < ndev; k++) {
				for (i = D[k].m + 1; k != ext && i <= ext_m[k]; i++) {
					uint64_t r = mix(rs_base ^ i);

					apply(&D[k], D[k].wimg, i, 0, &r);
					moved++;
				}
			}

			for (i = d->m + 1; i < flush; i++) {
				int tear = 0;

				if (d->e[i].flags & LOG_MARK_FLAG)
					continue;
				if (d->e[i].flags & LOG_FUA_FLAG) {
					apply(d, d->wimg, i, 0, &rs);
					fua++;
					continue;
				}
				if (!d->e[i].nr)
					continue;
				group++;
				if (rnd(&rs) % 2)
					continue;
				kept++;
				if (d->e[i].nr > 1 && rnd(&rs) % 4 == 0) {
					tear = 1 + rnd(&rs) % 3;
					torn++;
				}
				apply(d, d->wimg, i, tear, &rs);
			}
		}
	}
	for (k = 0; k < ndev; k++) {
		struct dev *d = &D[k];

		io_all(IO_WRITE, d->wfd, d->wimg, d->size, 0, d->work);
		if (fsync(d->wfd) < 0)
			die("fsync %s", d->work, errno);
	}
	f = fopen(statef, "we");
	if (!f)
		die("write %s", statef, errno);
	for (k = 0; k < ndev; k++)
		fprintf(f, "%llu\n", (unsigned long long)D[k].applied);
	if (fclose(f))
		die("write %s", statef, errno);

	printf("group=%llu line=%llu skipped=%u entries=", (unsigned long long)g,
	       (unsigned long long)D[0].mline[g], skipped);
	for (k = 0; k < ndev; k++)
		printf("%s%llu", k ? "," : "", (unsigned long long)D[k].m);
	if (extended)
		printf(" state=prefix+unflushed drive=%u next_flush=%s%llu group=%u kept=%u torn=%u "
		       "fua=%u others+%llu\n", ext, flush == D[ext].h.nr ? "none:" : "",
		       (unsigned long long)flush, group, kept, torn, fua, (unsigned long long)moved);
	else
		printf(" state=prefix\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "zero"))
		return cmd_zero(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "index"))
		return cmd_index(argv[2], argv[3]);
	if (argc >= 9 && !strcmp(argv[1], "point") && cmd_point(argc - 2, argv + 2) == 0)
		return 0;
	fprintf(stderr, "usage: lwreplay zero DEV\n"
			"       lwreplay index LOG IDX\n"
			"       lwreplay point STATE GROUP SEED LOG IDX BASE WORK [LOG IDX BASE WORK]...\n");
	return 2;
}
