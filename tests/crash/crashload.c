// SPDX-License-Identifier: GPL-2.0
/*
 * crashload: the guest side of the power-cut test (tests/crashtest.sh).
 *
 *   crashload run [--format] [options] DEV...
 *	Attach a space on a range of each DEV (FORMAT only with --format, else
 *	reload), then write atoms forever from several threads while others read
 *	and map recent ones.  Every committed atom is logged, one line each,
 *	written at once (the host may cut the power at any instant):
 *	    COMMIT <id> <seed> <len>
 *	and after every few atoms a SYNC (ioctl or fsync) is followed by
 *	    SYNCED <n>
 *	meaning: the first n atom lines this process printed are durable (n is
 *	taken before the SYNC starts, so atoms committed by other threads while
 *	it runs are not claimed).  With --dm-mark, every line and every
 *	--dm-tick ms are also marked in dm-log-writes logs (tests/vm/guest/
 *	dmlog.sh rebuilds crash states from them; see dm_mark_group()).
 *
 *   crashload verify [options] [--log FILE] DEV...	(log on stdin without --log)
 *	Reattach WITHOUT FORMAT after the crash and check the previous boot's log:
 *	  - every atom named before the last SYNCED is readable with its exact
 *	    bytes (STAT fields, pread, XXH64 and the pattern), or its segment was
 *	    legitimately evicted: a later generation of the segment appears in the
 *	    log, or enough younger segments were opened after it (see
 *	    evict_bound()); else it is a LOST SYNCED ATOM;
 *	  - every later atom is exact or ENOENT, never other bytes;
 *	  - eviction is whole-segment and FIFO: no segment keeps some atoms and
 *	    loses synced ones, no segment is gone while a clearly older one
 *	    survives, no atom of a segment reused at a higher generation is back;
 *	  - ids the previous verify found gone (GONE lines) stay gone or exact,
 *	    and no id appears twice in the log: an id is never handed out twice;
 *	  - sysfs counters agree with INFO and with what STAT finds;
 *	then logs the surviving atoms (CARRY) and the gone unsynced ids (GONE)
 *	for the next boot's verify, writes, syncs and reads back new atoms, and
 *	detaches (unless --keep).  Prints one TAP line: ok/not ok - crash verify:
 *	...; exits 1 on failure.
 *
 * Log lines (everything else is ignored; a last line without its newline was
 * torn by the power cut and is ignored):
 *	START <mode> ...		a process starts: SYNCED counts restart
 *	COMMIT <id> <seed> <len>	an atom committed (id: 32 hex digits, lo then
 *					hi as scratchctl prints it; seed: 16 hex
 *					digits; len: decimal)
 *	CARRY <id> <seed> <len>		an atom a verify found intact (durable)
 *	SYNC <n>			a sync claiming n starts (informative only)
 *	SYNCED <n>			the first n atom lines of this process are durable
 *	GONE <id> <seed> <len> <age>	an unsynced atom found gone, rechecked later
 *
 * Byte k of an atom is a function of its seed only (st_fill() of
 * tests/common/patterns.c), so any boot can re-derive its contents from the log.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include "scratch_test.h"
#include "dm.h"

#define MAX_DEVS	SCRATCH_MAX_REGIONS
#define RING		8192		/* recent atoms the readers pick from */
#define MAX_FAIL_LINES	40
#define GONE_MAX_AGE	4		/* boots a gone id stays rechecked */

/* ---- configuration ---------------------------------------------------------------------- */

static struct {
	const char *devs[MAX_DEVS];
	unsigned int ndevs;
	struct st_load_opts r;	/* the region on each device, its segment size */
	bool format;
	int writers;
	int readers;
	__u64 max_len;
	__u64 nonce;
	int boot;
	const char *log;
	double seconds;		/* run: stop after this long (0: never) */
	__u64 max_atoms;	/* run: stop after this many atoms (0: never) */
	int verify_new;		/* verify: atoms written after the checks */
	bool keep;		/* verify: leave the space attached */
	char *marks[MAX_DEVS];	/* dm-log-writes devices to mark after every line */
	unsigned int nmarks;
	int tick_ms;		/* and this often */
} cfg = {
	.r = { .offset = 16 * ST_MIB, .length = 32 * ST_MIB, .shift = 20 },
	.writers = 2,
	.readers = 1,
	.max_len = 300 * ST_KIB,
	.verify_new = 16,
	.tick_ms = 2,
};

/* ---- output: one write(2) per line, serialised ------------------------------------------ */

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static __u64 out_atoms;		/* atom lines (COMMIT, CARRY) printed by this process */

/*
 * --dm-mark: a mark group goes into the dm-log-writes logs after every output
 * line, and every --dm-tick ms from a ticker thread: "G<g>.<n>" into logs
 * 0, 1, .., D-1, then "G<g>.<n>e" into logs 0 .. D-2, where g counts the
 * groups and n the lines printed so far.  A state replayed up to the marks of
 * group g knows that the first n lines had been printed (a SYNCED among them
 * had returned: the flushes of its sync lie before the marks); the "e" marks
 * bound what logs 0 .. D-2 recorded until the last log got its mark, so all
 * drives can be cut at one instant; the ticks make those instants dense
 * (see tests/crash/lwreplay.c).  Caller holds out_lock.
 */
static __u64 out_lines;		/* lines printed by this process */
static __u64 mark_groups;

static void dm_mark_group(void)
{
	char msg[64];
	unsigned int i;
	int r;

	if (!cfg.nmarks)
		return;
	mark_groups++;
	for (i = 0; i < 2 * cfg.nmarks - 1; i++) {
		const char *dev = cfg.marks[i % cfg.nmarks];

		snprintf(msg, sizeof(msg), "mark G%llu.%llu%s", (unsigned long long)mark_groups,
			 (unsigned long long)out_lines, i < cfg.nmarks ? "" : "e");
		r = dm_message(dev, msg);
		if (r) {
			fprintf(stderr, "crashload: dm message %s '%s': %s\n", dev, msg,
				strerror(-r));
			exit(1);
		}
	}
}

