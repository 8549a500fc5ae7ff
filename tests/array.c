// SPDX-License-Identifier: GPL-2.0
/*
 * Atom arrays: a part table plus page-aligned parts committed as one atom;
 * each part's id STATs to its own offset/length/xxh64 and reads (and maps)
 * alone; bad tables are EINVAL, a wrong table checksum EBADMSG.
 */
#include "kselftest_harness.h"
#include "scratch_test.h"

ST_SPACE_FIXTURE(arr, SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_ARRAY, 20,
		 { st_dev(0), 0, 64 * ST_MIB })

/* Arrays commit with this type; check_parts() expects it. */
#define ARR_TYPE	77

/* Every part: STAT fields, bytes by pread, and by mmap when supported. */
static void check_parts(struct __test_metadata *_metadata, int fd, struct st_array *A)
{
	bool mm = st_has(SCRATCH_F_MMAP);
	struct scratch_stat st;
	unsigned char *buf = malloc(2 * ST_MIB);
	__u32 i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, st_stat(fd, &A->id, &st));
	ASSERT_EQ(A->at, st.offset);
	ASSERT_EQ(A->stored_len, st.stored_len);
	ASSERT_EQ(A->stored_len, st.length);
	ASSERT_EQ(A->table_xxh, st.xxh64);
	ASSERT_EQ(A->n, st.nr_parts);
	ASSERT_EQ(ARR_TYPE, st.type);
	for (i = 0; i < A->n; i++) {
		struct scratch_id pid = st_part_id(&A->id, i);

		ASSERT_EQ(0, st_stat(fd, &pid, &st)) TH_LOG("part %u", i);
		ASSERT_EQ(A->at + A->off[i], st.offset) TH_LOG("part %u", i);
		ASSERT_EQ(A->len[i], st.stored_len) TH_LOG("part %u", i);
		ASSERT_EQ(A->len[i], st.length) TH_LOG("part %u", i);
		ASSERT_EQ(A->xxh[i], st.xxh64) TH_LOG("part %u", i);
		ASSERT_EQ(0U, st.nr_parts) TH_LOG("part %u", i);
		ASSERT_EQ(0, st_pread_full(fd, buf, A->len[i], st.offset));
		ASSERT_EQ(-1, st_check(buf, A->len[i], A->seed[i], 0)) TH_LOG("part %u", i);
		if (mm) {
			unsigned char *p = st_mmap(fd, A->len[i], PROT_READ, MAP_SHARED, st.offset);

			ASSERT_NE(MAP_FAILED, p) TH_LOG("map part %u: %s", i, strerror(errno));
			ASSERT_EQ(-1, st_check(p, A->len[i], A->seed[i], 0));
			ASSERT_EQ(0, st_munmap(p, A->len[i]));
		}
	}
	/* The table itself, at the array's offset. */
	ASSERT_EQ(0, st_pread_full(fd, buf, (size_t)A->n * sizeof(struct scratch_disk_part), A->at));
	ASSERT_EQ(0, memcmp(buf, A->buf, (size_t)A->n * sizeof(struct scratch_disk_part)));
	free(buf);
}

ST_TEST_F(arr, parts)
{
	static const __u64 lens[] = { 1, 4096, 5000, 100, 12288 };
	struct st_array *A = st_array_build(ARRAY_SIZE(lens), lens, 0);
	unsigned char buf[3 * ST_PAGE];
	struct scratch_stat st;
	struct scratch_id pid;
	__u32 last = ARRAY_SIZE(lens) - 1;
	__u8 res = 0;

	ASSERT_NE(NULL, A);
	ASSERT_EQ(0, st_array_put(self->sp.fd, A, A->table_xxh, ARR_TYPE));
	check_parts(_metadata, self->sp.fd, A);

	/* The last part ends the array: reads clip there. */
	ASSERT_EQ((ssize_t)A->len[last] - 100,
		  pread(self->sp.fd, buf, sizeof(buf), A->at + A->off[last] + 100));
	/* Part indexes past the table do not exist. */
	pid = st_part_id(&A->id, A->n);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &pid, &st));
	pid = st_part_id(&A->id, A->n + 5);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &pid, &st));
	pid = st_part_id(&A->id, 0xfffffffe);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &pid, &st));
	if (st_has(SCRATCH_F_PRESENT))
		ASSERT_EQ(1, st_present(self->sp.fd, &A->id, 1, &res));
	/* One array is one atom. */
	ASSERT_EQ(1ULL, st_counter(self->sp.id, "atoms"));
	st_array_free(A);
}

ST_TEST_F(arr, many_parts)
{
	enum { N = 200 };
	__u64 lens[N], rnd = 5;
	struct st_array *A;
	int i;

	for (i = 0; i < N; i++)
		lens[i] = 1 + st_rand(&rnd) % 2000;
	A = st_array_build(N, lens, 1000);
	ASSERT_NE(NULL, A);
	ASSERT_EQ(0, st_array_put(self->sp.fd, A, A->table_xxh, ARR_TYPE));
	check_parts(_metadata, self->sp.fd, A);
	st_array_free(A);
}

