# SPDX-License-Identifier: GPL-2.0
# libscratch: the userspace library (ulib/), its tests, examples, and installation.
