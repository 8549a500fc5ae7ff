# SPDX-License-Identifier: GPL-2.0
# scratch: kernel module, library, tools and tests.  `make demo` and `make check`
# do everything on a fresh Debian 12 machine (as root: they install packages).

KVER_61   ?= $(shell ls -d /lib/modules/6.1.*-amd64/build 2>/dev/null | sort -V | tail -n 1 | cut -d/ -f4)
KVER_612  ?= $(shell ls -d /lib/modules/6.12.*-amd64/build 2>/dev/null | sort -V | tail -n 1 | cut -d/ -f4)
KDIR      ?= /lib/modules/$(KVER_61)/build
KDIR_612  ?= /lib/modules/$(KVER_612)/build
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

.PHONY: all deps module module-6.12 tools tests units check check-6.1 check-6.12 fuzz crashtest \
	unit demo bench lint sparse clean
.DEFAULT_GOAL := all

all: module tools tests units

deps:
	@scripts/deps.sh

# ---- kernel module ----------------------------------------------------------
module: kmod/scratch.ko
kmod/scratch.ko: $(KMOD_SRC) include/uapi/scratch.h
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# 6.12 builds in a shadow tree: Kbuild writes objects (and generated sources)
# beside the sources, so it gets copies; with symlinks its modpost output
# landed in kmod/ and broke the 6.1 module.
module-6.12: $(SHADOW)/kmod/scratch.ko
$(SHADOW)/kmod/scratch.ko: $(KMOD_SRC) include/uapi/scratch.h
	@mkdir -p $(SHADOW)/kmod $(SHADOW)/include/uapi
	@for f in $(KMOD_SRC) include/uapi/scratch.h; do cmp -s $$f $(SHADOW)/$$f || cp $$f $(SHADOW)/$$f; done
	$(MAKE) -C $(KDIR_612) M=$(CURDIR)/$(SHADOW) W=1 modules

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 W=1 modules

# ---- kernel source extracts (harness headers, checkpatch) -------------------
$(KSRC)/.done:
	@mkdir -p $(KSRC)
	tar -C $(KSRC) --strip-components=1 -xJf $$(ls /usr/src/linux-source-6.1*.tar.xz | tail -n 1) \
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
	@$(MAKE) -s all module-6.12
	@tests/check.sh unit 6.1 6.12 crash

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

fuzz:
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)