/* A single part, and parts of exactly a page: no padding anywhere. */
ST_TEST_F(arr, edge_layouts)
{
	static const __u64 one[] = { 70000 };
	static const __u64 pages[] = { 4096, 4096, 4096 };
	struct st_array *A = st_array_build(1, one, 2000), *B = st_array_build(3, pages, 3000);

	ASSERT_NE(NULL, A);
	ASSERT_NE(NULL, B);
	ASSERT_EQ(0, st_array_put(self->sp.fd, A, A->table_xxh, ARR_TYPE));
	ASSERT_EQ(0, st_array_put(self->sp.fd, B, B->table_xxh, ARR_TYPE));
	check_parts(_metadata, self->sp.fd, A);
	check_parts(_metadata, self->sp.fd, B);
	st_array_free(A);
	st_array_free(B);
}

ST_TEST_F(arr, bad_tables)
{
	static const __u64 lens[] = { 3000, 5000, 4096 };
	static const char *what[] = {
		"unaligned part", "part inside the table", "overlapping parts",
		"parts out of order", "part past stored_len", "reserved set",
	};
	struct scratch_stat st;
	unsigned int v;

	for (v = 0; v < ARRAY_SIZE(what); v++) {
		struct st_array *A = st_array_build(ARRAY_SIZE(lens), lens, 10 * v);
		struct scratch_disk_part *t;

		ASSERT_NE(NULL, A);
		t = st_array_table(A);
		switch (v) {
		case 0:
			t[1].off = htole64(A->off[1] + 1);
			break;
		case 1:
			t[0].off = 0;
			break;
		case 2:
			t[1].off = htole64(A->off[0]);
			break;
		case 3:
			t[1].off = htole64(A->off[2]);
			t[2].off = htole64(A->off[1]);
			t[1].len = htole64(A->len[2]);
			t[2].len = htole64(A->len[1]);
			break;
		case 4:
			t[2].len = htole64(A->len[2] + 1);
			break;
		case 5:
			t[1].reserved = htole64(1);
			break;
		}
		st_array_rehash(A);
		ASSERT_EQ(-EINVAL, st_array_put(self->sp.fd, A, A->table_xxh, ARR_TYPE))
			TH_LOG("%s", what[v]);
		ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &A->id, &st)) TH_LOG("%s", what[v]);
		st_abort(self->sp.fd, &A->id);
		st_array_free(A);
	}
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "atoms"));
}

ST_TEST_F(arr, wrong_checksum)
{
	static const __u64 lens[] = { 100, 200 };
	struct st_array *A = st_array_build(2, lens, 50);
	struct scratch_stat st;

	ASSERT_NE(NULL, A);
	ASSERT_EQ(-EBADMSG, st_array_put(self->sp.fd, A, A->table_xxh ^ 1, ARR_TYPE));
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &A->id, &st));
	st_abort(self->sp.fd, &A->id);
	/* The same bytes with the right checksum are fine. */
	ASSERT_EQ(0, st_array_put(self->sp.fd, A, A->table_xxh, ARR_TYPE));
	check_parts(_metadata, self->sp.fd, A);
	st_array_free(A);
}

/* stored_len smaller than the table, or too many parts: refused. */
ST_TEST_F(arr, impossible_sizes)
{
	unsigned char page[ST_PAGE] = { 0 };
	struct scratch_id id;
	__u64 off;
	int r;

	r = st_reserve(self->sp.fd, 100, 5, &id, &off);
	if (r == 0) {
		ASSERT_EQ(0, st_write(self->sp.fd, page, 100, off));
		r = st_commit(self->sp.fd, &id, 100, XXH64(page, 5 * 32, 0), 0, 0);
		st_abort(self->sp.fd, &id);
	}
	ASSERT_EQ(-EINVAL, r);
	ASSERT_EQ(-EINVAL, st_reserve(self->sp.fd, ST_MIB / 2, SCRATCH_MAX_PARTS + 1, &id, &off));
	ASSERT_EQ(0ULL, st_counter(self->sp.id, "atoms"));
}

/* An array comes back whole after detach and reattach. */
ST_TEST_F(arr, survives_reload)
{
	static const __u64 lens[] = { 10, 9000, 4096, 1 };
	struct st_region r = { st_dev(0), 0, 64 * ST_MIB };
	struct st_array *A = st_array_build(ARRAY_SIZE(lens), lens, 70);

	ST_REQUIRE(SCRATCH_F_RELOAD);
	ASSERT_NE(NULL, A);
	ASSERT_EQ(0, st_array_put(self->sp.fd, A, A->table_xxh, ARR_TYPE));
	ASSERT_EQ(0, st_sync(self->sp.fd));
	ASSERT_EQ(0, st_space_down(&self->sp));
	ASSERT_EQ(0, st_space_reload(&self->sp, &r, 1));
	check_parts(_metadata, self->sp.fd, A);
	st_array_free(A);
}

TEST_HARNESS_MAIN
