# SPDX-License-Identifier: GPL-2.0
# libscratch: the userspace library (ulib/), its tests, examples, and installation.
# Included by the top-level Makefile, which defines B, CC, CFLAGS, WARN, HARNESS and KSRC.

LIB_MAJOR   := $(word 1,$(subst ., ,$(VERSION)))
LIB_MINOR   := $(word 2,$(subst ., ,$(VERSION)))
LIB_PATCH   := $(word 3,$(subst ., ,$(VERSION)))
LIB_VERSION := $(VERSION)
PKG_VERSION := $(VERSION)
LIB_SRC     := $(wildcard ulib/*.c)
LIB_DEPS    := -luring -lzstd -lxxhash -pthread
LIB_CFLAGS  := -fPIC -fvisibility=hidden -Iinclude -I$(B)/include -Iulib -Ikmod -D_GNU_SOURCE
LIB_SO      := $(B)/lib/libscratch.so.$(LIB_VERSION)
LIB_A       := $(B)/lib/libscratch.a
LIB_OBJS    := $(patsubst ulib/%.c,$(B)/ulib/%.o,$(LIB_SRC))

# The harness compares its int constants with the API's unsigned fields.
LIBTEST_WARN := -Wno-sign-compare -Werror

# VM tests that use the library (static, for the guest's /tests), native unit tests, examples.
LIBTESTS_SRC := $(wildcard tests/lib/*.c)
LIBTESTS     := $(patsubst tests/lib/%.c,$(B)/tests/lib-%,$(LIBTESTS_SRC))
LIBUNIT_SRC  := $(wildcard tests/libunit/*.c)
LIBUNITS     := $(patsubst tests/libunit/%.c,$(B)/unit/lib-%,$(LIBUNIT_SRC))
EXAMPLES     := $(B)/examples/shuffle

PREFIX     ?= /usr/local
DESTDIR    ?=
LIBDIR     ?= $(PREFIX)/lib
INCDIR     ?= $(PREFIX)/include
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
PCDIR      ?= $(LIBDIR)/pkgconfig
# A worker host's files (deploy/): units, the udev rule, the group, loading at boot, the
# config (kept if present).
UNITDIR    ?= $(PREFIX)/lib/systemd/system
UDEVDIR    ?= $(PREFIX)/lib/udev/rules.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MODLOADDIR ?= $(PREFIX)/lib/modules-load.d
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITS_SYSTEMD := $(wildcard deploy/*.service deploy/*.timer)

.PHONY: lib libtests install uninstall dkms-install headers-check
all: lib libtests
tests: libtests
lib: $(LIB_SO) $(LIB_A) $(B)/lib/libscratch.pc
libtests: $(LIBTESTS) $(EXAMPLES)

# The header's version macros.  The map file's nodes are history (a released node never
# changes), so it is checked, not generated: VERSION's major.minor must have its node.
$(VERSION_H): VERSION mk/lib.mk ulib/libscratch.map
	@mkdir -p $(@D)
	@grep -q '^LIBSCRATCH_$(LIB_MAJOR).$(LIB_MINOR) {' ulib/libscratch.map || \
		{ echo "ulib/libscratch.map: no node LIBSCRATCH_$(LIB_MAJOR).$(LIB_MINOR) for VERSION $(VERSION)" >&2; exit 1; }
	@{ echo '/* Generated from VERSION by mk/lib.mk: do not edit. */'; \
	  echo '#ifndef LIBSCRATCH_VERSION_H'; echo '#define LIBSCRATCH_VERSION_H'; \
	  echo '#define LIBSCRATCH_VERSION_MAJOR $(LIB_MAJOR)'; \
	  echo '#define LIBSCRATCH_VERSION_MINOR $(LIB_MINOR)'; \
	  echo '#define LIBSCRATCH_VERSION_PATCH $(LIB_PATCH)'; \
	  echo '#define LIBSCRATCH_VERSION "$(VERSION)"'; \
	  echo '/* True when this header is major.minor or newer. */'; \
	  echo '#define LIBSCRATCH_VERSION_AT_LEAST(major, minor) \'; \
	  echo '	(LIBSCRATCH_VERSION_MAJOR > (major) || \'; \
	  echo '	 (LIBSCRATCH_VERSION_MAJOR == (major) && LIBSCRATCH_VERSION_MINOR >= (minor)))'; \
	  echo '#endif'; } > $@.tmp && mv $@.tmp $@

$(B)/ulib/%.o: ulib/%.c | $(VERSION_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CPPFLAGS) $(WARN) -Werror $(LIB_CFLAGS) $(DEPFLAGS) -c -o $@ $<

# -z defs: every symbol resolved at link time; the version script pins the ABI.
$(LIB_SO): $(LIB_OBJS) ulib/libscratch.map
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -o $@ $(LIB_OBJS) -Wl,-soname,libscratch.so.$(LIB_MAJOR) \
		-Wl,--version-script=ulib/libscratch.map -Wl,-z,defs $(LIB_DEPS)
	ln -sf libscratch.so.$(LIB_VERSION) $(B)/lib/libscratch.so.$(LIB_MAJOR)
	ln -sf libscratch.so.$(LIB_MAJOR) $(B)/lib/libscratch.so

$(LIB_A): $(LIB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

# The .pc names the install paths, so `make install` writes it anew for its PREFIX.
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	-e 's|@VERSION@|$(PKG_VERSION)|'
$(B)/lib/libscratch.pc: ulib/libscratch.pc.in mk/lib.mk
	@mkdir -p $(@D)
	$(PC_SED) $< > $@

# The library's VM tests use the shared test helpers too.
$(B)/obj/tests/lib/%.o: XWARN := $(LIBTEST_WARN)
$(B)/obj/tests/lib/%.o: XCPPFLAGS := -Itests/common $(HARNESS)
$(B)/tests/lib-%: $(B)/obj/tests/lib/%.o $(TEST_COMMON) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $(filter-out $(LIB_A),$^) $(LIB_A) $(LIB_DEPS)

# The suite runs the example through tests/lib/shuffle.c.
$(B)/examples/%: $(B)/obj/examples/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $^ $(LIB_DEPS)

# Unit tests link the library's objects under the sanitizers; no kernel needed.
LIB_SAN_OBJ := $(patsubst %.c,$(B)/san/%.o,$(LIB_SRC))
$(B)/san/ulib/%.o: XCPPFLAGS := -Iulib
$(B)/san/tests/libunit/%.o: XCPPFLAGS := -Iulib $(HARNESS)
$(B)/san/tests/libunit/%.o: XWARN := $(LIBTEST_WARN)
$(B)/unit/lib-%: $(B)/san/tests/libunit/%.o $(LIB_SAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LIB_DEPS)

# The public headers alone, as C90 and as C++ (part of `make unit`).
headers-check: $(VERSION_H)
	@mkdir -p $(B)/hdr
	@printf '#include <scratch.h>\n#if !LIBSCRATCH_VERSION_AT_LEAST(1, 1)\n#error version\n#endif\nint main(void) { return SCRATCH_ID_STRLEN != 33; }\n' \
		> $(B)/hdr/c90.c
	@cp $(B)/hdr/c90.c $(B)/hdr/cxx.cc
	$(CC) -std=c90 -pedantic-errors -Wall -Wextra -Werror -Iinclude -I$(B)/include -c -o /dev/null $(B)/hdr/c90.c
	$(CC) -std=c90 -pedantic-errors -Wall -Wextra -Werror -Iinclude -I$(B)/include -c -o /dev/null \
		-x c include/uapi/scratch.h
	g++ -std=c++98 -pedantic-errors -Wall -Wextra -Werror -Iinclude -I$(B)/include -c -o /dev/null $(B)/hdr/cxx.cc
	g++ -std=c++17 -Wall -Wextra -Werror -Iinclude -I$(B)/include -c -o /dev/null $(B)/hdr/cxx.cc

# ---- installation -------------------------------------------------------------
MAN3 := $(wildcard man/*.3)
MAN7 := $(wildcard man/*.7)
MAN8 := $(wildcard man/*.8)

# SCRATCHCTL: which build of the tool (static by default; packages take the shared one).
SCRATCHCTL ?= $(B)/scratchctl
install: lib $(SCRATCHCTL) $(VERSION_H)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(INCDIR)/scratch/uapi \
		$(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libscratch.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/libscratch.so.$(LIB_MAJOR)
	ln -sf libscratch.so.$(LIB_MAJOR) $(DESTDIR)$(LIBDIR)/libscratch.so
	$(PC_SED) ulib/libscratch.pc.in > $(DESTDIR)$(PCDIR)/libscratch.pc
	install -m 644 include/scratch.h $(VERSION_H) $(DESTDIR)$(INCDIR)/scratch/
	install -m 644 include/uapi/scratch.h $(DESTDIR)$(INCDIR)/scratch/uapi/
	install -m 755 $(SCRATCHCTL) $(DESTDIR)$(SBINDIR)/scratchctl
	$(if $(MAN3),install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/)
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(MODLOADDIR) $(DESTDIR)$(SYSCONFDIR)/scratch
	install -m 644 $(UNITS_SYSTEMD) $(DESTDIR)$(UNITDIR)/
	install -m 644 deploy/60-scratch.rules $(DESTDIR)$(UDEVDIR)/
	install -m 644 deploy/scratch.sysusers $(DESTDIR)$(SYSUSERSDIR)/scratch.conf
	install -m 644 deploy/scratch.modules-load $(DESTDIR)$(MODLOADDIR)/scratch.conf
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 deploy/scratchctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/scratchctl
	[ -e $(DESTDIR)$(SYSCONFDIR)/scratch/spaces.conf ] || \
		install -m 644 deploy/spaces.conf $(DESTDIR)$(SYSCONFDIR)/scratch/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libscratch.* $(DESTDIR)$(PCDIR)/libscratch.pc
	rm -rf $(DESTDIR)$(INCDIR)/scratch
	rm -f $(DESTDIR)$(SBINDIR)/scratchctl
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS_SYSTEMD)))
	rm -f $(DESTDIR)$(UDEVDIR)/60-scratch.rules $(DESTDIR)$(SYSUSERSDIR)/scratch.conf \
		$(DESTDIR)$(MODLOADDIR)/scratch.conf $(DESTDIR)$(BASHCOMPDIR)/scratchctl

# The module's sources under /usr/src, for dkms to rebuild on every kernel upgrade.
DKMS_DIR := $(DESTDIR)/usr/src/scratch-$(PKG_VERSION)
dkms-install:
	install -d $(DKMS_DIR)/kmod $(DKMS_DIR)/include/uapi
	install -m 644 Kbuild VERSION $(DKMS_DIR)/
	install -m 644 $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h)) kmod/Kbuild $(DKMS_DIR)/kmod/
	install -m 644 include/uapi/scratch.h $(DKMS_DIR)/include/uapi/
	sed 's/@VERSION@/$(PKG_VERSION)/' dkms.conf > $(DKMS_DIR)/dkms.conf
