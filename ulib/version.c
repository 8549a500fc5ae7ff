// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The library's version at run time, from the same VERSION file as the header's
 * macros, the soname and the .pc: a program compares them to learn which library
 * it actually runs with.
 */
#include "lib.h"

__scratch_export
const char *scratch_version(void)
{
	return LIBSCRATCH_VERSION;
}

__scratch_export
int scratch_version_major(void)
{
	return LIBSCRATCH_VERSION_MAJOR;
}

__scratch_export
int scratch_version_minor(void)
{
	return LIBSCRATCH_VERSION_MINOR;
}