/* Format one line and write it with a single write(2).  Caller holds out_lock. */
static void __attribute__((format(printf, 1, 0))) vline(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	size_t off = 0;

	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	while (off < (size_t)n) {
		ssize_t w = write(STDOUT_FILENO, buf + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += w;
	}
	out_lines++;
	dm_mark_group();
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&out_lock);
}

static void __attribute__((format(printf, 1, 2))) say_locked(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
}

/* An atom line (COMMIT or CARRY), counted for SYNCED. */
static void say_atom(const char *what, const struct scratch_id *id, __u64 seed, __u64 len)
{
	char ids[33];

	st_id_str(id, ids);
	pthread_mutex_lock(&out_lock);
	say_locked("%s %s %016llx %llu", what, ids, (unsigned long long)seed,
		   (unsigned long long)len);
	out_atoms++;
	pthread_mutex_unlock(&out_lock);
}

static __u64 atoms_printed(void)
{
	__u64 n;

	pthread_mutex_lock(&out_lock);
	n = out_atoms;
	pthread_mutex_unlock(&out_lock);
	return n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- atoms -------------------------------------------------------------------------------- */

/* The type tag an atom carries: derived from its seed, checked by STAT. */
static __u16 atom_type(__u64 seed)
{
	return (__u16)(seed >> 48);
}

static __u64 pick_len(__u64 *rng, __u64 max)
{
	__u64 r = st_rand(rng) % 100, v = st_rand(rng), len;

	if (r < 25)
		len = 1 + v % ST_PAGE;				/* tiny, sub-page */
	else if (r < 55)
		len = ST_PAGE + 1 + v % (60 * ST_KIB);		/* medium */
	else if (r < 85)
		len = 64 * ST_KIB + v % (max - 64 * ST_KIB + 1);	/* large */
	else
		len = ST_PAGE * (1 + v % (max / ST_PAGE));	/* whole pages */
	return len > max ? max : len;
}

/*
 * RESERVE, pwrite in page-aligned pieces of random size, COMMIT.  ENOSPC
 * (everything pinned for a moment) is retried.  With @abort_at > 0, the
 * reservation is abandoned after that many bytes (an aborted write).
 * Returns 0 or -errno; *idp names the atom.
 */
static int put_atom(int fd, __u64 seed, __u64 len, __u64 *rng, unsigned char *buf,
		    struct scratch_id *idp, __u64 abort_at)
{
	XXH64_state_t *xs;
	__u64 off, pos = 0;
	int r, tries = 0;

	for (;;) {
		r = st_reserve(fd, len, 0, idp, &off);
		if (r != -ENOSPC || ++tries > 500)
			break;
		usleep(20000);
	}
	if (r)
		return r;
	xs = XXH64_createState();
	if (!xs) {
		st_abort(fd, idp);
		return -ENOMEM;
	}
	XXH64_reset(xs, 0);
	while (pos < len && !r) {
		static const __u64 pieces[] = { ST_PAGE, 16 * ST_KIB, 64 * ST_KIB, ST_CHUNK };
		__u64 n = pieces[st_rand(rng) % 4];

		n = ST_MIN(n, len - pos);
		if (abort_at && pos >= abort_at)
			break;
		st_fill(buf, n, seed, pos);
		XXH64_update(xs, buf, n);
		r = st_write(fd, buf, n, off + pos);
		pos += n;
	}
	if (!r && abort_at)
		r = st_abort(fd, idp) ? -EIO : 1;
	else if (!r)
		r = st_commit(fd, idp, len, XXH64_digest(xs), atom_type(seed), 0);
	else
		st_abort(fd, idp);
	XXH64_freeState(xs);
	return r;
}

/*
 * Read an atom back and compare: STAT fields, then every byte through pread
 * (or a read-only shared mapping) against the pattern, then XXH64.  Returns 0
 * if exact, -ENOENT if missing, -EBADMSG (with @why) for anything else wrong,
 * another -errno on an unexpected error.
 */
static int check_atom(int fd, const struct scratch_id *id, __u64 seed, __u64 len,
		      bool use_mmap, unsigned char *buf, char *why, size_t whylen)
{
	struct scratch_stat st;
	XXH64_state_t *xs;
	__u64 pos = 0, h;
	int r = st_stat(fd, id, &st);

	why[0] = 0;
	if (r)
		return r;
	if (st.stored_len != len || st.length != len || st.type != atom_type(seed) ||
	    st.atom_flags || st.nr_parts || st.offset % ST_PAGE ||
	    st.offset >> cfg.r.shift != st_id_seg(id)) {
		snprintf(why, whylen, "STAT: offset %llu stored_len %llu length %llu type %u "
			 "flags %u parts %u (want len %llu type %u, segment %u)",
			 (unsigned long long)st.offset, (unsigned long long)st.stored_len,
			 (unsigned long long)st.length, st.type, st.atom_flags, st.nr_parts,
			 (unsigned long long)len, atom_type(seed), st_id_seg(id));
		return -EBADMSG;
	}
	if (use_mmap) {
		size_t mlen = ST_ROUND_UP(len, ST_PAGE);
		unsigned char *p = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fd, (off_t)st.offset);
		long bad;
		size_t k;

		if (p == MAP_FAILED)
			return -errno;
		bad = st_check(p, len, seed, 0);
		h = XXH64(p, len, 0);
		/* A mapping shows whole pages: the tail of the last one is zero. */
		for (k = len; bad < 0 && k < mlen; k++)
			if (p[k])
				bad = (long)k;
		munmap(p, mlen);
		if (bad >= 0) {
			snprintf(why, whylen, "mmap: wrong byte at %ld of %llu", bad,
				 (unsigned long long)len);
			return -EBADMSG;
		}
	} else {
		xs = XXH64_createState();
		if (!xs)
			return -ENOMEM;
		XXH64_reset(xs, 0);
		while (pos < len) {
			size_t n = ST_MIN(len - pos, ST_CHUNK);
			long bad;

			r = st_pread_full(fd, buf, n, st.offset + pos);
			if (r) {
				XXH64_freeState(xs);
				if (r == -EIO)
					snprintf(why, whylen, "pread: short read at %llu of %llu",
						 (unsigned long long)pos, (unsigned long long)len);
				return r == -EIO ? -EBADMSG : r;
			}
			bad = st_check(buf, n, seed, pos);
			if (bad >= 0) {
				XXH64_freeState(xs);
				snprintf(why, whylen, "pread: wrong byte at %llu of %llu",
					 (unsigned long long)(pos + bad), (unsigned long long)len);
				return -EBADMSG;
			}
			XXH64_update(xs, buf, n);
			pos += n;
		}
		h = XXH64_digest(xs);
		XXH64_freeState(xs);
	}
	if (h != st.xxh64) {
		snprintf(why, whylen, "XXH64 %016llx, STAT says %016llx", (unsigned long long)h,
			 (unsigned long long)st.xxh64);
		return -EBADMSG;
	}
	return 0;
}

