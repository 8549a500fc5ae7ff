// SPDX-License-Identifier: GPL-2.0
/*
 * Pure logic of scratch: segment geometry and the on-disk record codecs.
 * Compiled into the module and natively (tests, fuzzers, fsck): it must not
 * trust a single byte it decodes.
 */
#include "core.h"

/* True when any of the @n bytes at @p is not zero. */
static int memchr_inv_zero(const void *p, size_t n)
{
	const u8 *b = p;

	while (n--)
		if (*b++)
			return 1;
	return 0;
}

int sc_geom_init(struct sc_geom *g, u32 seg_shift)
{
	u32 slots;

	if (seg_shift < SCRATCH_SEG_SHIFT_MIN || seg_shift > SCRATCH_SEG_SHIFT_MAX)
		return -EINVAL;
	g->seg_shift = seg_shift;
	g->seg_pages = 1U << (seg_shift - SC_PAGE_SHIFT);
	/*
	 * One slot per four payload pages: the table costs 64 bytes per 16 KiB
	 * (0.4 %) and a segment of atoms smaller than that seals early.
	 */
	slots = g->seg_pages / 4;
	if (slots < SC_RECS_PER_PAGE)
		slots = SC_RECS_PER_PAGE;
	slots = (slots + SC_RECS_PER_PAGE - 1) / SC_RECS_PER_PAGE * SC_RECS_PER_PAGE;
	g->nr_slots = slots;
	g->table_pages = slots / SC_RECS_PER_PAGE;
	g->first_page = 1 + g->table_pages;
	g->payload_pages = g->seg_pages - g->first_page;
	return 0;
}

u64 sc_region_segs(const struct sc_geom *g, u64 len)
{
	u64 n;

	if (len <= SCRATCH_DISK_DATA_OFF)
		return 0;
	n = (len - SCRATCH_DISK_DATA_OFF) >> g->seg_shift;
	/* Segment indexes and counts must fit the 32-bit id field. */
	if (n < 2 || n > U32_MAX)
		return 0;
	return n;
}

void sc_super_encode(struct scratch_disk_super *d, const struct sc_super_info *s)
{
	memset(d, 0, sizeof(*d));
	d->magic = cpu_to_le64(SCRATCH_SUPER_MAGIC);
	d->version = cpu_to_le32(SCRATCH_DISK_VERSION);
	d->seg_shift = cpu_to_le32(s->seg_shift);
	memcpy(d->uuid, s->uuid, sizeof(d->uuid));
	d->region_idx = cpu_to_le32(s->region_idx);
	d->nr_regions = cpu_to_le32(s->nr_regions);
	d->region_len = cpu_to_le64(s->region_len);
	d->nr_segs = cpu_to_le64(s->nr_segs);
	d->first_seg = cpu_to_le64(s->first_seg);
	d->space_segs = cpu_to_le64(s->space_segs);
	d->table_pages = cpu_to_le32(s->table_pages);
	d->csum = cpu_to_le64(sc_xxh64(d, sizeof(*d)));
}

const char *sc_why_str(enum sc_why why)
{
	switch (why) {
	case SC_WHY_OK:
		return "valid";
	case SC_WHY_MAGIC:
		return "no magic";
	case SC_WHY_CSUM:
		return "checksum mismatch";
	case SC_WHY_VERSION:
		return "unknown format version";
	case SC_WHY_FOREIGN:
		return "another space's";
	case SC_WHY_INDEX:
		return "another segment's";
	case SC_WHY_STALE:
		return "older incarnation";
	case SC_WHY_FIELDS:
		return "impossible fields";
	}
	return "unknown";
}

int sc_super_decode(const struct scratch_disk_super *d, struct sc_super_info *s)
{
	enum sc_why why = sc_super_why(d, s);

	if (why == SC_WHY_MAGIC)
		return -EMEDIUMTYPE;
	return why == SC_WHY_OK ? 0 : -EUCLEAN;
}

enum sc_why sc_super_why(const struct scratch_disk_super *d, struct sc_super_info *s)
{
	struct scratch_disk_super c = *d;
	struct sc_geom g;

