// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Opening a space and the calls that are one ioctl each: features, info,
 * sync, stat, presence; and the id helpers.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lib.h"
#include "syscall.h"

/* GET_FEATURES on a space's node or the control device: 0 or -errno. */
int __scratch_get_features(int fd, struct scratch_features *k)
{
	int ret;

	*k = (struct scratch_features){ .size = sizeof(*k) };
	ret = __sys_ioctl(fd, SCRATCH_IOC_GET_FEATURES, k);
	return ret < 0 ? ret : 0;
}

__scratch_export
int scratch_space_open(const char *path, uint32_t tenant, unsigned int flags,
		       unsigned int queue_depth, struct scratch **sp)
{
	struct scratch_features feat;
	struct scratch_tenant tn = { .size = sizeof(tn), .tenant = tenant };
	struct scratch *s;
	int ret;

	if (!path || !sp || __scratch_check_flags(flags, SCRATCH_OPEN_ALL) ||
	    queue_depth > SCRATCH_MAX_QD)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->tenant = tenant;
	s->flags = flags;
	s->qd = queue_depth ? queue_depth : SCRATCH_DEFAULT_QD;
	ret = __sys_open(path, O_RDWR);
	if (ret < 0)
		goto err_free;
	s->fd = ret;
	/* A character device that does not answer GET_FEATURES is not a space. */
	ret = __scratch_get_features(s->fd, &feat);
	if (ret == -ENOTTY || ret == -EINVAL)
		ret = -ENODEV;
	if (ret < 0)
		goto err_close;
	if (feat.abi_version != SCRATCH_ABI_VERSION || feat.page_size != SC_PAGE) {
		ret = -EPROTO;
		goto err_close;
	}
	s->features = feat.features;
	if (tenant) {
		ret = (s->features & SCRATCH_F_TENANT) ?
			__sys_ioctl(s->fd, SCRATCH_IOC_SET_TENANT, &tn) : -EOPNOTSUPP;
		if (ret < 0)
			goto err_close;
	}
	ret = pthread_mutex_init(&s->pool_lock, NULL);
	if (ret) {
		ret = -ret;
		goto err_close;
	}
	*sp = s;
	return 0;

err_close:
	__sys_close(s->fd);
err_free:
	free(s);
	return ret;
}

__scratch_export
void scratch_space_close(struct scratch *s)
{
	if (!s)
		return;
	__scratch_pool_drain(s);
	pthread_mutex_destroy(&s->pool_lock);
	/* Mappings hold their own reference to the file: they stay valid. */
	__sys_close(s->fd);
	free(s);
}

__scratch_export
int scratch_space_fd(const struct scratch *s)
{
	return s ? s->fd : -EINVAL;
}

__scratch_export
int scratch_space_features(const struct scratch *s, uint64_t *features)
{
	if (!s || !features)
		return -EINVAL;
	*features = s->features;
	return 0;
}

__asm__(".symver __scratch_space_info_1_1, scratch_space_info@@LIBSCRATCH_1.1");
__scratch_export
int __scratch_space_info_1_1(struct scratch *s, struct scratch_info *info, size_t size)
{
	struct scratch_info k = { .size = sizeof(k) };
	int ret;

	if (!s || !info || size < SC_INFO_SIZE_1_0)
		return -EINVAL;
	ret = __sys_ioctl(s->fd, SCRATCH_IOC_INFO, &k);
	if (ret < 0)
		return ret;
	__scratch_copy_out(info, size, &k, sizeof(k));
	info->size = (uint32_t)(size < sizeof(k) ? size : sizeof(k));
	return 0;
}

/* 1.0's form, without the size: programs built then keep resolving to it. */
__asm__(".symver __scratch_space_info_1_0, scratch_space_info@LIBSCRATCH_1.0");
__scratch_export
int __scratch_space_info_1_0(struct scratch *s, struct scratch_info *info)
{
	return __scratch_space_info_1_1(s, info, SC_INFO_SIZE_1_0);
}

__scratch_export
int scratch_space_sync(struct scratch *s)
{
	int ret;

	if (!s)
		return -EINVAL;
	ret = __sys_ioctl(s->fd, SCRATCH_IOC_SYNC, NULL);
	return ret < 0 ? ret : 0;
}

int __scratch_stat(struct scratch *s, struct scratch_id id, struct scratch_stat *st)
{
	int ret;

	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->id = id;
	ret = __sys_ioctl(s->fd, SCRATCH_IOC_STAT, st);
	return ret < 0 ? ret : 0;
}

/*
 * Does the library hash what it reads?  Always, unless the module verifies
 * atoms itself (SCRATCH_F_VERIFY: atoms written since attach are trusted,
 * reloaded ones are checked by the module on their first read or mapping)
 * and nobody asked for more.
 */
