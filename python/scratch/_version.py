# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# The package version: the project's VERSION (tests/test_native.py checks they agree).
__version__ = "1.2.0"
