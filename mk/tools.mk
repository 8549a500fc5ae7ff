# SPDX-License-Identifier: GPL-2.0
# scratchctl (tools/scratchctl/, on libscratch) and the benchmark programs that `make bench`
# puts in the guest's /bench.  Included by the Makefile.

TOOLS          := $(B)/scratchctl
SCRATCHCTL_SRC := $(wildcard tools/scratchctl/*.c)
# fsck parses with the module's own codecs (kmod/core.c).
SCRATCHCTL_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(SCRATCHCTL_SRC)) $(B)/obj/kmod/core.o

tools: $(TOOLS)
# Static, so that the guest's initramfs needs no libraries.
$(B)/scratchctl: $(SCRATCHCTL_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -static -o $@ $(SCRATCHCTL_OBJ) $(LIB_A) $(LIB_DEPS) -lblkid

# Linked to libscratch.so.1, as packages install it (debian/rules: make install
# SCRATCHCTL=build/scratchctl-shared).
$(B)/scratchctl-shared: $(SCRATCHCTL_OBJ) $(LIB_SO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SCRATCHCTL_OBJ) -L$(B)/lib -lscratch -lxxhash -lblkid

# make bench: the module's figures against fio, and the library's.
$(B)/bench/scratch-bench: $(B)/obj/tools/scratch-bench.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -pthread -o $@ $^ -luring -lxxhash

$(B)/bench/scratch-libbench: $(B)/obj/tools/scratch-libbench.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $^ $(LIB_DEPS)

$(B)/bench/scratch-shufflebench: $(B)/obj/tools/scratch-shufflebench.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -pthread -o $@ $^ $(LIB_DEPS) -lz

$(B)/bench/scratch-rambench: $(B)/obj/tools/scratch-rambench.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $^ -lxxhash

$(B)/bench/fio: /usr/bin/fio
	@mkdir -p $(@D)
	cp $< $@

# make bench's Python side: the C loops that python/bench/binding.py is divided by, linked to
# libscratch.so.1 as the binding loads it (the worker-host VM installs libscratch1).
$(B)/bench/scratch-bindbench: $(B)/obj/tools/scratch-bindbench.o $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(B)/lib -lscratch
