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

#endif /* SCRATCH_COMPAT_H */
