/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * scratch's on-disk format (little endian): superblocks, segment headers, atom
 * records and array part tables.  Not UAPI: the module, its pure core (kmod/core.c),
 * fsck in scratchctl, the library (which lays out an array's part table) and the
 * tests that damage drives all include this one header; it changes only with
 * SCRATCH_DISK_VERSION.
 */
#ifndef _SCRATCH_FORMAT_H
#define _SCRATCH_FORMAT_H

#include <linux/types.h>

/*
 * Region layout: superblock in page 0, its backup in page 1, then nr_segs
 * segments from data_off (1 MiB).  Segment layout: a header page, table_pages
 * pages of struct scratch_disk_atom records, then payload pages.  Atoms start
 * on a page boundary and never share a page.
 */
#define SCRATCH_DISK_PAGE		4096
#define SCRATCH_DISK_DATA_OFF		(1ULL << 20)
#define SCRATCH_SUPER_MAGIC		0x3148435441524353ULL	/* "SCRATCH1" */
#define SCRATCH_SEG_MAGIC		0x4745534843524353ULL	/* "SCRCHSEG" */
#define SCRATCH_ATOM_MAGIC		0x4d4f5441U		/* "ATOM" */
#define SCRATCH_DISK_VERSION		1

struct scratch_disk_super {
	__le64	magic;
	__le32	version;
	__le32	seg_shift;
	__u8	uuid[16];	/* of the space: equal on every region */
	__le32	region_idx;	/* position of this region in the space */
	__le32	nr_regions;
	__le64	region_len;	/* bytes of the device this region uses */
	__le64	nr_segs;	/* segments in this region */
	__le64	first_seg;	/* space-wide index of this region's first */
	__le64	space_segs;	/* segments in the whole space */
	__le32	table_pages;	/* record pages per segment */
	__le32	reserved0;
	__le64	reserved[6];
	__le64	csum;		/* XXH64 of this struct with csum = 0 */
};

/*
 * Segment states on disk.  SEALED is OPEN plus a bound: the segment takes no
 * more reservations and no record of this incarnation lies at or past slot
 * nr_used, so reload reads only the table pages below it.  It is written
 * after the seal and needs no flush of its own: until it is durable the disk
 * says OPEN and reload reads the whole table of that segment.  A module that
 * predates SEALED refuses such a header: the segment's atoms are then missing
 * there, never wrong.
 */
#define SCRATCH_SEG_FREE		0
#define SCRATCH_SEG_OPEN		1
#define SCRATCH_SEG_SEALED		2

/*
 * seq is the fill order (the FIFO key).  A space's seqs start at an origin
 * derived from its uuid (2^32 and up: see sc_seq_origin() in kmod/core.h),
 * never at 1: records carry the seq of their segment and nothing else of the
 * space, so a table left on the drive by an earlier space formatted over
 * must not match a segment of the new one.
 */
struct scratch_disk_seg {
	__le64	magic;
	__u8	uuid[16];
	__le64	seg;		/* space-wide segment index */
	__le32	gen;		/* generation; advances on every eviction */
	__le32	state;		/* SCRATCH_SEG_* */
	__le64	seq;		/* fill order (FIFO): 0 when free */
	__le32	nr_used;	/* SEALED: slots handed out; else 0 */
	__le32	reserved0;
	__le64	reserved[2];
	__le64	csum;
};

/* One committed atom, in the table of its segment; 64 bytes. */
struct scratch_disk_atom {
	__le32	magic;
	__le32	gen;		/* the segment generation it belongs to */
	__le32	page;		/* first payload page, from the segment start */
	__le32	nr_parts;
	__le64	stored_len;
	__le64	length;
	__le64	xxh64;
	__le32	tenant;
	__le16	type;
	__le16	atom_flags;
	__le64	seq;		/* the segment's seq, against stale tables */
	__le64	csum;		/* XXH64 of this record with csum = 0 */
};

/*
 * The atom flags (SCRATCH_ATOM_* of the UAPI header) a record may carry, and
 * COMMIT may be given: a record with another bit is damage (core.c).  The
 * module keeps them in a u8 (struct sc_atom); main.c checks they fit.
 */
#define SCRATCH_ATOM_USER_ALL		(SCRATCH_ATOM_ZSTD)

/*
 * An array's stored bytes start with its part table: nr_parts entries, padded
 * to a page; each part then starts on a page boundary, in order.  off is
 * relative to the array's first stored byte.
 */
struct scratch_disk_part {
	__le64	off;
	__le64	len;
	__le64	xxh64;		/* XXH64 of the part's stored bytes */
	__le64	reserved;
};

#endif /* _SCRATCH_FORMAT_H */
