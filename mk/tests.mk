# SPDX-License-Identifier: GPL-2.0
# Test programs: the VM suite (tests/*.c, static, for the guest's /tests), native unit tests
# of kmod/core.c under ASan+UBSan (tests/unit/), the crash programs (tests/crash/) and the
# libFuzzer target (tests/fuzz/, clang).  tests/README.md says which kind goes where.
# Included by the Makefile; the library's own tests are in mk/lib.mk.

TESTS_SRC   := $(wildcard tests/*.c)
TESTS       := $(patsubst tests/%.c,$(B)/tests/%,$(TESTS_SRC))
UNIT_SRC    := $(wildcard tests/unit/*.c)
UNITS       := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC))
# Helpers shared by the test programs (tests/common/), compiled once and linked.
TEST_COMMON := $(patsubst %.c,$(B)/obj/%.o,$(wildcard tests/common/*.c))
# Their header, tests/common/scratch_test.h, for every test object: #include "scratch_test.h".
# (tests/lib/ objects get it from mk/lib.mk, whose pattern is the more specific one.)
$(B)/obj/tests/%.o $(B)/san/tests/%.o: XCPPFLAGS := -Itests/common $(HARNESS)
# Test objects need the kselftest harness, extracted from the kernel source first.
$(B)/obj/tests/%.o: tests/%.c | $(KSRC)/.done $(VERSION_H)
	$(COMPILE)
$(B)/san/tests/%.o: tests/%.c | $(KSRC)/.done $(VERSION_H)
	$(COMPILE_SAN)
# mk/lib.mk, read before this file, cannot name them in its rule: they join here.
$(LIBTESTS): $(TEST_COMMON)
TEST_LIBS   := -static -pthread -luring -lxxhash
# tests/crashtest.sh boots them; reloadload also runs in `make bench`.
CRASH_PROGS := $(B)/crash/bin/crashload $(B)/crash/bin/dmctl $(B)/crash/bin/lwreplay
FUZZERS     := $(if $(shell command -v $(CLANG)),$(B)/fuzz/ondisk $(B)/fuzz/ondisk-seeds)

tests: $(TESTS) $(CRASH_PROGS)
units: $(UNITS) $(FUZZERS)

$(B)/tests/%: $(B)/obj/tests/%.o $(TEST_COMMON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(TEST_LIBS)

$(B)/unit/%: $(B)/san/tests/unit/%.o $(B)/san/kmod/core.o $(B)/san/tests/common/sh.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lxxhash

$(B)/crash/bin/crashload: $(B)/obj/tests/crash/crashload.o $(TEST_COMMON)
$(B)/crash/bin/dmctl: $(B)/obj/tests/crash/dmctl.o
$(B)/crash/bin/lwreplay: $(B)/obj/tests/crash/lwreplay.o
$(CRASH_PROGS):
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(TEST_LIBS)

$(B)/bench/reloadload: $(B)/obj/tests/crash/reloadload.o $(TEST_COMMON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(TEST_LIBS)

# The on-disk decoders under libFuzzer (scripts/fuzz.sh runs it): UB must crash the target,
# not print and carry on.  The seed writer is the same source without libFuzzer's main.
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all $(WARN) $(CPPFLAGS) \
	$(DEPFLAGS)
$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<
$(B)/fuzz/seeds/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=address,undefined -DSCRATCH_FUZZ_SEEDS -c -o $@ $<

$(B)/fuzz/ondisk: $(B)/fuzz/obj/tests/fuzz/ondisk.o $(B)/fuzz/obj/kmod/core.o
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ -lxxhash
$(B)/fuzz/ondisk-seeds: $(B)/fuzz/seeds/tests/fuzz/ondisk.o $(B)/fuzz/seeds/kmod/core.o
	$(CLANG) -fsanitize=address,undefined -o $@ $^ -lxxhash
