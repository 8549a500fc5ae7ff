// SPDX-License-Identifier: GPL-2.0
/*
 * What every command shares: the one-line error report (errno words chosen
 * by what failed), number and space-name parsing, human and JSON output, and
 * opening the control device or a space through libscratch with a report.
 */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scratchctl.h"

/* ---- errors --------------------------------------------------------------------- */

static const char *errname(int err)
{
	static char buf[32];
	const char *n = strerrorname_np(err);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static const char *errwords(enum ctx ctx, int err)
{
	switch (ctx) {
	case CTX_CONTROL:
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			return "no such device (is scratch.ko loaded?)";
		if (err == EACCES || err == EPERM)
			return "permission denied (need root)";
		break;
	case CTX_SPACE:
		if ((err == ENOENT || err == ENXIO) && access("/sys/module/scratch", F_OK))
			return "no such space: scratch.ko is not loaded";
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			return "no such space";
		if (err == EACCES)
			return "permission denied (need root)";
		break;
	case CTX_ATTACH:
		switch (err) {
		case ENOENT:	return "no such device";
		case EBUSY:	return "device is in use (mounted or attached)";
		case EPERM:	return "operation not permitted (need root)";
		case EINVAL:	return "invalid request (offset must be 1 MiB aligned, segment size 1 MiB .. 16 GiB)";
		}
		break;
	case CTX_DETACH:
		switch (err) {
		case EBUSY:	return "space is in use (open or mapped); close its users first";
		case ENODEV:
		case ENOENT:	return "no such space";
		case EPERM:	return "operation not permitted (need root)";
		}
		break;
	case CTX_ATOM:
		switch (err) {
		case ENOENT:	return "atom is missing (evicted, never written, or another tenant's)";
		case EBUSY:	return "writes to the reservation are still in flight";
		case EINVAL:	return "invalid request (misaligned or out-of-range write, or unwritten pages)";
		case EBADMSG:	return "atom is damaged: its bytes fail their checksum";
		}
		break;
	case CTX_TENANT:
		if (err == EPERM)
			return "tenant can only be set once, before any I/O";
		break;
	case CTX_FILE:
		return strerror(err);
	case CTX_ANY:
		break;
	}

	switch (err) {
	case ENOENT:	return "not found";
	case ENOTBLK:	return "not a block device";
	case EROFS:	return "device is read-only";
	case EBUSY:	return "busy";
	case E2BIG:	return "region is too small (it must hold 1 MiB of headers and two segments)";
	case EMEDIUMTYPE: return "not formatted for scratch (use --format)";
	case EUCLEAN:	return "regions hold a scratch format that does not match (foreign space, wrong region order, or damaged superblocks)";
	case EPERM:	return "operation not permitted (need root)";
	case EACCES:	return "permission denied";
	case ENOSPC:	return "no room: every segment is pinned";
	case EFBIG:	return "atom is larger than a segment's payload area";
	case EBADMSG:	return "checksum mismatch";
	case ENODEV:	return "no such space";
	case EINVAL:	return "invalid request";
	case EFAULT:	return "bad address";
	case ENOTTY:
	case EOPNOTSUPP: return "not supported by this scratch module";
	case EAGAIN:	return "operation would block";
	case EIO:	return "the drive failed a read";
	case EINTR:	return "interrupted";
	}
	return strerror(err);
}

void report(enum ctx ctx, int err, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (err < 0)
		err = -err;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": %s: %s (%s)\n", what, errwords(ctx, err), errname(err));
}

void vcomplain(const char *fmt, va_list ap)
{
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void complain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcomplain(fmt, ap);
	va_end(ap);
}

/* ---- parsing -------------------------------------------------------------------- */

/* "64M", "1G", "4096", "16KiB": bytes, binary units.  False on junk or overflow. */
bool parse_size(const char *s, ull *out)
{
	static const char units[] = "KMGTPE";
	const char *u;
	char *end;
	ull v;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u || !*u)
			return false;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
		if (*end)
			return false;
	}
	if (shift && v > (~0ULL >> shift))
		return false;
	*out = v << shift;
	return true;
}

bool parse_u32(const char *s, uint32_t *out, uint32_t max)
{
	char *end;
	ull v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool parse_space(const char *s, uint32_t *id)
{
	char real[PATH_MAX];

	/* A link udev made (/dev/scratch/NAME, /dev/scratch/by-uuid/UUID) names its node. */
	if (!strncmp(s, "/dev/scratch/", 13) && realpath(s, real))
		return strncmp(real, "/dev/scratch/", 13) && parse_space(real, id);
	if (!strncmp(s, "/dev/", 5))
		s += 5;
	if (!strncmp(s, "scratch", 7))
		s += 7;
	return parse_u32(s, id, 0x7fffffff);
}

const char *space_arg_path(const char *arg, char *buf, size_t len)
{
	uint32_t id;

	if (!parse_space(arg, &id))
		return NULL;
	snprintf(buf, len, "/dev/scratch%u", id);
	return buf;
}

/* ---- output --------------------------------------------------------------------- */

const char *human(ull v, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	int i = 0;

	if (v < 1024) {
		snprintf(buf, len, "%llu B", v);
		return buf;
	}
	while (d >= 1024 && i < 6) {
		d /= 1024;
		i++;
	}
	if (d == (double)(ull)d)
		snprintf(buf, len, "%llu %s", (ull)d, unit[i]);
	else
		snprintf(buf, len, "%.1f %s", d, unit[i]);
	return buf;
}

const char *human_us(ull us, char *buf, size_t len)
{
	if (us < 1000)
		snprintf(buf, len, "%llu us", us);
	else if (us < 1000000)
		snprintf(buf, len, "%.1f ms", (double)us / 1e3);
	else
		snprintf(buf, len, "%.2f s", (double)us / 1e6);
	return buf;
}

/* A JSON string: the characters JSON requires escaped, escaped. */
void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- opening ---------------------------------------------------------------------- */

struct scratch_ctl *ctl_open(void)
{
	struct scratch_ctl *c;
	int ret = scratch_ctl_open(NULL, 0, &c);

	if (ret < 0) {
		report(CTX_CONTROL, ret, "%s", CONTROL_PATH);
		return NULL;
	}
	return c;
}

struct scratch *lib_open(const char *cmd, const char *path, uint32_t tenant)
{
	struct scratch *s;
	int ret = scratch_space_open(path, tenant, 0, 0, &s);

	if (ret < 0) {
		report(ret == -EPERM || ret == -EOPNOTSUPP ? CTX_TENANT : CTX_SPACE, ret,
		       "%s: %s (tenant %u)", cmd, path, tenant);
		return NULL;
	}
	return s;
}

/* ---- time and progress ------------------------------------------------------------ */

double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Progress goes to a person on a real terminal only. */
bool want_progress(void)
{
	const char *term = getenv("TERM");

	return isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
}