/* ---- attach ------------------------------------------------------------------------------ */

static int attach(bool format, __u32 *space_id)
{
	struct st_region regs[MAX_DEVS];
	unsigned int i;

	for (i = 0; i < cfg.ndevs; i++)
		regs[i] = (struct st_region){ cfg.devs[i], cfg.r.offset, cfg.r.length };
	return st_attach(regs, cfg.ndevs, cfg.r.shift, format, space_id);
}

static unsigned int free_target(__u64 nr_segs)
{
	__u64 t = nr_segs / 16;

	return t < 1 ? 1 : t > 8 ? 8 : (unsigned int)t;
}

/* ---- run ---------------------------------------------------------------------------------- */

static struct {
	__u32 space;
	__u64 capacity;
	atomic_ullong next_atom;	/* atom counter: seeds */
	atomic_bool stop;
	atomic_int failed;
	atomic_ullong commits, syncs, aborts, reads, maps, read_gone;
	pthread_mutex_t ring_lock;
	struct ring_atom {
		struct scratch_id id;
		__u64 seed, len;
		__u64 cum;	/* bytes committed up to and including this atom */
	} ring[RING];
	__u64 ring_n;		/* atoms ever put in the ring */
	__u64 ring_bytes;
} R = { .ring_lock = PTHREAD_MUTEX_INITIALIZER };

static void run_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void run_fail(const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Only the first failure speaks; the process exits at once. */
	if (atomic_exchange(&R.failed, 1))
		for (;;)
			pause();
	say("not ok - crash run: %s", msg);
	exit(1);
}

static void *writer(void *arg)
{
	long w = (long)arg;
	__u64 rng = st_mix(cfg.nonce ^ (0xa11ce + w));
	unsigned char *buf;
	int fd, until_sync = 1 + st_rand(&rng) % 8;

	if (posix_memalign((void **)&buf, ST_PAGE, ST_CHUNK))
		run_fail("writer %ld: no memory", w);
	fd = st_open(R.space, -1);
	if (fd < 0)
		run_fail("writer %ld: open /dev/scratch%u: %s", w, R.space, strerror(-fd));
	while (!atomic_load(&R.stop)) {
		__u64 n = atomic_fetch_add(&R.next_atom, 1);
		__u64 seed = st_mix(cfg.nonce ^ st_mix(n + 1));
		__u64 len = pick_len(&rng, cfg.max_len);
		__u64 abort_at = 0;
		struct scratch_id id;
		int r;

		/* 2 %: abandon a reservation half written. */
		if (st_rand(&rng) % 50 == 0)
			abort_at = ST_ROUND_UP(len / 2, ST_PAGE);
		r = put_atom(fd, seed, len, &rng, buf, &id, abort_at);
		if (r == 1) {
			atomic_fetch_add(&R.aborts, 1);
			continue;
		}
		if (r)
			run_fail("writer %ld: atom of %llu bytes: %s", w, (unsigned long long)len,
				 strerror(-r));
		say_atom("COMMIT", &id, seed, len);
		atomic_fetch_add(&R.commits, 1);

		pthread_mutex_lock(&R.ring_lock);
		R.ring_bytes += len;
		R.ring[R.ring_n % RING] = (struct ring_atom){ id, seed, len, R.ring_bytes };
		R.ring_n++;
		pthread_mutex_unlock(&R.ring_lock);

		if (--until_sync == 0) {
			/* Taken before the sync starts: only these are claimed. */
			__u64 upto = atoms_printed();
			bool by_fsync = st_rand(&rng) % 3 == 0;

			/* Shows a cut that lands while a sync is under way. */
			say("SYNC %llu", (unsigned long long)upto);
			r = by_fsync ? (fsync(fd) ? -errno : 0) : st_sync(fd);
			if (r)
				run_fail("writer %ld: %s: %s", w, by_fsync ? "fsync" : "SYNC",
					 strerror(-r));
			say("SYNCED %llu", (unsigned long long)upto);
			atomic_fetch_add(&R.syncs, 1);
			until_sync = 1 + st_rand(&rng) % 10;
		}
		if (cfg.max_atoms && atomic_load(&R.commits) >= cfg.max_atoms)
			atomic_store(&R.stop, true);
	}
	st_close(fd);
	free(buf);
	return NULL;
}

/*
 * Readers check atoms of the newest quarter of the capacity only: they pin
 * segments while they read or map, and pinned old segments would make
 * eviction skip them, which the verifier's FIFO checks do not allow for.
 */
static bool pick_recent(__u64 *rng, struct ring_atom *out)
{
	__u64 k, span = 0, newest, window = R.capacity / 4;
	bool ok = false;

	pthread_mutex_lock(&R.ring_lock);
	newest = R.ring_n;
	if (newest) {
		const struct ring_atom *last = &R.ring[(newest - 1) % RING];

		/* How many of the newest atoms lie inside the window. */
		for (k = 0; k < newest && k < RING; k++) {
			const struct ring_atom *a = &R.ring[(newest - 1 - k) % RING];

			if (last->cum - a->cum + a->len > window)
				break;
			span++;
		}
		if (span) {
			*out = R.ring[(newest - 1 - st_rand(rng) % span) % RING];
			ok = true;
		}
	}
	pthread_mutex_unlock(&R.ring_lock);
	return ok;
}