	if (le64_to_cpu(d->magic) != SCRATCH_SUPER_MAGIC)
		return SC_WHY_MAGIC;
	c.csum = 0;
	if (sc_xxh64(&c, sizeof(c)) != le64_to_cpu(d->csum))
		return SC_WHY_CSUM;
	if (le32_to_cpu(d->version) != SCRATCH_DISK_VERSION)
		return SC_WHY_VERSION;
	if (d->reserved0 || memchr_inv_zero(d->reserved, sizeof(d->reserved)))
		return SC_WHY_FIELDS;
	s->seg_shift = le32_to_cpu(d->seg_shift);
	memcpy(s->uuid, d->uuid, sizeof(s->uuid));
	s->region_idx = le32_to_cpu(d->region_idx);
	s->nr_regions = le32_to_cpu(d->nr_regions);
	s->region_len = le64_to_cpu(d->region_len);
	s->nr_segs = le64_to_cpu(d->nr_segs);
	s->first_seg = le64_to_cpu(d->first_seg);
	s->space_segs = le64_to_cpu(d->space_segs);
	s->table_pages = le32_to_cpu(d->table_pages);
	/* A valid checksum over nonsense is still nonsense. */
	if (sc_geom_init(&g, s->seg_shift) || g.table_pages != s->table_pages)
		return SC_WHY_FIELDS;
	if (!s->nr_regions || s->nr_regions > SCRATCH_MAX_REGIONS ||
	    s->region_idx >= s->nr_regions)
		return SC_WHY_FIELDS;
	if (!s->nr_segs || sc_region_segs(&g, s->region_len) != s->nr_segs)
		return SC_WHY_FIELDS;
	if (s->first_seg > s->space_segs || s->nr_segs > s->space_segs - s->first_seg ||
	    s->space_segs > U32_MAX)
		return SC_WHY_FIELDS;
	return SC_WHY_OK;
}

void sc_seg_encode(struct scratch_disk_seg *d, const struct sc_seg_info *s)
{
	memset(d, 0, sizeof(*d));
	d->magic = cpu_to_le64(SCRATCH_SEG_MAGIC);
	memcpy(d->uuid, s->uuid, sizeof(d->uuid));
	d->seg = cpu_to_le64(s->seg);
	d->gen = cpu_to_le32(s->gen);
	d->state = cpu_to_le32(s->state);
	d->seq = cpu_to_le64(s->seq);
	if (s->state == SCRATCH_SEG_SEALED)
		d->nr_used = cpu_to_le32(s->nr_used);
	d->csum = cpu_to_le64(sc_xxh64(d, sizeof(*d)));
}

int sc_seg_decode(const struct scratch_disk_seg *d, const u8 *uuid, u64 seg,
		  struct sc_seg_info *s)
{
	return sc_seg_why(d, uuid, seg, s) == SC_WHY_OK ? 0 : -EUCLEAN;
}

enum sc_why sc_seg_why(const struct scratch_disk_seg *d, const u8 *uuid, u64 seg,
		       struct sc_seg_info *s)
{
	struct scratch_disk_seg c = *d;

	if (le64_to_cpu(d->magic) != SCRATCH_SEG_MAGIC)
		return SC_WHY_MAGIC;
	c.csum = 0;
	if (sc_xxh64(&c, sizeof(c)) != le64_to_cpu(d->csum))
		return SC_WHY_CSUM;
	if (memcmp(d->uuid, uuid, sizeof(d->uuid)))
		return SC_WHY_FOREIGN;
	if (le64_to_cpu(d->seg) != seg)
		return SC_WHY_INDEX;
	if (d->reserved0 || memchr_inv_zero(d->reserved, sizeof(d->reserved)))
		return SC_WHY_FIELDS;
	memcpy(s->uuid, d->uuid, sizeof(s->uuid));
	s->seg = seg;
	s->gen = le32_to_cpu(d->gen);
	s->state = le32_to_cpu(d->state);
	s->seq = le64_to_cpu(d->seq);
	s->nr_used = le32_to_cpu(d->nr_used);
	if (!s->gen)
		return SC_WHY_FIELDS;
	if (s->state == SCRATCH_SEG_FREE)
		return s->seq || s->nr_used ? SC_WHY_FIELDS : SC_WHY_OK;
	if (s->state == SCRATCH_SEG_OPEN)
		return s->seq && !s->nr_used ? SC_WHY_OK : SC_WHY_FIELDS;
	if (s->state == SCRATCH_SEG_SEALED)
		return s->seq ? SC_WHY_OK : SC_WHY_FIELDS;
	return SC_WHY_FIELDS;
}

