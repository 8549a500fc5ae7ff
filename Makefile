# SPDX-License-Identifier: GPL-2.0
# scratch: kernel module, library, tools and tests.  `make demo` and `make check`
# do everything on a fresh Debian 12 machine (as root: they install packages).

kver_of    = $(shell ls -d /lib/modules/$(1)/build 2>/dev/null | grep $(2) -e '-rt-amd64/' | sort -V | tail -n 1 | cut -d/ -f4)
KVER_61   ?= $(call kver_of,6.1.*-amd64,-v)
KVER_612  ?= $(call kver_of,6.12.*-amd64,-v)
KVER_RT   ?= $(call kver_of,6.1.*-rt-amd64,)
KDIR      ?= /lib/modules/$(KVER_61)/build
KDIR_612  ?= /lib/modules/$(KVER_612)/build
KDIR_RT   ?= /lib/modules/$(KVER_RT)/build
B         := build
KSRC      := $(B)/ksrc
SHADOW    := $(B)/k6.12

CC        ?= gcc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration
CPPFLAGS  += -Iinclude -Ikmod -D_GNU_SOURCE
HARNESS   := -I$(KSRC)/tools/testing/selftests

# Sources only: Kbuild generates kmod/*.mod.c, which must never reach the 6.12 tree.
KMOD_SRC  := $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h)) kmod/Kbuild Kbuild
TESTS_SRC := $(wildcard tests/*.c)
TESTS     := $(patsubst tests/%.c,$(B)/tests/%,$(TESTS_SRC))
UNIT_SRC  := $(wildcard tests/unit/*.c)
UNITS     := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC))
TOOLS     := $(B)/scratchctl

.PHONY: all deps module module-6.12 module-rt module-debug debug-kernel tools tests units check check-6.1 check-6.12 vmtest fuzz crashtest \
	unit demo bench lint sparse clean
.DEFAULT_GOAL := all

all: module tools tests units

deps:
	@scripts/deps.sh

# ---- kernel module ----------------------------------------------------------
module: kmod/scratch.ko
kmod/scratch.ko: $(KMOD_SRC) include/uapi/scratch.h
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# The other kernels build in shadow trees: Kbuild writes objects (and generated sources)
# beside the sources, so each gets copies; with symlinks its modpost output landed in kmod/
# and broke the 6.1 module.  shadow_build DIR KDIR
define shadow_build
	@mkdir -p $(1)/kmod $(1)/include/uapi
	@for f in $(KMOD_SRC) include/uapi/scratch.h; do cmp -s $$f $(1)/$$f || cp $$f $(1)/$$f; done
	$(MAKE) -C $(2) M=$(CURDIR)/$(1) W=1 modules
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

# ---- userspace: the library, tools, tests, unit tests -------------------------
include mk/lib.mk

tools: $(TOOLS)
# scratchctl is a libscratch program; fsck parses with the module's own codecs (kmod/core.c).
$(B)/scratchctl: tools/scratchctl.c kmod/core.c kmod/core.h kmod/core_env.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -static -o $@ $< kmod/core.c $(LIB_A) $(LIB_DEPS)

tests: $(TESTS)
$(B)/tests/%: tests/%.c tests/scratch_test.h tests/crash/dm.h include/uapi/scratch.h $(KSRC)/.done
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) $(HARNESS) -static -pthread -o $@ $< -luring -lxxhash

units: $(UNITS)
$(B)/unit/%: tests/unit/%.c kmod/core.c kmod/core.h kmod/core_env.h include/uapi/scratch.h $(KSRC)/.done
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) $(HARNESS) -fsanitize=address,undefined -o $@ $< kmod/core.c -lxxhash

# ---- running ----------------------------------------------------------------
unit: units $(LIBUNITS) headers-check $(TOOLS)
	@tests/unit/run.sh $(UNITS) $(LIBUNITS)

check-6.1: deps
	@$(MAKE) -s all
	@tests/check.sh 6.1

check-6.12: deps
	@$(MAKE) -s all module-6.12
	@tests/check.sh 6.12

check: deps
	@$(MAKE) -s all module-6.12 module-rt module-debug
	@tests/check.sh unit 6.1 6.12 rt debug crash fault

# One VM test program alone (a substring or glob of its name):
# make vmtest T=verify [KERNEL=6.1|6.12|rt|debug]
VMTEST_KERNEL := $(or $(KERNEL),6.1)
vmtest: deps
	@test -n "$(T)" || { echo "vmtest: name a test program, e.g. make vmtest T=verify" >&2; exit 2; }
	@$(MAKE) -s all $(patsubst %,module-%,$(filter 6.12 rt debug,$(VMTEST_KERNEL)))
	@tests/vm/run.sh --kernel $(VMTEST_KERNEL) --drives 2 --drive-size 1G \
		$(if $(filter debug,$(VMTEST_KERNEL)),--mem 3G --test-timeout 1500) -- check $(T)

# Hundreds of power cuts (make check runs 25).
crashtest: deps
	@$(MAKE) -s all
	@tests/crashtest.sh $(or $(CUTS),200) --kernel 6.1

demo: deps
	@$(MAKE) -s all
	@tests/vm/run.sh --kernel 6.1 --drives 2 --drive-size 512M -- demo

# fio (with its libraries, added by mkinitramfs) and scratch-bench go to /bench.
$(B)/bench/fio: /usr/bin/fio
	@mkdir -p $(@D)
	cp $< $@
$(B)/bench/scratch-bench: tools/scratch-bench.c include/uapi/scratch.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -static -o $@ $< -luring -lxxhash

$(B)/bench/reloadload: tests/crash/reloadload.c tests/scratch_test.h include/uapi/scratch.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -static -pthread -o $@ $< -luring -lxxhash

bench: deps
	@$(MAKE) -s all $(B)/bench/fio $(B)/bench/scratch-bench $(B)/bench/scratch-libbench \
		$(B)/bench/reloadload
	@rm -rf $(B)/bench-img && mkdir -p $(B)/bench-img
	@truncate -s 4G $(B)/bench-img/nvme1.img && mkfs.ext4 -q -F $(B)/bench-img/nvme1.img
	@tests/vm/run.sh --kernel 6.1 --drives 2 --drive-size 4G --images $(B)/bench-img --mem 3G \
		--bench -- bench \
		| tee $(B)/bench.log
	@sed -n 's/^BENCH-JSON //p' $(B)/bench.log > $(B)/bench.json
	@echo "bench: ratios in $(B)/bench.json"

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(B)

# The on-disk parsers natively, then the syscall fuzzer in the VM (the debug kernel:
# KASAN and lockdep watch it), FUZZ_SECONDS each; FUZZ_SEED replays a seed.
fuzz: deps
	@$(MAKE) -s all module-debug
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)
	@tests/vm/run.sh --kernel debug --drives 2 --drive-size 1G --mem 3G \
		--test-timeout $$(( $(or $(FUZZ_SECONDS),60) + 300 )) \
		--timeout $$(( $(or $(FUZZ_SECONDS),60) * 3 + 600 )) \
		--append "SCRATCH_FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) $(if $(FUZZ_SEED),SCRATCH_FUZZ_SEED=$(FUZZ_SEED))" \
		-- check sysfuzz
