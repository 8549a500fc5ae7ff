// SPDX-License-Identifier: GPL-2.0
/*
 * Shell commands from tests, their output captured: used by the VM tests and by
 * the native unit tests (tests/unit/fsck.c runs scratchctl), so it depends on
 * nothing but libc.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "sh.h"

/* Run a shell command; its exit status, its stdout (up to @cap bytes) in @out; logged as TAP. */
int st_sh(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[1024];
	size_t n = 0;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	while (n + 1 < cap && fgets(out + n, (int)(cap - n), f))
		n += strlen(out + n);
	out[n] = 0;
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	fprintf(stderr, "# $ %s -> %d\n", cmd, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
