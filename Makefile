# SPDX-License-Identifier: GPL-2.0
# scratch: kernel module, library, tools and tests.  `make demo` and `make check`
# do everything on a fresh Debian 12 machine (as root: they install packages).
#
# One build for every binary, split by part:
#   mk/kmod.mk   the module for each kernel, sparse, checkpatch
#   mk/lib.mk    libscratch, its tests and examples, installation
#   mk/tools.mk  scratchctl and the benchmark programs
#   mk/tests.mk  VM test programs, native unit tests, crash and fuzz programs
#   mk/run.mk    check, vmtest, crashtest, fuzz, bench, demo
# Userspace objects go to build/obj (plain) and build/san (ASan+UBSan, native unit tests),
# each with its header dependencies (-MMD -MP).  WERROR=1 (CI) turns every warning into an error.

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
CLANG     ?= clang
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration \
	     $(if $(WERROR),-Werror)
# The version, once (VERSION): header macros, soname, .pc and dkms are made from it (mk/lib.mk).
VERSION   := $(shell cat VERSION)
VERSION_H := $(B)/include/scratch_version.h
CPPFLAGS  += -Iinclude -I$(B)/include -Ikmod -D_GNU_SOURCE
HARNESS   := -I$(KSRC)/tools/testing/selftests
DEPFLAGS  := -MMD -MP
SAN       := -fsanitize=address,undefined

.PHONY: all deps module module-6.12 module-rt module-debug debug-kernel tools tests units check \
	check-6.1 check-6.12 vmtest vm-host fuzz crashtest unit demo bench bench-module bench-python lint sparse clean
.DEFAULT_GOAL := all

all: module tools tests units

deps:
	@scripts/deps.sh

# ---- userspace objects ------------------------------------------------------
# XWARN and XCPPFLAGS are per-part additions (target-specific, set in mk/*.mk); only
# the tests need the kselftest harness (mk/tests.mk), so the library and the tools
# build without the kernel source.
# Canned recipes (used by mk/tests.mk too).
define COMPILE
@mkdir -p $(@D)
$(CC) $(CFLAGS) $(WARN) $(XWARN) $(CPPFLAGS) $(XCPPFLAGS) $(DEPFLAGS) -c -o $@ $<
endef
define COMPILE_SAN
@mkdir -p $(@D)
$(CC) $(CFLAGS) $(WARN) $(XWARN) $(CPPFLAGS) $(XCPPFLAGS) $(SAN) $(DEPFLAGS) -c -o $@ $<
endef

$(B)/obj/%.o: %.c | $(VERSION_H)
	$(COMPILE)
$(B)/san/%.o: %.c | $(VERSION_H)
	$(COMPILE_SAN)

# Objects reached through chained rules are kept: make would delete them as
# intermediate on a first build, and rebuild them all on the next.
.SECONDARY:

include mk/kmod.mk
include mk/lib.mk
include mk/tools.mk
include mk/tests.mk
include mk/run.mk
include mk/deb.mk

-include $(shell find $(B)/obj $(B)/san $(B)/ulib $(B)/fuzz/obj $(B)/fuzz/seeds -name '*.d' 2>/dev/null)