static void *reader(void *arg)
{
	long w = (long)arg;
	__u64 rng = st_mix(cfg.nonce ^ (0xbeef + w));
	unsigned char *buf;
	char why[300], ids[33];
	int fd;

	if (posix_memalign((void **)&buf, ST_PAGE, ST_CHUNK))
		run_fail("reader %ld: no memory", w);
	fd = st_open(R.space, -1);
	if (fd < 0)
		run_fail("reader %ld: open: %s", w, strerror(-fd));
	while (!atomic_load(&R.stop)) {
		struct ring_atom a;
		bool use_mmap = st_rand(&rng) % 3 == 0;
		int r;

		if (!pick_recent(&rng, &a)) {
			usleep(10000);
			continue;
		}
		r = check_atom(fd, &a.id, a.seed, a.len, use_mmap, buf, why, sizeof(why));
		if (r == -ENOENT) {
			atomic_fetch_add(&R.read_gone, 1);
		} else if (r) {
			run_fail("reader: atom %s (%llu bytes): %s", st_id_str(&a.id, ids),
				 (unsigned long long)a.len, r == -EBADMSG ? why : strerror(-r));
		} else {
			atomic_fetch_add(use_mmap ? &R.maps : &R.reads, 1);
		}
		usleep(2000);
	}
	st_close(fd);
	free(buf);
	return NULL;
}

/* --dm-mark: mark groups between the lines too, for dense crash instants. */
static void *ticker(void *arg)
{
	while (!atomic_load(&R.stop)) {
		usleep(cfg.tick_ms * 1000);
		pthread_mutex_lock(&out_lock);
		dm_mark_group();
		pthread_mutex_unlock(&out_lock);
	}
	return arg;
}

static int cmd_run(void)
{
	struct scratch_info info;
	pthread_t th[64];
	int nth = 0, fd, r, i;
	double t0 = now_s(), last = t0;

	r = attach(cfg.format, &R.space);
	if (r) {
		say("not ok - crash run: attach%s: %s", cfg.format ? " with FORMAT" : " (reload)",
		    strerror(-r));
		return 1;
	}
	fd = st_open(R.space, -1);
	if (fd < 0 || st_info(fd, &info)) {
		say("not ok - crash run: open/INFO of /dev/scratch%u failed", R.space);
		return 1;
	}
	R.capacity = info.capacity;
	say("START run boot=%d nonce=%016llx format=%d space=%u segs=%llu capacity=%llu "
	    "atoms=%llu reload_us=%llu", cfg.boot, (unsigned long long)cfg.nonce, cfg.format,
	    R.space, (unsigned long long)info.nr_segments, (unsigned long long)info.capacity,
	    (unsigned long long)info.atoms, (unsigned long long)info.reload_us);
	for (i = 0; i < cfg.writers && nth < 64; i++)
		pthread_create(&th[nth++], NULL, writer, (void *)(long)i);
	for (i = 0; i < cfg.readers && nth < 64; i++)
		pthread_create(&th[nth++], NULL, reader, (void *)(long)i);
	if (cfg.nmarks && cfg.tick_ms > 0 && nth < 64)
		pthread_create(&th[nth++], NULL, ticker, NULL);
	while (!atomic_load(&R.stop)) {
		double t;

		usleep(100000);
		t = now_s();
		if (cfg.seconds > 0 && t - t0 >= cfg.seconds)
			atomic_store(&R.stop, true);
		if (t - last >= 2.0 || atomic_load(&R.stop)) {
			last = t;
			if (st_info(fd, &info) == 0)
				say("# stats t=%.1f commits=%llu syncs=%llu aborts=%llu reads=%llu "
				    "maps=%llu read_gone=%llu atoms=%llu used=%llu free_segs=%llu "
				    "evictions=%llu", t - t0,
				    (unsigned long long)atomic_load(&R.commits),
				    (unsigned long long)atomic_load(&R.syncs),
				    (unsigned long long)atomic_load(&R.aborts),
				    (unsigned long long)atomic_load(&R.reads),
				    (unsigned long long)atomic_load(&R.maps),
				    (unsigned long long)atomic_load(&R.read_gone),
				    (unsigned long long)info.atoms,
				    (unsigned long long)info.used_bytes,
				    (unsigned long long)info.free_segments,
				    (unsigned long long)info.evictions);
		}
	}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	st_close(fd);
	r = st_detach(R.space);
	if (r) {
		say("not ok - crash run: detach: %s", strerror(-r));
		return 1;
	}
	say("# run: stopped after %.1fs, %llu atoms, detached", now_s() - t0,
	    (unsigned long long)atomic_load(&R.commits));
	return 0;
}

/* ---- verify: the log ---------------------------------------------------------------------- */

enum { K_COMMIT, K_CARRY, K_GONE };

struct latom {
	struct scratch_id id;
	__u64 seed, len;
	__u64 pos;		/* atom line index in the log (CARRY/COMMIT); GONE: -1 */
	int kind;
	int age;		/* GONE */
	bool synced;
	int inc;		/* incarnation index */
	/* results */
	int res;		/* 0 exact, -ENOENT gone, else wrong */
	char why[200];
};

struct inc {
	__u32 seg, gen;
	__u64 first;		/* first atom line naming it */
	__u64 order;		/* rank by first appearance */
	__u64 younger;		/* incarnations first named after it */
	bool superseded;	/* a later generation of the segment is in the log */
	int present, synced, synced_gone;
};

static struct latom *atoms;
static size_t natoms, cap_atoms;
static struct inc *incs;
static size_t nincs, cap_incs;

static bool parse_id(const char *s, struct scratch_id *id)
{
	char lo[17], hi[17], *e;
	int i;

	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	memcpy(lo, s, 16);
	lo[16] = 0;
	memcpy(hi, s + 16, 16);
	hi[16] = 0;
	id->lo = strtoull(lo, &e, 16);
	id->hi = strtoull(hi, &e, 16);
	return true;
}

