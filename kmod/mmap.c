// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only, zero-copy mappings of atoms: the VMA is pointed at the backing
 * device's read-only file and its page cache serves the faults.  Each VMA
 * pins its segment (eviction skips it) and holds a reference to the space's
 * anchor file, which keeps the module loaded: our vm_ops sit behind a file
 * that is not ours.
 *
 * The VMA's file is the whole device, so nothing may rebuild the mapping from
 * it: VM_SHARED is cleared (remap_file_pages() needs it; a read-only fd's
 * shared mapping has it cleared by the kernel too), VM_MAYWRITE is cleared
 * (no mprotect to write, no MADV_REMOVE), VM_DONTEXPAND is set (no mremap
 * growth, no merge with a neighbour).
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include "scratch_priv.h"

static bool sc_vma_dead(struct vm_area_struct *vma)
{
	struct sc_segment *seg = vma->vm_private_data;
	struct sc_space *s = seg->space;
	u8 state = READ_ONCE(seg->state);

	/* Cannot happen while pinned; if it does, SIGBUS beats foreign bytes. */
	if (WARN_ON_ONCE(state != SC_SEG_OPEN && state != SC_SEG_SEALED))
		return true;
	/*
	 * A write error dropped atoms of this segment (sync.c): the drive does
	 * not hold their bytes, and a page read back from it must not be
	 * mapped.  The VMA maps one atom, the one at its first page.
	 */
	if (unlikely(READ_ONCE(seg->lost)))
		return !scratch_seg_page_live(s, seg, vma->vm_pgoff -
					      (sc_seg_dev_pos(s, seg) >> PAGE_SHIFT));
	return false;
}

/* A write error on the region not yet handled?  Handling it may sleep. */
static bool sc_vma_wb_new(struct vm_area_struct *vma)
{
	struct sc_segment *seg = vma->vm_private_data;

	return unlikely(scratch_region_wb_new(seg->space, seg->region));
}

static vm_fault_t sc_vm_fault(struct vm_fault *vmf)
{
	struct sc_segment *seg = vmf->vma->vm_private_data;

	if (sc_vma_wb_new(vmf->vma))
		scratch_region_wb_check(seg->space, seg->region);
	if (sc_vma_dead(vmf->vma))
		return VM_FAULT_SIGBUS;
	return filemap_fault(vmf);
}

/*
 * Fault-around over the whole page table the fault is in (up to 2 MiB),
 * clipped to the VMA, instead of fault_around_bytes (64 KiB): atoms are
 * read whole, and this maps only pages already cached, without I/O.  The
 * core only requires the range to stay inside vmf->pmd's table.  Called
 * under rcu_read_lock() on 6.12: a write error not yet handled is left to
 * ->fault, which the core calls when nothing was mapped here.
 */
static vm_fault_t sc_vm_map_pages(struct vm_fault *vmf, pgoff_t start, pgoff_t end)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long lo = max(vmf->address & PMD_MASK, vma->vm_start);
	unsigned long hi = min((vmf->address & PMD_MASK) + PMD_SIZE, vma->vm_end);

	if (sc_vma_wb_new(vma))
		return 0;
	if (sc_vma_dead(vma))
		return VM_FAULT_SIGBUS;
	start = vma->vm_pgoff + ((lo - vma->vm_start) >> PAGE_SHIFT);
	end = vma->vm_pgoff + ((hi - vma->vm_start) >> PAGE_SHIFT) - 1;
	return filemap_map_pages(vmf, start, end);
}

static void sc_map_get(struct sc_segment *seg)
{
	struct sc_space *s = seg->space;

	get_file(s->anchor);
	spin_lock(&s->lock);
	sc_seg_pin_locked(s, seg);
	s->nr_maps++;
	spin_unlock(&s->lock);
}

/* The tenant charged for the mapping: its atom's (the VMA maps one atom). */
static u32 sc_vma_tenant(struct vm_area_struct *vma)
{
	struct sc_segment *seg = vma->vm_private_data;
	struct sc_space *s = seg->space;

	return scratch_seg_page_tenant(s, seg, vma->vm_pgoff -
				       (sc_seg_dev_pos(s, seg) >> PAGE_SHIFT));
}

/* A VMA copied by fork, split, or mremap: one more pin. */
static void sc_vm_open(struct vm_area_struct *vma)
{
	struct sc_segment *seg = vma->vm_private_data;

	scratch_tenant_pin_again(seg->space, sc_vma_tenant(vma), seg->idx);
	sc_map_get(seg);
}

/*
 * Once nr_maps drops, detach may free the space: read the anchor before.
 * Its final fput() is deferred to task work or a workqueue, so the module
 * reference it holds is dropped by core code after this function returned
 * (a module_put() here would let rmmod free the code we return through).
 */
static void sc_vm_close(struct vm_area_struct *vma)
{
	struct sc_segment *seg = vma->vm_private_data;
	struct sc_space *s = seg->space;
	struct file *anchor = s->anchor;

	scratch_tenant_unpin(s, sc_vma_tenant(vma), seg->idx, 0);
	spin_lock(&s->lock);
	sc_seg_unpin_locked(s, seg);
	s->nr_maps--;
	spin_unlock(&s->lock);
	fput(anchor);
}

static const struct vm_operations_struct sc_vm_ops = {
	.open = sc_vm_open,
	.close = sc_vm_close,
	.fault = sc_vm_fault,
	.map_pages = sc_vm_map_pages,
};

int scratch_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct sc_file *f = file->private_data;
	struct sc_space *s = f->space;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT, avail, pos;
	u64 len = vma->vm_end - vma->vm_start;
	struct sc_segment *seg;
	struct sc_region *r;
	struct sc_pin pin;
	int ret;

	BUILD_BUG_ON(PAGE_SIZE != SC_PAGE);
	/* The kernel strips VM_SHARED from read-only fds: test VM_MAYSHARE. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EACCES;
	ret = scratch_file_use(f);
	if (ret)
		return ret;
	/*
	 * Faults are never checked: a reloaded atom is hashed before it is
	 * mapped, and a fresh one when a page of the range is not cached.
	 */
	ret = scratch_atom_pin_read(s, f->tenant, off, len, &pin, 0);
	if (ret)
		return ret;
	seg = pin.seg;
	avail = pin.avail;
	ret = len > PAGE_ALIGN(avail) ? -EINVAL :
	      scratch_tenant_pin(s, f->tenant, seg->idx, 0);
	if (ret) {
		scratch_seg_unpin(s, seg);
		return ret;
	}
	r = sc_seg_region(s, seg);
	pos = sc_dev_pos(s, seg, off);

	/* See the top of this file. */
	vm_flags_clear(vma, VM_MAYWRITE | VM_SHARED);
	vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_pgoff = pos >> PAGE_SHIFT;
	vma_set_file(vma, r->ro_file);
	vma->vm_ops = &sc_vm_ops;
	vma->vm_private_data = seg;
	/* ->open is not called for the first VMA: the pin from the lookup is its. */
	get_file(s->anchor);
	spin_lock(&s->lock);
	s->nr_maps++;
	spin_unlock(&s->lock);
	return 0;
}