void sc_rec_encode(struct scratch_disk_atom *d, const struct sc_rec_info *r)
{
	memset(d, 0, sizeof(*d));
	d->magic = cpu_to_le32(SCRATCH_ATOM_MAGIC);
	d->gen = cpu_to_le32(r->gen);
	d->page = cpu_to_le32(r->page);
	d->nr_parts = cpu_to_le32(r->nr_parts);
	d->stored_len = cpu_to_le64(r->stored_len);
	d->length = cpu_to_le64(r->length);
	d->xxh64 = cpu_to_le64(r->xxh64);
	d->tenant = cpu_to_le32(r->tenant);
	d->type = cpu_to_le16(r->type);
	d->atom_flags = cpu_to_le16(r->atom_flags);
	d->seq = cpu_to_le64(r->seq);
	d->csum = cpu_to_le64(sc_xxh64(d, sizeof(*d)));
}

int sc_rec_decode(const struct scratch_disk_atom *d, const struct sc_geom *g,
		  u32 gen, u64 seq, struct sc_rec_info *r)
{
	switch (sc_rec_why(d, g, gen, seq, r)) {
	case SC_WHY_OK:
		return 0;
	case SC_WHY_MAGIC:
	case SC_WHY_STALE:
		return -ENOENT;
	default:
		return -EUCLEAN;
	}
}

enum sc_why sc_rec_why(const struct scratch_disk_atom *d, const struct sc_geom *g,
		       u32 gen, u64 seq, struct sc_rec_info *r)
{
	struct scratch_disk_atom c = *d;
	u64 end;

	if (le32_to_cpu(d->magic) != SCRATCH_ATOM_MAGIC)
		return SC_WHY_MAGIC;
	c.csum = 0;
	if (sc_xxh64(&c, sizeof(c)) != le64_to_cpu(d->csum))
		return SC_WHY_CSUM;
	r->gen = le32_to_cpu(d->gen);
	r->seq = le64_to_cpu(d->seq);
	if (r->gen != gen || r->seq != seq)
		return SC_WHY_STALE;
	r->page = le32_to_cpu(d->page);
	r->nr_parts = le32_to_cpu(d->nr_parts);
	r->stored_len = le64_to_cpu(d->stored_len);
	r->length = le64_to_cpu(d->length);
	r->xxh64 = le64_to_cpu(d->xxh64);
	r->tenant = le32_to_cpu(d->tenant);
	r->type = le16_to_cpu(d->type);
	r->atom_flags = le16_to_cpu(d->atom_flags);
	/* The RAM index keeps 32-bit lengths: RESERVE and COMMIT enforce it. */
	if (!r->stored_len || r->stored_len > U32_MAX || r->length > U32_MAX)
		return SC_WHY_FIELDS;
	if (r->stored_len > (u64)g->payload_pages << SC_PAGE_SHIFT)
		return SC_WHY_FIELDS;
	if (r->atom_flags & ~SCRATCH_ATOM_USER_ALL || r->nr_parts > SCRATCH_MAX_PARTS)
		return SC_WHY_FIELDS;
	if (r->page < g->first_page)
		return SC_WHY_FIELDS;
	end = (u64)r->page + sc_pages(r->stored_len);
	if (end > g->seg_pages)
		return SC_WHY_FIELDS;
	if (r->nr_parts && sc_part_table_bytes(r->nr_parts) > r->stored_len)
		return SC_WHY_FIELDS;
	return SC_WHY_OK;
}

int sc_part_next(const struct scratch_disk_part *part, u64 *next, u64 stored_len)
{
	u64 off = le64_to_cpu(part->off);
	u64 len = le64_to_cpu(part->len);

	if (part->reserved || off & (SC_PAGE - 1) || off < *next)
		return -EINVAL;
	if (off > stored_len || len > stored_len - off)
		return -EINVAL;
	/* off is page-aligned, so off >= next keeps parts off each other's pages. */
	*next = off + len;
	return 0;
}

int sc_parts_check(const struct scratch_disk_part *parts, u32 nr_parts,
		   u64 stored_len)
{
	u64 next = sc_part_table_bytes(nr_parts);
	u32 i;

	if (!nr_parts || nr_parts > SCRATCH_MAX_PARTS || next > stored_len)
		return -EINVAL;
	for (i = 0; i < nr_parts; i++)
		if (sc_part_next(&parts[i], &next, stored_len))
			return -EINVAL;
	return 0;
}