/* @arr with room for element @n (doubling *@cap from @first); exits when out of memory. */
static void *grow(void *arr, size_t n, size_t *cap, size_t first, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : first;
	arr = realloc(arr, *cap * size);
	if (!arr) {
		say("not ok - crash verify: out of memory");
		exit(1);
	}
	return arr;
}

static struct latom *new_latom(void)
{
	atoms = grow(atoms, natoms, &cap_atoms, 4096, sizeof(*atoms));
	memset(&atoms[natoms], 0, sizeof(*atoms));
	return &atoms[natoms++];
}

/*
 * An atom line's <id> <seed> <len> (and a GONE line's <age> after them) as a
 * new latom of @kind at log position @pos; NULL if the line is malformed.
 */
static struct latom *atom_line(const char *line, int kind, __u64 pos)
{
	char ids[64], extra[8];
	unsigned long long seed, len;
	int age = 0, got, want = kind == K_GONE ? 4 : 3;
	struct latom *l;

	if (kind == K_GONE)
		got = sscanf(line, "%*s %63s %llx %llu %d %7s", ids, &seed, &len, &age, extra);
	else
		got = sscanf(line, "%*s %63s %llx %llu %7s", ids, &seed, &len, extra);
	if (got != want || strlen(ids) != 32 || len == 0)
		return NULL;
	l = new_latom();
	if (!parse_id(ids, &l->id))
		return NULL;	/* the caller drops it: its len is 0 */
	l->seed = seed;
	l->len = len;
	l->pos = pos;
	l->kind = kind;
	l->age = age;
	return l;
}

/*
 * Parse the previous boot's log.  Returns the number of parse errors (after
 * printing them); a line cut short by the power cut (the last one, without a
 * newline) is dropped.
 */
static int parse_log(FILE *f, __u64 *synced_upto, __u64 *nlines_out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	__u64 base = 0, lineno = 0, nat = 0, upto = 0;
	int errs = 0;

	while ((n = getline(&line, &cap, f)) > 0) {
		char word[16], extra[8];
		unsigned long long a;
		int k;

		lineno++;
		if (line[n - 1] != '\n') {
			say("# log: line %llu has no newline (torn by the power cut): ignored",
			    (unsigned long long)lineno);
			break;
		}
		line[--n] = 0;
		if (n && line[n - 1] == '\r')
			line[--n] = 0;
		if (sscanf(line, "%15s", word) != 1)
			continue;
		if (!strcmp(word, "START")) {
			base = nat;
			continue;
		}
		if (!strcmp(word, "COMMIT") || !strcmp(word, "CARRY")) {
			if (!atom_line(line, word[1] == 'O' ? K_COMMIT : K_CARRY, nat))
				goto bad;
			nat++;
			continue;
		}
		if (!strcmp(word, "SYNCED")) {
			if (sscanf(line, "%*s %llu %7s", &a, extra) != 1)
				goto bad;
			if (base + a > nat) {
				say("# log line %llu: SYNCED %llu but only %llu atom lines since START",
				    (unsigned long long)lineno, a, (unsigned long long)(nat - base));
				errs++;
				continue;
			}
			if (base + a > upto)
				upto = base + a;
			continue;
		}
		if (!strcmp(word, "GONE")) {
			if (!atom_line(line, K_GONE, (__u64)-1))
				goto bad;
			continue;
		}
		continue;
bad:
		/* A malformed protocol line inside the log: the channel lost bytes. */
		k = (int)strlen(line);
		say("# log line %llu malformed: %.*s", (unsigned long long)lineno, k > 120 ? 120 : k,
		    line);
		if (natoms && atoms[natoms - 1].len == 0)
			natoms--;
		errs++;
	}
	free(line);
	*synced_upto = upto;
	*nlines_out = nat;
	return errs;
}

static int inc_of(__u32 seg, __u32 gen, __u64 pos)
{
	size_t i;

	for (i = 0; i < nincs; i++)
		if (incs[i].seg == seg && incs[i].gen == gen)
			return (int)i;
	incs = grow(incs, nincs, &cap_incs, 1024, sizeof(*incs));
	memset(&incs[nincs], 0, sizeof(*incs));
	incs[nincs].seg = seg;
	incs[nincs].gen = gen;
	incs[nincs].first = pos;
	return (int)nincs++;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* ---- verify ------------------------------------------------------------------------------- */

static int nfail;

static void __attribute__((format(printf, 1, 2))) vfail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (nfail < MAX_FAIL_LINES)
		say("# FAIL: %s", msg);
	else if (nfail == MAX_FAIL_LINES)
		say("# FAIL: (more failures not shown)");
	nfail++;
}

/*
 * How many segment incarnations must have been opened after one for it to be
 * evictable.  When a segment is evicted the free pool is below its target
 * (clamp(segments / 16, 1, 8)), so at least segments - target - 1 others are
 * live, all younger (the readers never pin old segments).  Allowed for:
 * segments opened but never named in a log (at most one open segment per
 * region at each of the two cuts the log spans), the one in hand of the
 * allocator, and first-appearance order lagging open order by a writer or two.
 */
static __u64 evict_bound(__u64 nr_segs)
{
	__u64 slack = 2 * cfg.ndevs + cfg.writers + 2;
	__u64 t = free_target(nr_segs);

	return nr_segs > t + slack ? nr_segs - t - slack : 0;
}

static int wait_refill(__u32 space, __u64 nr_segs)
{
	__u64 fr = 0, target = free_target(nr_segs);
	int i;

	for (i = 0; i < 200; i++) {
		if (st_sysfs(space, "free_segments", &fr) == 0 && fr >= target)
			return 0;
		usleep(50000);
	}
	say("# verify: free_segments still %llu < %llu after 10 s", (unsigned long long)fr,
	    (unsigned long long)target);
	return 0;
}

