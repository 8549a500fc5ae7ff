/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic of scratch, built twice: into scratch.ko and into the native unit
 * tests, fuzzers and offline tools.  No kernel or libc include here: the
 * environment comes from core_env.h.
 */
#ifndef SCRATCH_CORE_H
#define SCRATCH_CORE_H

#include "core_env.h"
#include <uapi/scratch.h>
#include "scratch_format.h"

/* ---- atom ids ---- */

struct sc_idparts {
	u32 seg;
	u32 gen;
	u32 slot;
	u32 part;	/* 0: whole atom or array; i + 1: part i */
};

static inline struct scratch_id sc_id_encode(const struct sc_idparts *p)
{
	struct scratch_id id;

	id.lo = (u64)p->seg | ((u64)p->gen << 32);
	id.hi = (u64)p->slot | ((u64)p->part << 32);
	return id;
}

static inline struct sc_idparts sc_id_decode(const struct scratch_id *id)
{
	struct sc_idparts p;

	p.seg = (u32)id->lo;
	p.gen = (u32)(id->lo >> 32);
	p.slot = (u32)id->hi;
	p.part = (u32)(id->hi >> 32);
	return p;
}

/* The generation after @gen: never 0, so the zero id stays invalid. */
static inline u32 sc_gen_next(u32 gen)
{
	return gen == U32_MAX ? 1 : gen + 1;
}

/* ---- eviction ---- */

/*
 * Bytes of new writes before FIFO eviction takes the oldest unpinned
 * segment: the room left in the open segments, then the free segments
 * beyond the @free_target that the refill keeps free (@seg_bytes of payload
 * each).  Each unpinned segment after the oldest goes @seg_bytes later.
 */
static inline u64 sc_horizon_base(u64 open_bytes, u64 nr_free, u64 free_target,
				   u64 seg_bytes)
{
	return open_bytes + (nr_free > free_target ? (nr_free - free_target) * seg_bytes : 0);
}

/*
 * Eviction events: a ring of the last @size of @head evictions.  The first
 * one a reader at @cursor (<= @head) can still get; *@lost gains how many it
 * missed because the ring moved past them.
 */
static inline u64 sc_ev_first(u64 head, u64 size, u64 cursor, u64 *lost)
{
	u64 oldest = head > size ? head - size : 0;

	if (cursor >= oldest)
		return cursor;
	*lost += oldest - cursor;
	return oldest;
}

/* ---- geometry ---- */

#define SC_PAGE			SCRATCH_DISK_PAGE
#define SC_PAGE_SHIFT		12
#define SC_RECS_PER_PAGE	(SC_PAGE / sizeof(struct scratch_disk_atom))
#define SC_PARTS_PER_PAGE	(SC_PAGE / sizeof(struct scratch_disk_part))

/*
 * Layout of every segment of a space; derived from seg_shift alone, so that
 * format, reload, fsck and the tests agree on it.
 */
struct sc_geom {
	u32 seg_shift;
	u32 seg_pages;		/* pages per segment */
	u32 table_pages;	/* record pages after the header page */
	u32 nr_slots;		/* atoms a segment can index */
	u32 first_page;		/* first payload page */
	u32 payload_pages;	/* pages atoms can use */
};

int sc_geom_init(struct sc_geom *g, u32 seg_shift);

/* Segments of a region of @len bytes; 0 if it cannot hold two. */
u64 sc_region_segs(const struct sc_geom *g, u64 len);

/* ---- on-disk records ---- */

/*
 * Why a decoder refused a struct, for fsck's report; the module only needs
 * the errno of the *_decode() wrappers, which map these one to one.
 */
enum sc_why {
	SC_WHY_OK,
	SC_WHY_MAGIC,		/* no magic: blank, never written, or not ours */
	SC_WHY_CSUM,		/* magic, but the checksum does not match */
	SC_WHY_VERSION,		/* a format version this code does not know */
	SC_WHY_FOREIGN,		/* well-formed, of another space (uuid) */
	SC_WHY_INDEX,		/* well-formed, of another segment */
	SC_WHY_STALE,		/* a record of an older incarnation of its segment */
	SC_WHY_FIELDS,		/* checksum right, contents impossible */
};