bool __scratch_verify(const struct scratch *s, unsigned int flags)
{
	return !(s->features & SCRATCH_F_VERIFY) || (s->flags & SCRATCH_OPEN_VERIFY) ||
	       (flags & SCRATCH_GET_VERIFY);
}

/*
 * A read of @id failed with @err, or its bytes did not match: if the id is
 * gone by now (evicted, its segment reused under the read), the atom is
 * missing; otherwise @err stands.  With @err 0 this confirms unhashed bytes,
 * and a failed check is the call's error.
 */
int __scratch_gone(struct scratch *s, struct scratch_id id, int err)
{
	uint8_t here = 1;
	struct scratch_present pr = {
		.size = sizeof(pr), .count = 1,
		.ids_addr = (uintptr_t)&id, .results_addr = (uintptr_t)&here,
	};
	int ret;

	if (err == -ENOENT)
		return err;
	ret = __sys_ioctl(s->fd, SCRATCH_IOC_PRESENT, &pr);
	if (ret < 0)
		return err ? err : ret;	/* unconfirmed bytes are not handed out */
	return here ? err : -ENOENT;
}

static int sc_atom_stat(struct scratch *s, struct scratch_id id, struct scratch_atom_info *info)
{
	struct scratch_stat st;
	uint8_t head[SC_ZSTD_HEADER_MAX];
	unsigned long long n;
	ssize_t got;
	int ret;

	if (!s || !info)
		return -EINVAL;
	ret = __scratch_stat(s, id, &st);
	if (ret)
		return ret;
	*info = (struct scratch_atom_info){
		.length = st.length, .stored_len = st.stored_len, .xxh64 = st.xxh64,
		.nr_parts = st.nr_parts, .type = st.type, .atom_flags = st.atom_flags,
		.status = st.status,
	};
	/* A compressed part's logical length is in its frame header only. */
	if (__scratch_id_is_part(id) && (st.atom_flags & SCRATCH_ATOM_ZSTD)) {
		got = __sys_pread(s->fd, head, st.stored_len < sizeof(head) ?
				  (size_t)st.stored_len : sizeof(head), (off_t)st.offset);
		if (got < 0)
			return __scratch_gone(s, id, (int)got);
		n = ZSTD_getFrameContentSize(head, (size_t)got);
		if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN)
			return __scratch_gone(s, id, -EBADMSG);
		info->length = n;
	}
	return 0;
}

__asm__(".symver __scratch_atom_stat_1_1, scratch_atom_stat@@LIBSCRATCH_1.1");
__scratch_export
int __scratch_atom_stat_1_1(struct scratch *s, struct scratch_id id,
			    struct scratch_atom_info *info, size_t size)
{
	struct scratch_atom_info k;
	int ret;

	if (!s || !info || size < SC_ATOM_INFO_SIZE_1_0)
		return -EINVAL;
	ret = sc_atom_stat(s, id, &k);
	if (ret)
		return ret;
	__scratch_copy_out(info, size, &k, sizeof(k));
	return 0;
}

__asm__(".symver __scratch_atom_stat_1_0, scratch_atom_stat@LIBSCRATCH_1.0");
__scratch_export
int __scratch_atom_stat_1_0(struct scratch *s, struct scratch_id id,
			    struct scratch_atom_info *info)
{
	return __scratch_atom_stat_1_1(s, id, info, SC_ATOM_INFO_SIZE_1_0);
}

__scratch_export
int scratch_atom_present(struct scratch *s, const struct scratch_id *ids, unsigned int n,
			 uint8_t *present)
{
	unsigned int done = 0, count = 0;
	int ret;

	/* The count comes back as an int. */
	if (!s || (n && (!ids || !present)) || n > INT_MAX)
		return -EINVAL;
	while (done < n) {
		unsigned int k = n - done < SCRATCH_PRESENT_MAX ? n - done : SCRATCH_PRESENT_MAX;
		struct scratch_present pr = {
			.size = sizeof(pr), .count = k,
			.ids_addr = (uintptr_t)(ids + done),
			.results_addr = (uintptr_t)(present + done),
		};

		ret = __sys_ioctl(s->fd, SCRATCH_IOC_PRESENT, &pr);
		if (ret < 0)
			return ret;
		count += (unsigned int)ret;
		done += k;
	}
	return (int)count;
}

/* The module hashes the atom now (SCRATCH_VERIFY_RECHECK: even if it did before). */
__scratch_export
int scratch_atom_verify(struct scratch *s, struct scratch_id id, unsigned int flags)
{
	struct scratch_verify v = { .size = sizeof(v), .flags = flags, .id = id };
	int ret;

	if (!s || __scratch_check_flags(flags, SCRATCH_VERIFY_RECHECK))
		return -EINVAL;
	if (!(s->features & SCRATCH_F_VERIFY))
		return -EOPNOTSUPP;
	ret = __sys_ioctl(s->fd, SCRATCH_IOC_VERIFY, &v);
	return ret < 0 ? ret : 0;
}