static int cmd_verify(void)
{
	struct scratch_info info, info2;
	__u64 synced_upto = 0, nlines = 0, bound, t0;
	__u64 n_syn_ok = 0, n_unsyn_ok = 0, n_gone = 0, n_evicted = 0, n_unsyn_gone = 0,
	      n_carried_ok = 0, n_gone_rechecked = 0, present_pages = 0, n_present = 0;
	__u64 *sorted;
	unsigned char *buf;
	__u32 space;
	FILE *f = stdin;
	char ids[33];
	size_t i, j;
	int fd, r, perrs;
	double ts = now_s();

	if (cfg.log) {
		f = fopen(cfg.log, "re");
		if (!f) {
			say("not ok - crash verify: cannot open log %s: %s", cfg.log, strerror(errno));
			return 1;
		}
	}
	perrs = parse_log(f, &synced_upto, &nlines);
	if (f != stdin)
		fclose(f);
	if (perrs)
		vfail("log: %d malformed or inconsistent lines", perrs);

	if (posix_memalign((void **)&buf, ST_PAGE, ST_CHUNK))
		return 1;
	r = attach(false, &space);
	if (r) {
		say("not ok - crash verify: reattach without FORMAT: %s", strerror(-r));
		return 1;
	}
	fd = st_open(space, -1);
	if (fd < 0 || st_info(fd, &info)) {
		say("not ok - crash verify: open/INFO of /dev/scratch%u failed", space);
		return 1;
	}
	say("START verify boot=%d space=%u segs=%llu capacity=%llu atoms=%llu used=%llu "
	    "free_segs=%llu reload_us=%llu log_atoms=%llu synced=%llu", cfg.boot, space,
	    (unsigned long long)info.nr_segments, (unsigned long long)info.capacity,
	    (unsigned long long)info.atoms, (unsigned long long)info.used_bytes,
	    (unsigned long long)info.free_segments, (unsigned long long)info.reload_us,
	    (unsigned long long)nlines, (unsigned long long)synced_upto);
	/* Let the refill the reload queued finish before anything pins a segment. */
	wait_refill(space, info.nr_segments);

	/* Incarnations, in order of first appearance. */
	for (i = 0; i < natoms; i++) {
		struct latom *a = &atoms[i];

		if (a->kind == K_GONE)
			continue;
		a->synced = a->pos < synced_upto;
		a->inc = inc_of(st_id_seg(&a->id), st_id_gen(&a->id), a->pos);
	}
	for (i = 0; i < nincs; i++) {
		incs[i].order = i;	/* inc_of appends in order of first appearance */
		incs[i].younger = nincs - 1 - i;
		for (j = i + 1; j < nincs; j++)
			if (incs[j].seg == incs[i].seg && incs[j].gen > incs[i].gen)
				incs[i].superseded = true;
	}
	bound = evict_bound(info.nr_segments);

	/* No id twice in one log: an id names one atom, forever. */
	sorted = malloc((natoms + 1) * sizeof(*sorted) * 2);
	if (!sorted)
		return 1;
	for (i = 0; i < natoms; i++) {
		sorted[2 * i] = atoms[i].id.lo;
		sorted[2 * i + 1] = atoms[i].id.hi;
	}
	qsort(sorted, natoms, 2 * sizeof(*sorted), cmp_u64);	/* by lo, then scan */
	for (i = 0; i < natoms; i++)
		for (j = i + 1; j < natoms && sorted[2 * j] == sorted[2 * i]; j++)
			if (sorted[2 * j + 1] == sorted[2 * i + 1]) {
				struct scratch_id d = { sorted[2 * i], sorted[2 * i + 1] };

				vfail("id %s appears twice in the log: handed out for two atoms",
				      st_id_str(&d, ids));
			}
	free(sorted);

	/* Read everything back. */
	t0 = (__u64)(now_s() * 1000);
	for (i = 0; i < natoms; i++) {
		struct latom *a = &atoms[i];

		a->res = check_atom(fd, &a->id, a->seed, a->len, i % 7 == 3, buf, a->why,
				    sizeof(a->why));
		if (a->res && a->res != -ENOENT && a->res != -EBADMSG)
			snprintf(a->why, sizeof(a->why), "%s", strerror(-a->res));
		if (a->kind == K_GONE)
			continue;
		if (a->res == 0) {
			incs[a->inc].present++;
			n_present++;
			present_pages += (a->len + ST_PAGE - 1) / ST_PAGE;
		}
		if (a->synced)
			incs[a->inc].synced++;
	}
	say("# verify: read back %zu logged atoms in %llu ms", natoms,
	    (unsigned long long)((__u64)(now_s() * 1000) - t0));

	/* Judge. */
	for (i = 0; i < natoms; i++) {
		struct latom *a = &atoms[i];
		struct inc *in = a->kind == K_GONE ? NULL : &incs[a->inc];
		const char *what = a->synced ? "synced" : "unsynced";

		st_id_str(&a->id, ids);
		if (a->kind == K_GONE) {
			n_gone_rechecked++;
			if (a->res && a->res != -ENOENT)
				vfail("id %s of an unsynced atom lost at an earlier crash (%llu bytes) "
				      "now reads as other bytes: %s", ids, (unsigned long long)a->len,
				      a->why);
			continue;
		}
		if (a->res && a->res != -ENOENT) {
			vfail("%s atom %s (%llu bytes, segment %u gen %u, line %llu): WRONG: %s",
			      what, ids, (unsigned long long)a->len, in->seg, in->gen,
			      (unsigned long long)a->pos, a->why);
			continue;
		}
		if (a->res == 0) {
			if (in->superseded)
				vfail("%s atom %s is back although segment %u was reused at a later "
				      "generation (gen %u)", what, ids, in->seg, in->gen);
			if (a->synced) {
				n_syn_ok++;
				n_carried_ok += a->kind == K_CARRY;
			} else {
				n_unsyn_ok++;
			}
			continue;
		}
		/* Gone. */
		n_gone++;
		if (!a->synced) {
			n_unsyn_gone++;
			continue;
		}
		in->synced_gone++;
		if (in->present) {
			vfail("LOST SYNCED ATOM %s (%llu bytes, line %llu): ENOENT, but segment %u "
			      "gen %u still holds %d other atoms (eviction is whole-segment)", ids,
			      (unsigned long long)a->len, (unsigned long long)a->pos, in->seg,
			      in->gen, in->present);
		} else if (!in->superseded && in->younger < bound) {
			vfail("LOST SYNCED ATOM %s (%llu bytes, line %llu): ENOENT; segment %u gen "
			      "%u had only %llu younger segments after it, eviction needs %llu",
			      ids, (unsigned long long)a->len, (unsigned long long)a->pos, in->seg,
			      in->gen, (unsigned long long)in->younger, (unsigned long long)bound);
		} else {
			n_evicted++;
		}
	}
	/* FIFO: an evicted segment has no clearly older survivor. */
	{
		__u64 lag = cfg.writers + cfg.ndevs;
		size_t newest_gone = SIZE_MAX;

		for (i = 0; i < nincs; i++)
			if (incs[i].synced && incs[i].synced_gone == incs[i].synced &&
			    !incs[i].present)
				newest_gone = i;
		if (newest_gone != SIZE_MAX) {
			for (i = 0; i + lag < newest_gone; i++) {
				if (incs[i].present && !incs[i].superseded) {
					vfail("FIFO: segment %u gen %u (named %zu segments earlier) "
					      "survives while segment %u gen %u is gone entirely",
					      incs[i].seg, incs[i].gen, newest_gone - i,
					      incs[newest_gone].seg, incs[newest_gone].gen);
					break;
				}
			}
		}
	}

	/* Counters. */
	{
		__u64 a = 0, u = 0, fr = 0, ns = 0, pin = 0;

		if (st_info(fd, &info2) || st_sysfs(space, "atoms", &a) ||
		    st_sysfs(space, "used", &u) || st_sysfs(space, "free_segments", &fr) ||
		    st_sysfs(space, "nr_segments", &ns) || st_sysfs(space, "pinned_segments", &pin)) {
			vfail("sysfs/INFO unreadable");
		} else {
			if (a != info2.atoms || ns != info2.nr_segments)
				vfail("sysfs atoms %llu / nr_segments %llu, INFO says %llu / %llu",
				      (unsigned long long)a, (unsigned long long)ns,
				      (unsigned long long)info2.atoms,
				      (unsigned long long)info2.nr_segments);
			if (a < n_present)
				vfail("sysfs atoms %llu < %llu atoms STAT finds",
				      (unsigned long long)a, (unsigned long long)n_present);
			if (u < present_pages * ST_PAGE || u > info2.capacity)
				vfail("sysfs used %llu: present atoms need %llu, capacity %llu",
				      (unsigned long long)u,
				      (unsigned long long)(present_pages * ST_PAGE),
				      (unsigned long long)info2.capacity);
			/*
			 * The last reads may have queued a check-ahead (verify.c),
			 * which pins its segment until it has hashed the atom: wait.
			 */
			for (int w = 0; pin && w < 200; w++) {
				usleep(50000);
				if (st_sysfs(space, "pinned_segments", &pin))
					break;
			}
			if (fr > ns || pin)
				vfail("sysfs free_segments %llu of %llu, pinned_segments %llu "
				      "(nothing is pinned)", (unsigned long long)fr,
				      (unsigned long long)ns, (unsigned long long)pin);
			say("# verify: atoms %llu (%llu named in the log, %llu unnamed: committed "
			    "but not logged before a cut), used %llu, free_segments %llu, "
			    "evictions since attach %llu", (unsigned long long)a,
			    (unsigned long long)n_present, (unsigned long long)(a - n_present),
			    (unsigned long long)u, (unsigned long long)fr,
			    (unsigned long long)info2.evictions);
		}
	}

	/* Hand over to the next boot: the survivors are durable now. */
	{
		for (i = 0; i < natoms; i++) {
			struct latom *a = &atoms[i];

			if (a->kind != K_GONE && a->res == 0)
				say_atom("CARRY", &a->id, a->seed, a->len);
		}
		r = st_sync(fd);
		if (r)
			vfail("SYNC after reload: %s", strerror(-r));
		else
			say("SYNCED %llu", (unsigned long long)atoms_printed());
	}

	/* Writing goes on after the reload: new atoms, synced, read back. */
	{
		__u64 rng = st_mix(cfg.nonce ^ 0x5e11f);
		struct ring_atom *na = calloc(cfg.verify_new + 1, sizeof(*na));
		__u64 upto;
		char why[300];
		int k;

		for (k = 0; na && k < cfg.verify_new; k++) {
			na[k].seed = st_mix(cfg.nonce ^ st_mix(0x7e5000 + k));
			na[k].len = pick_len(&rng, cfg.max_len);
			r = put_atom(fd, na[k].seed, na[k].len, &rng, buf, &na[k].id, 0);
			if (r) {
				vfail("new atom %d of %llu bytes after reload: %s", k,
				      (unsigned long long)na[k].len, strerror(-r));
				break;
			}
			say_atom("COMMIT", &na[k].id, na[k].seed, na[k].len);
		}
		upto = atoms_printed();
		r = st_sync(fd);
		if (r)
			vfail("SYNC of the new atoms: %s", strerror(-r));
		else
			say("SYNCED %llu", (unsigned long long)upto);
		for (j = 0; na && j < (size_t)k; j++) {
			r = check_atom(fd, &na[j].id, na[j].seed, na[j].len, j % 2, buf, why,
				       sizeof(why));
			if (r)
				vfail("new atom %s after reload: %s", st_id_str(&na[j].id, ids),
				      r == -EBADMSG ? why : strerror(-r));
		}
		free(na);
	}
	/*
	 * PRESENT agrees with what was read (no I/O): an id found gone stays gone
	 * even after the new writes above reopened segments (a generation reused
	 * across the crash would name new atoms with old ids).  Survivors may have
	 * been evicted by the new writes meanwhile: not checked.
	 */
	{
		struct scratch_id *pid = calloc(natoms + 1, sizeof(*pid));
		__u8 *res = calloc(natoms + 1, 1);
		char why[300];
		size_t n = 0;

		for (i = 0; pid && res && i < natoms; i++)
			if (atoms[i].res == -ENOENT)
				pid[n++] = atoms[i].id;
		if (pid && res && n) {
			r = st_present(fd, pid, (__u32)n, res);
			if (r < 0)
				vfail("PRESENT: %s", strerror(-r));
			for (i = 0, j = 0; r >= 0 && i < natoms; i++) {
				struct latom *a = &atoms[i];

				if (a->res != -ENOENT)
					continue;
				if (res[j++] == 0)
					continue;
				r = check_atom(fd, &a->id, a->seed, a->len, false, buf, why,
					       sizeof(why));
				if (r == 0)
					continue;	/* back, but exact */
				vfail("id %s (%s atom of %llu bytes, ENOENT after the reload) names "
				      "another atom after new writes: %s", st_id_str(&a->id, ids),
				      a->kind == K_GONE ? "an earlier boot's unsynced" :
				      a->synced ? "synced" : "unsynced",
				      (unsigned long long)a->len,
				      r == -EBADMSG ? why : strerror(-r));
				a->res = r;	/* reported: no GONE line, no second report */
				r = 0;
			}
		}
		free(pid);
		free(res);
	}

	/* Gone unsynced ids: the next verifies check that they stay gone. */
	for (i = 0; i < natoms; i++) {
		struct latom *a = &atoms[i];

		if (a->res != -ENOENT)
			continue;
		if (a->kind == K_GONE && a->age + 1 < GONE_MAX_AGE)
			say("GONE %s %016llx %llu %d", st_id_str(&a->id, ids),
			    (unsigned long long)a->seed, (unsigned long long)a->len,
			    a->age + 1);
		else if (a->kind != K_GONE && !a->synced)
			say("GONE %s %016llx %llu 0", st_id_str(&a->id, ids),
			    (unsigned long long)a->seed, (unsigned long long)a->len);
	}

	st_close(fd);
	if (!cfg.keep) {
		r = st_detach(space);
		if (r)
			vfail("detach after verify: %s", strerror(-r));
	}
	say("# verify: %.1fs; evict bound %llu younger segments of %llu; %zu incarnations in the "
	    "log; %llu gone ids rechecked", now_s() - ts, (unsigned long long)bound,
	    (unsigned long long)info.nr_segments, nincs, (unsigned long long)n_gone_rechecked);
	say("%s - crash verify: %llu synced atoms exact (%llu carried from earlier boots), "
	    "%llu unsynced exact, %llu gone (%llu synced, evicted; %llu unsynced)%s",
	    nfail ? "not ok" : "ok", (unsigned long long)n_syn_ok,
	    (unsigned long long)n_carried_ok, (unsigned long long)n_unsyn_ok,
	    (unsigned long long)n_gone, (unsigned long long)n_evicted,
	    (unsigned long long)n_unsyn_gone, nfail ? "; see FAIL lines" : "");
	free(buf);
	return nfail ? 1 : 0;
}