const char *sc_why_str(enum sc_why why);

struct sc_super_info {
	u8 uuid[16];
	u32 seg_shift;
	u32 region_idx;
	u32 nr_regions;
	u32 table_pages;
	u64 region_len;
	u64 nr_segs;
	u64 first_seg;
	u64 space_segs;
};

void sc_super_encode(struct scratch_disk_super *d, const struct sc_super_info *s);
/* 0, or -EMEDIUMTYPE (no scratch magic), -EUCLEAN (damaged or inconsistent). */
int sc_super_decode(const struct scratch_disk_super *d, struct sc_super_info *s);
/* The same checks; SC_WHY_MAGIC is -EMEDIUMTYPE, any other refusal -EUCLEAN. */
enum sc_why sc_super_why(const struct scratch_disk_super *d, struct sc_super_info *s);

struct sc_seg_info {
	u8 uuid[16];
	u64 seg;
	u32 gen;
	u32 state;
	u64 seq;
	u32 nr_used;	/* SEALED only: no record at or past this slot */
};

/*
 * The first seq of a space: 2^32 and up, from its uuid.  Records name their
 * segment's (gen, seq) and not the space, and a format writes superblocks
 * only: with seqs starting at 1 in every space, the tables an earlier space
 * left on the drive matched the new space's segments (same gen 1, same seq)
 * and came back as its atoms.  Seqs of different spaces now overlap only if
 * their origins fall within the number of segment fills of each other
 * (chance about fills / 2^62), and never with a space of a module that
 * started at 1 (fewer than 2^32 fills).
 */
static inline u64 sc_seq_origin(const u8 *uuid)
{
	return (1ULL << 32) + (sc_xxh64(uuid, 16) & ((1ULL << 62) - 1));
}

/*
 * Table pages a reload must read for a decoded OPEN or SEALED header: all of
 * them for OPEN, those below nr_used for SEALED (never more than the table).
 */
static inline u32 sc_table_pages_used(const struct sc_geom *g, const struct sc_seg_info *s)
{
	u32 n;

	if (s->state != SCRATCH_SEG_SEALED)
		return g->table_pages;
	n = (s->nr_used + SC_RECS_PER_PAGE - 1) / SC_RECS_PER_PAGE;
	return n < g->table_pages ? n : g->table_pages;
}

void sc_seg_encode(struct scratch_disk_seg *d, const struct sc_seg_info *s);
/*
 * 0 or -EUCLEAN; checks magic, checksum, uuid, index and state (OPEN and
 * SEALED headers have a seq, FREE ones not; only SEALED ones an nr_used).
 */
int sc_seg_decode(const struct scratch_disk_seg *d, const u8 *uuid, u64 seg,
		  struct sc_seg_info *s);
/* The same checks; every refusal is -EUCLEAN for sc_seg_decode(). */
enum sc_why sc_seg_why(const struct scratch_disk_seg *d, const u8 *uuid, u64 seg,
		       struct sc_seg_info *s);

struct sc_rec_info {
	u32 gen;
	u32 page;
	u32 nr_parts;
	u32 tenant;
	u64 stored_len;
	u64 length;
	u64 xxh64;
	u64 seq;
	u16 type;
	u16 atom_flags;
};

void sc_rec_encode(struct scratch_disk_atom *d, const struct sc_rec_info *r);
/*
 * 0 when @d is a valid record of the segment incarnation (gen, seq) whose
 * payload lies in the geometry's payload area; -ENOENT for an empty slot or
 * one from an older incarnation; -EUCLEAN when damaged.
 */
int sc_rec_decode(const struct scratch_disk_atom *d, const struct sc_geom *g,
		  u32 gen, u64 seq, struct sc_rec_info *r);
/* The same checks; SC_WHY_MAGIC and SC_WHY_STALE are -ENOENT, the rest -EUCLEAN. */
enum sc_why sc_rec_why(const struct scratch_disk_atom *d, const struct sc_geom *g,
		       u32 gen, u64 seq, struct sc_rec_info *r);

