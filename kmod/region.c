// SPDX-License-Identifier: GPL-2.0
/*
 * Regions: claiming a block device (or a range of one) for a space, raw I/O
 * through the device's page cache, flushes, and the superblocks.
 */
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include "scratch_priv.h"

/* Is @path a block device?  Asked before opening it: opening a tape, a FIFO or a tty acts. */
static int sc_path_is_blk(const char *path)
{
	struct path p;
	int ret;

	ret = kern_path(path, LOOKUP_FOLLOW, &p);
	if (ret)
		return ret;
	ret = S_ISBLK(d_inode(p.dentry)->i_mode) ? 0 : -ENOTBLK;
	path_put(&p);
	return ret;
}

int scratch_region_open(struct sc_region *r, const char *path, u64 off, u64 len)
{
	struct file *f, *ro;
	u64 size;
	int ret;

	ret = sc_path_is_blk(path);
	if (ret)
		return ret;
	/* O_EXCL on a block device claims it: mounted or attached gives EBUSY. */
	f = filp_open(path, O_RDWR | O_EXCL | O_LARGEFILE, 0);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		return ret == -EACCES ? -EROFS : ret;
	}
	/* The path may have been replaced since the check. */
	ret = -ENOTBLK;
	if (!S_ISBLK(file_inode(f)->i_mode))
		goto err_put;
	r->bdev = I_BDEV(f->f_mapping->host);
	ret = -EROFS;
	if (bdev_read_only(r->bdev))
		goto err_put;
	size = bdev_nr_bytes(r->bdev);
	ret = -EINVAL;
	if (off >= size || bdev_logical_block_size(r->bdev) > SC_PAGE)
		goto err_put;
	if (!len)
		len = size - off;
	if (len > size - off)
		goto err_put;
	/* The same open path, read-only: the file user mappings point at. */
	ro = dentry_open(&f->f_path, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(ro)) {
		ret = PTR_ERR(ro);
		goto err_put;
	}
	r->file = f;
	r->ro_file = ro;
	r->dev_off = off;
	r->len = len;
	return 0;

err_put:
	fput(f);
	return ret;
}

void scratch_region_close(struct sc_region *r)
{
	if (r->ro_file)
		fput(r->ro_file);
	if (r->file)
		fput(r->file);
	r->file = NULL;
	r->ro_file = NULL;
}

int scratch_region_read(struct sc_region *r, u64 pos, void *buf, size_t len)
{
	loff_t p = pos;
	ssize_t n = kernel_read(r->file, buf, len, &p);

	if (n < 0)
		return n;
	return n == len ? 0 : -EIO;
}

/*
 * @len bytes at @pos, inside one page, through the page cache but without
 * readahead: a table record or page must not bring its neighbours (payload
 * of atoms whose first read from the drive is to be checked) into the cache.
 * A device that shrank under it (a removed drive) reads zeros there: -EIO.
 */
int scratch_region_peek(struct sc_region *r, u64 pos, void *buf, size_t len)
{
	struct folio *folio;
	void *p;

	if (WARN_ON_ONCE(offset_in_page(pos) + len > PAGE_SIZE))
		return -EINVAL;
	folio = read_mapping_folio(r->file->f_mapping, pos >> PAGE_SHIFT, r->file);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	p = kmap_local_folio(folio, pos - folio_pos(folio));
	memcpy(buf, p, len);
	kunmap_local(p);
	folio_put(folio);
	return pos + len > (u64)i_size_read(r->file->f_mapping->host) ? -EIO : 0;
}

int scratch_region_write(struct sc_region *r, u64 pos, const void *buf, size_t len)
{
	loff_t p = pos;
	ssize_t n = kernel_write(r->file, buf, len, &p);

	if (n < 0)
		return sc_dev_err(n);
	return n == len ? 0 : -EIO;
}

/*
 * The first byte of [pos, pos + len) of @r's device that is not in an
 * uptodate folio of the page cache, or pos + len: page-cache lookups only,
 * nothing copied.  filemap_get_folio() returns NULL on a miss up to 6.2 and
 * ERR_PTR(-ENOENT) after: both are a miss.
 */
u64 scratch_region_cached_upto(struct sc_region *r, u64 pos, u64 len)
{
	struct address_space *mapping = r->file->f_mapping;
	pgoff_t i = pos >> PAGE_SHIFT, last = (pos + len - 1) >> PAGE_SHIFT;

	while (i <= last) {
		struct folio *folio = filemap_get_folio(mapping, i);
		pgoff_t start;
		bool ok;

		if (IS_ERR_OR_NULL(folio))
			break;
		start = folio->index;
		ok = folio_test_uptodate(folio);
		i = folio_next_index(folio);
		folio_put(folio);
		if (!ok) {
			i = start;
			break;
		}
	}
	return i > last ? pos + len : max_t(u64, pos, (u64)i << PAGE_SHIFT);
}

/* Everything written to the region so far reaches stable storage. */
static int scratch_region_flush(struct sc_region *r)
{
	int ret;

	ret = filemap_write_and_wait_range(r->file->f_mapping, r->dev_off,
					   r->dev_off + r->len - 1);
	if (ret)
		return ret;
	return blkdev_issue_flush(r->bdev);
}

/*
 * Read the superblock, falling back to the backup copy in page 1.  The
 * region is blank (-EMEDIUMTYPE) only when neither copy carries the magic:
 * one damaged copy and one without magic is a damaged scratch region
 * (-EUCLEAN), which must not look like a device that is free to format.
 */
int scratch_region_read_super(struct sc_region *r, struct sc_super_info *si)
{
	struct scratch_disk_super *d;
	int ret[2], i;

	d = kmalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	for (i = 0; i < 2; i++) {
		ret[i] = scratch_region_read(r, r->dev_off + i * SC_PAGE, d, sizeof(*d));
		if (!ret[i])
			ret[i] = sc_super_decode(d, si);
		if (!ret[i])
			break;
	}
	kfree(d);
	if (i == 1)
		pr_notice("%pD: primary superblock unusable (%d), attached by its backup\n",
			  r->file, ret[0]);
	if (i < 2)
		return 0;
	if (ret[0] == -EMEDIUMTYPE && ret[1] == -EMEDIUMTYPE)
		return -EMEDIUMTYPE;
	for (i = 0; i < 2; i++)
		if (ret[i] != -EMEDIUMTYPE && ret[i] != -EUCLEAN)
			return ret[i];	/* an I/O error says more than "damaged" */
	return -EUCLEAN;
}

/* Both copies, durable before the call returns. */
int scratch_region_write_super(struct sc_region *r, const struct sc_super_info *si)
{
	void *page;
	int ret, i;

	page = kzalloc(SC_PAGE, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	sc_super_encode(page, si);
	for (i = 0, ret = 0; i < 2 && !ret; i++)
		ret = scratch_region_write(r, r->dev_off + i * SC_PAGE, page, SC_PAGE);
	kfree(page);
	return ret ? ret : scratch_region_flush(r);
}
