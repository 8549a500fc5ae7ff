# SPDX-License-Identifier: GPL-2.0
# Debian packages (debian/): scratch-dkms, libscratch1, libscratch-dev, scratch-tools.
# `make deb` builds them from a copy of the sources in build/deb/ (dpkg-buildpackage cleans
# the tree it runs in) and runs lintian on the result.  Included by the Makefile.

DEB_DIR := $(B)/deb
DEB_SRC := $(DEB_DIR)/scratch-$(VERSION)

.PHONY: deb
deb: deps
	@grep -q '^scratch ($(VERSION))' debian/changelog || \
		{ echo "deb: debian/changelog's newest entry is not VERSION $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	git ls-files -co --exclude-standard | grep -v '^build/' | tar -cf - -T - | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning $(DEB_DIR)/*.changes
	@ls -1 $(DEB_DIR)/*.deb