/* ---- main ------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crashload run [--format] [options] DEV...\n"
		"       crashload verify [--log FILE] [--keep] [options] DEV...\n"
		"options: --offset-mib N (16)  --region-mib N (32)  --seg-shift N (20)\n"
		"         --writers N (2)  --readers N (1)  --max-len BYTES (307200)\n"
		"         --nonce HEX (random)  --boot N  --seconds S  --atoms N  --new N (16)\n"
		"         --dm-mark DM[,DM...]  (run: mark these dm-log-writes logs after every line)\n"
		"         --dm-tick MS (2; and every MS ms, 0: never)\n");
}

static bool have_nonce;

/* An option of crashload's own (st_load_getopt() parses the region's). */
static int option(int c, char *arg)
{
	char *tok;

	switch (c) {
	case 'f': cfg.format = true; break;
	case 'w': cfg.writers = atoi(arg); break;
	case 'r': cfg.readers = atoi(arg); break;
	case 'm': cfg.max_len = strtoull(arg, NULL, 0); break;
	case 'n': cfg.nonce = strtoull(arg, NULL, 16); have_nonce = true; break;
	case 'b': cfg.boot = atoi(arg); break;
	case 'L': cfg.log = arg; break;
	case 'S': cfg.seconds = atof(arg); break;
	case 'A': cfg.max_atoms = strtoull(arg, NULL, 0); break;
	case 'N': cfg.verify_new = atoi(arg); break;
	case 'k': cfg.keep = true; break;
	case 'M':
		for (tok = strtok(arg, ","); tok && cfg.nmarks < MAX_DEVS; tok = strtok(NULL, ","))
			cfg.marks[cfg.nmarks++] = tok;
		break;
	case 'T': cfg.tick_ms = atoi(arg); break;
	case 'h': usage(stdout); exit(0);
	default: return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", no_argument, NULL, 'f' },
		{ "writers", required_argument, NULL, 'w' },
		{ "readers", required_argument, NULL, 'r' },
		{ "max-len", required_argument, NULL, 'm' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "boot", required_argument, NULL, 'b' },
		{ "log", required_argument, NULL, 'L' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "atoms", required_argument, NULL, 'A' },
		{ "new", required_argument, NULL, 'N' },
		{ "keep", no_argument, NULL, 'k' },
		{ "dm-mark", required_argument, NULL, 'M' },
		{ "dm-tick", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	mode = argv[1];
	optind = 2;
	if (st_load_getopt(argc, argv, opts, &cfg.r, option)) {
		usage(stderr);
		return 2;
	}
	for (; optind < argc && cfg.ndevs < MAX_DEVS; optind++)
		cfg.devs[cfg.ndevs++] = argv[optind];
	if (!cfg.ndevs || cfg.writers < 1 || cfg.writers > 32 || cfg.readers < 0 ||
	    cfg.readers > 16 || cfg.max_len < 128 * ST_KIB ||
	    cfg.max_len > st_payload_bytes(cfg.r.shift)) {
		usage(stderr);
		return 2;
	}
	if (!have_nonce && getrandom(&cfg.nonce, sizeof(cfg.nonce), 0) != sizeof(cfg.nonce))
		cfg.nonce = (__u64)time(NULL) ^ ((__u64)getpid() << 32);
	/* Every line leaves at once: the power may go at any moment. */
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(mode, "run"))
		return cmd_run();
	if (!strcmp(mode, "verify"))
		return cmd_verify();
	usage(stderr);
	return 2;
}
