// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only, zero-copy mappings of atoms: the VMA is pointed at the backing
 * device's read-only file and its page cache serves the faults.  Each VMA
 * pins its segment (eviction skips it) and holds a module reference, because
 * our vm_ops sit behind a file that is not ours.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include "scratch.h"

static bool sc_vma_dead(struct vm_area_struct *vma)
{
	struct sc_segment *seg = vma->vm_private_data;
	u8 state = READ_ONCE(seg->state);

	/* Cannot happen while pinned; if it does, SIGBUS beats foreign bytes. */
	return WARN_ON_ONCE(state != SC_SEG_OPEN && state != SC_SEG_SEALED);
}

static vm_fault_t sc_vm_fault(struct vm_fault *vmf)
{
	if (sc_vma_dead(vmf->vma))
		return VM_FAULT_SIGBUS;
	return filemap_fault(vmf);
}

/*
 * Fault-around over the whole page table the fault is in (up to 2 MiB),
 * clipped to the VMA, instead of fault_around_bytes (64 KiB): atoms are
 * read whole, and this maps only pages already cached, without I/O.  The
 * core only requires the range to stay inside vmf->pmd's table.
 */
static vm_fault_t sc_vm_map_pages(struct vm_fault *vmf, pgoff_t start, pgoff_t end)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long lo = max(vmf->address & PMD_MASK, vma->vm_start);
	unsigned long hi = min((vmf->address & PMD_MASK) + PMD_SIZE, vma->vm_end);

	if (sc_vma_dead(vma))
		return VM_FAULT_SIGBUS;
	start = vma->vm_pgoff + ((lo - vma->vm_start) >> PAGE_SHIFT);
	end = vma->vm_pgoff + ((hi - vma->vm_start) >> PAGE_SHIFT) - 1;
	return filemap_map_pages(vmf, start, end);
}

static void sc_map_get(struct sc_segment *seg)
{
	struct sc_space *s = seg->space;

	__module_get(THIS_MODULE);
	spin_lock(&s->lock);
	seg->pins++;
	s->nr_maps++;
	spin_unlock(&s->lock);
}

/* A VMA copied by fork, split, or mremap: one more pin. */
static void sc_vm_open(struct vm_area_struct *vma)
{
	sc_map_get(vma->vm_private_data);
}

static void sc_vm_close(struct vm_area_struct *vma)
{
	struct sc_segment *seg = vma->vm_private_data;
	struct sc_space *s = seg->space;

	spin_lock(&s->lock);
	seg->pins--;
	s->nr_maps--;
	spin_unlock(&s->lock);
	module_put(THIS_MODULE);
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
	scratch_file_bind(f);
	ret = scratch_atom_pin(s, f->tenant, off, &pin);
	if (ret)
		return ret;
	seg = pin.seg;
	avail = pin.avail;
	/* Faults are never checked: a reloaded atom is hashed before it is mapped. */
	ret = len > PAGE_ALIGN(avail) ? -EINVAL : scratch_pin_verify(s, &pin, 0);
	if (ret) {
		scratch_seg_unpin(s, seg);
		return ret;
	}
	r = sc_seg_region(s, seg);
	pos = sc_seg_dev_pos(s, seg) + (off & ((1ULL << s->geom.seg_shift) - 1));

	/* No write ever (mprotect, MADV_REMOVE), no growth into the neighbour. */
	vm_flags_clear(vma, VM_MAYWRITE);
	vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_pgoff = pos >> PAGE_SHIFT;
	vma_set_file(vma, r->ro_file);
	vma->vm_ops = &sc_vm_ops;
	vma->vm_private_data = seg;
	/* ->open is not called for the first VMA: the pin from the lookup is its. */
	__module_get(THIS_MODULE);
	spin_lock(&s->lock);
	s->nr_maps++;
	spin_unlock(&s->lock);
	return 0;
}
