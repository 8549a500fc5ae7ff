/* SPDX-License-Identifier: GPL-2.0 */
/* tests/common/sh.c: a shell command's exit status and output, for any test program. */
#ifndef SCRATCH_TEST_SH_H
#define SCRATCH_TEST_SH_H

#include <stddef.h>

/* Run a shell command; its exit status, its stdout (up to @cap bytes) in @out; logged as TAP. */
int st_sh(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
