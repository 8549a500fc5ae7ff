/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version shims, force-included into every file of the module by
 * Kbuild.  Driver code never tests a kernel version: it calls the newest API
 * and this header supplies it on older kernels.
 */
#ifndef SCRATCH_COMPAT_H
#define SCRATCH_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "scratch needs Linux 6.1 or later"
#endif

#include <linux/mm.h>

/*
 * 6.3 made vma->vm_flags read-only behind vm_flags_set()/vm_flags_clear().
 * Debian's 6.1 has not backported them (Kbuild probes mm.h).
 */
#ifndef SCRATCH_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * Async buffered reads (io_uring waits on the page instead of punting the
 * read to a worker) are advertised per file through FMODE_BUF_RASYNC up to
 * 6.10, and in file_operations.fop_flags (FOP_BUFFER_RASYNC) from 6.11.
 * Kbuild probes fs.h for fop_flags.
 */
#include <linux/fs.h>
#ifdef SCRATCH_HAVE_FOP_FLAGS
#define SCRATCH_FOP_ASYNC_READS		.fop_flags = FOP_BUFFER_RASYNC,
static inline void scratch_file_async_reads(struct file *file)
{
}
#else
#define SCRATCH_FOP_ASYNC_READS
static inline void scratch_file_async_reads(struct file *file)
{
	file->f_mode |= FMODE_BUF_RASYNC;
}
#endif

#endif /* SCRATCH_COMPAT_H */
