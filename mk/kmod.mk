# SPDX-License-Identifier: GPL-2.0
# The kernel module for each kernel (6.1, 6.12, PREEMPT_RT, the debug kernel), sparse,
# and the kernel source extracts (kselftest harness, checkpatch).  Included by the Makefile.

# Sources only: Kbuild generates kmod/*.mod.c, which must never reach the 6.12 tree.
# VERSION gives the module its MODULE_VERSION (kmod/Kbuild).
KMOD_SRC  := $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h)) kmod/Kbuild Kbuild VERSION
KWERROR   := $(if $(WERROR),KCFLAGS=-Werror)

module: kmod/scratch.ko
kmod/scratch.ko: $(KMOD_SRC) include/uapi/scratch.h
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 $(KWERROR) modules

# The other kernels build in shadow trees: Kbuild writes objects (and generated sources)
# beside the sources, so each gets copies; with symlinks its modpost output landed in kmod/
# and broke the 6.1 module.  shadow_build DIR KDIR
define shadow_build
	@mkdir -p $(1)/kmod $(1)/include/uapi
	@for f in $(KMOD_SRC) include/uapi/scratch.h; do cmp -s $$f $(1)/$$f || cp $$f $(1)/$$f; done
	$(MAKE) -C $(2) M=$(CURDIR)/$(1) W=1 $(KWERROR) modules
endef

module-6.12: $(SHADOW)/kmod/scratch.ko
$(SHADOW)/kmod/scratch.ko: $(KMOD_SRC) include/uapi/scratch.h
	$(call shadow_build,$(SHADOW),$(KDIR_612))

# Debian's 6.1 PREEMPT_RT kernel (linux-headers-rt-amd64).
module-rt: $(B)/krt/kmod/scratch.ko
$(B)/krt/kmod/scratch.ko: $(KMOD_SRC) include/uapi/scratch.h
	$(call shadow_build,$(B)/krt,$(KDIR_RT))

# The debug kernel (KASAN, lockdep, kmemleak, fault injection), built once and cached by
# scripts/debug-kernel.sh outside the tree.
debug-kernel:
	@scripts/debug-kernel.sh
module-debug: debug-kernel
	$(call shadow_build,$(B)/kdebug,$$(scripts/debug-kernel.sh --dir)/build)

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 W=1 modules

# ---- kernel source extracts (harness headers, checkpatch) -------------------
$(KSRC)/.done: /usr/src/linux-source-6.1.tar.xz
	@mkdir -p $(KSRC)
	tar -C $(KSRC) --strip-components=1 -xJf /usr/src/linux-source-6.1.tar.xz \
		--wildcards '*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' '*/scripts/checkpatch.pl' \
		'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	@touch $@

lint: $(KSRC)/.done
	scripts/lint.sh $(KSRC)/scripts/checkpatch.pl