/* ---- the atom index (its entries live in scratch_priv.h's segments) ---- */

/*
 * The in-RAM index entry of one atom: 16 bytes, what lookups, reads,
 * mappings, presence checks and eviction need.  Lives in its segment's
 * atoms[] array, indexed by slot; slots are handed out in page order, so the
 * array is sorted by page and offsets are found by binary search.  The rest
 * of the atom's record (struct sc_atom_meta) is in RAM only while the record
 * is on its way to the disk; see struct sc_segment's meta.
 */
struct sc_atom {
	u32 page;		/* first payload page, from the segment start */
	u32 stored_len;
	u32 tenant;
	u16 parts_m1;		/* SC_AK_ARRAY: nr_parts - 1 (1..SCRATCH_MAX_PARTS) */
	u8 kind;		/* SC_AK_* */
	u8 state;
};

#define SC_AK_ARRAY		0x01

static inline u32 sc_atom_nr_parts(const struct sc_atom *a)
{
	return a->kind & SC_AK_ARRAY ? (u32)a->parts_m1 + 1 : 0;
}

static inline void sc_atom_set_parts(struct sc_atom *a, u32 nr_parts)
{
	a->kind = nr_parts ? SC_AK_ARRAY : 0;
	a->parts_m1 = nr_parts ? nr_parts - 1 : 0;
}

/*
 * The rest of an atom's record: what STAT reports and what a check needs
 * (meta.c).  16 bytes, in RAM from commit until the segment is settled.
 */
struct sc_atom_meta {
	u64 xxh64;
	u32 length;
	u16 type;
	u8 atom_flags;
	u8 reserved;
};

/*
 * A record read back from a table page speaks for the atom of entry @a only
 * if it says what the entry says; @r has passed sc_rec_decode() for the
 * segment's incarnation.  Fills @m.  True if it does.
 */
static inline bool sc_rec_of_atom(const struct sc_rec_info *r, const struct sc_atom *a,
				  struct sc_atom_meta *m)
{
	if (r->page != a->page || r->stored_len != a->stored_len ||
	    r->tenant != a->tenant || r->nr_parts != sc_atom_nr_parts(a))
		return false;
	m->xxh64 = r->xxh64;
	m->length = (u32)r->length;
	m->type = r->type;
	m->atom_flags = (u8)r->atom_flags;
	m->reserved = 0;
	return true;
}

/* The record of a live atom: @a and @m in the segment incarnation (gen, seq). */
static inline void sc_rec_of_entry(struct sc_rec_info *r, const struct sc_atom *a,
				   const struct sc_atom_meta *m, u32 gen, u64 seq)
{
	r->gen = gen;
	r->seq = seq;
	r->page = a->page;
	r->nr_parts = sc_atom_nr_parts(a);
	r->tenant = a->tenant;
	r->stored_len = a->stored_len;
	r->length = m->length;
	r->xxh64 = m->xxh64;
	r->type = m->type;
	r->atom_flags = m->atom_flags;
}

/* Pages an atom of @stored_len bytes occupies. */
static inline u64 sc_pages(u64 stored_len)
{
	return (stored_len + SC_PAGE - 1) >> SC_PAGE_SHIFT;
}

/* Bytes of an array's part table, padded to a page. */
static inline u64 sc_part_table_bytes(u32 nr_parts)
{
	return sc_pages((u64)nr_parts * sizeof(struct scratch_disk_part)) << SC_PAGE_SHIFT;
}

/*
 * Check an array's part table: every part page-aligned, after the table, in
 * order, without overlap, inside stored_len.  0 or -EINVAL.
 */
int sc_parts_check(const struct scratch_disk_part *parts, u32 nr_parts,
		   u64 stored_len);

/*
 * The same rule for one entry, for walking a table without holding all of
 * it: *next starts at sc_part_table_bytes(nr_parts) and advances past the
 * part.  0 or -EINVAL.
 */
int sc_part_next(const struct scratch_disk_part *part, u64 *next, u64 stored_len);

#endif /* SCRATCH_CORE_H */
