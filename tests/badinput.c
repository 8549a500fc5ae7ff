// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed and refused requests get their documented errno (size fields,
 * flags, reserved fields, addresses, attach errors, privileges, reservation
 * and write rules, missing ids), and none of them disturbs the atoms already
 * stored.
 */
#include <stddef.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "scratch_test.h"

#define NREFS 3

/*
 * The feature bits this test knows (the module keeps its own mask): a bit
 * the module reports and nobody named here is a feature without a test.
 */
#define ST_KNOWN_FEATURES						\
	(SCRATCH_F_WRITE | SCRATCH_F_READ | SCRATCH_F_DIRECT |		\
	 SCRATCH_F_MMAP | SCRATCH_F_TENANT | SCRATCH_F_ARRAY |		\
	 SCRATCH_F_PRESENT | SCRATCH_F_MULTI_REGION | SCRATCH_F_RELOAD |	\
	 SCRATCH_F_VERIFY | SCRATCH_F_HORIZON | SCRATCH_F_EVICTIONS)

FIXTURE(bad) {
	struct st_space sp;
	struct st_atom ref[NREFS];	/* stored before every test, checked after */
	void *hole;			/* a PROT_NONE page: any access faults */
};

FIXTURE_SETUP(bad)
{
	static const __u64 lens[NREFS] = { 1, 5000, 200 * 1024 };
	int i, r = 0;

	self->hole = MAP_FAILED;
	ST_SETUP_SPACE(&self->sp, SCRATCH_F_WRITE | SCRATCH_F_READ, 20,
		       { st_dev(0), 0, 64 * ST_MIB });
	for (i = 0; i < NREFS && !r; i++)
		r = st_put_n(self->sp.fd, &self->ref[i], 1000 + i, lens[i]);
	self->hole = mmap(NULL, ST_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r || self->hole == MAP_FAILED)
		st_cleanup();	/* no teardown after a failed setup */
	ASSERT_EQ(0, r);
	ASSERT_NE(MAP_FAILED, self->hole);
}

FIXTURE_TEARDOWN(bad)
{
	/* A test that failed half-way must not leave the drive read-only. */
	st_dev_set_ro(st_dev(1), 0);
	ST_TEARDOWN();
}

static int refs_intact(FIXTURE_DATA(bad) *self)
{
	int i, r;

	for (i = 0; i < NREFS; i++) {
		r = st_verify(self->sp.fd, &self->ref[i]);
		if (r)
			return r;
	}
	return 0;
}

#define ASSERT_INTACT() ASSERT_EQ(0, refs_intact(self)) TH_LOG("stored atoms damaged")

static struct scratch_id random_id(__u64 *rnd)
{
	struct scratch_id id = { st_rand(rnd), st_rand(rnd) };

	return id;
}

/* A region spec for the free drive. */
static struct scratch_region_spec spec1(__u64 off, __u64 len)
{
	struct scratch_region_spec s;
	struct st_region r = { st_dev(1), off, len };

	st_spec(&s, &r);
	return s;
}

static struct scratch_attach attach1(struct scratch_region_spec *spec, __u32 n)
{
	struct scratch_attach a = {
		.size = sizeof(a), .flags = SCRATCH_ATTACH_FORMAT, .nr_regions = n,
		.seg_shift = 20, .regions_addr = (uintptr_t)spec,
	};
	return a;
}

/* One ioctl; an ATTACH that wrongly succeeds is still detached by teardown. */
static int call(int fd, unsigned long cmd, void *buf)
{
	int r = st_ioctl(fd, cmd, buf);

	if (r == 0 && cmd == SCRATCH_IOC_ATTACH)
		st_track_space(((struct scratch_attach *)buf)->space_id);
	return r;
}

/*
 * The size field: 0 and 4 are EINVAL; a longer struct with a non-zero byte
 * past the known ones is E2BIG (copy_struct_from_user); an absurd size fails
 * with EINVAL, E2BIG or EFAULT; a longer struct with a zero tail behaves as
 * the exact size, giving @ok.  @s gets the struct back from that last call.
 */
static void check_sizes(struct __test_metadata *_metadata, int fd, unsigned long cmd,
			void *s, size_t ksize, int ok, const char *name)
{
	static unsigned char buf[2 * ST_PAGE] __attribute__((aligned(64)));
	static const __u32 small[] = { 0, 4 };
	const size_t tails[] = { ksize, ksize + 63 };
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(small); i++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, s, ksize);
		memcpy(buf, &small[i], 4);
		ASSERT_EQ(-EINVAL, call(fd, cmd, buf)) TH_LOG("%s size %u", name, small[i]);
	}
	for (i = 0; i < ARRAY_SIZE(tails); i++) {
		__u32 usize = ksize + 64;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, s, ksize);
		memcpy(buf, &usize, 4);
		buf[tails[i]] = 1;
		ASSERT_EQ(-E2BIG, call(fd, cmd, buf))
			TH_LOG("%s size %u, byte %zu set", name, usize, tails[i]);
	}
	/* Sizes are capped at a page, zero tail or not: no unbounded copy-in. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, s, ksize);
	memcpy(buf, &(__u32){ ST_PAGE + 8 }, 4);
	ASSERT_EQ(-E2BIG, call(fd, cmd, buf)) TH_LOG("%s size %llu, zero tail", name, ST_PAGE + 8);
	memcpy(buf, &(__u32){ 0xffffffff }, 4);
	r = call(fd, cmd, buf);
	ASSERT_EQ(-E2BIG, r) TH_LOG("%s size 0xffffffff: %d", name, r);

	memset(buf, 0, sizeof(buf));
	memcpy(buf, s, ksize);
	memcpy(buf, &(__u32){ ksize + 64 }, 4);
	ASSERT_EQ(ok, call(fd, cmd, buf)) TH_LOG("%s size %zu, zero tail", name, ksize + 64);
	memcpy(s, buf, ksize);
}

ST_TEST_F(bad, size_field)
{
	struct scratch_region_spec spec = spec1(0, 64 * ST_MIB);
	struct scratch_attach a = attach1(&spec, 1);
	struct scratch_detach d = { .size = sizeof(d), .space_id = 999999 };
	struct scratch_list l = { .size = sizeof(l) };
	struct scratch_tenant t = { .size = sizeof(t), .tenant = 5 };
	struct scratch_reserve rs = { .size = sizeof(rs), .stored_len = ST_PAGE };
	struct scratch_commit c = { .size = sizeof(c) };
	struct scratch_abort ab = { .size = sizeof(ab) };
	struct scratch_stat st = { .size = sizeof(st), .id = self->ref[1].id };
	struct scratch_present p = {
		.size = sizeof(p), .count = 1, .ids_addr = (uintptr_t)&self->ref[0].id,
		.results_addr = (uintptr_t)&(__u8){ 0 },
	};
	__u64 rnd = 1;
	int ctl = st_ctl_open(), tfd;

	ASSERT_LE(0, ctl);
	c.id = random_id(&rnd);
	ab.id = random_id(&rnd);

	check_sizes(_metadata, ctl, SCRATCH_IOC_LIST, &l, sizeof(l), 0, "list");
	ASSERT_LE(1U, l.count);
	check_sizes(_metadata, ctl, SCRATCH_IOC_DETACH, &d, sizeof(d), -ENODEV, "detach");
	check_sizes(_metadata, ctl, SCRATCH_IOC_ATTACH, &a, sizeof(a), 0, "attach");
	ASSERT_EQ(0, st_detach(a.space_id));

	/* On a fresh fd: the rejected calls must not use up the one rebind. */
	tfd = st_open(self->sp.id, -1);
	ASSERT_LE(0, tfd);
	check_sizes(_metadata, tfd, SCRATCH_IOC_SET_TENANT, &t, sizeof(t), 0, "tenant");
	ASSERT_EQ(0, st_close(tfd));

	check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_RESERVE, &rs, sizeof(rs), 0, "reserve");
	ASSERT_EQ(0, st_abort(self->sp.fd, &rs.id));
	check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_COMMIT, &c, sizeof(c), -ENOENT, "commit");
	check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_ABORT, &ab, sizeof(ab), -ENOENT, "abort");
	check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_STAT, &st, sizeof(st), 0, "stat");
	ASSERT_EQ(self->ref[1].off, st.offset);
	ASSERT_EQ(self->ref[1].len, st.stored_len);
	if (st_has(SCRATCH_F_PRESENT))
		check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_PRESENT, &p, sizeof(p), 1,
			    "present");
	if (st_has(SCRATCH_F_VERIFY)) {
		struct scratch_verify v = { .size = sizeof(v), .id = self->ref[2].id };
		struct scratch_scrub sc = { .size = sizeof(sc), .cursor = SCRATCH_SCRUB_END };

		check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_VERIFY, &v, sizeof(v), 0, "verify");
		check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_SCRUB, &sc, sizeof(sc), 0, "scrub");
		ASSERT_EQ(SCRATCH_SCRUB_END, sc.cursor);
		ASSERT_EQ(0ULL, sc.checked);
	}
	if (st_has(SCRATCH_F_HORIZON)) {
		__u64 out = 0;
		struct scratch_horizon h = {
			.size = sizeof(h), .count = 1, .ids_addr = (uintptr_t)&self->ref[0].id,
			.results_addr = (uintptr_t)&out,
		};

		check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_HORIZON, &h, sizeof(h), 1,
			    "horizon");
		ASSERT_GT(SCRATCH_HORIZON_PINNED, out);
	}
	if (st_has(SCRATCH_F_EVICTIONS)) {
		struct scratch_events_fd e = { .size = sizeof(e) };
		struct scratch_evictions q = { .size = sizeof(q) };

		check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_EVENTS_FD, &e, sizeof(e), 0,
			    "events_fd");
		ASSERT_LE(0, e.fd);
		check_sizes(_metadata, e.fd, SCRATCH_IOC_EVICTIONS, &q, sizeof(q), 0, "evictions");
		ASSERT_EQ(0, close(e.fd));
	}
	close(ctl);
	ASSERT_INTACT();
}

/*
 * GET_FEATURES and INFO carry only outputs, but the header's rule has no
 * exception: a non-zero tail is E2BIG and a non-zero reserved field EINVAL
 * for them too.  Kept apart so that a module taking the other view fails
 * here alone.
 */
ST_TEST_F(bad, output_structs)
{
	struct scratch_features f = { .size = sizeof(f) };
	struct scratch_info info = { .size = sizeof(info) };
	int ctl = st_ctl_open(), i;

	ASSERT_LE(0, ctl);
	check_sizes(_metadata, ctl, SCRATCH_IOC_GET_FEATURES, &f, sizeof(f), 0, "features");
	ASSERT_EQ((__u32)SCRATCH_ABI_VERSION, f.abi_version);
	ASSERT_EQ((__u32)ST_PAGE, f.page_size);
	ASSERT_EQ((__u32)SCRATCH_MAX_PARTS, f.max_parts);
	ASSERT_EQ(0ULL, f.features & ~ST_KNOWN_FEATURES);
	check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_GET_FEATURES, &f, sizeof(f), 0,
		    "features (space)");
	check_sizes(_metadata, self->sp.fd, SCRATCH_IOC_INFO, &info, sizeof(info), 0, "info");
	ASSERT_EQ((__u64)NREFS, info.atoms);
	for (i = 0; i < 4; i++) {
		f = (struct scratch_features){ .size = sizeof(f) };
		f.reserved[i] = 1;
		ASSERT_EQ(-EINVAL, st_ioctl(ctl, SCRATCH_IOC_GET_FEATURES, &f))
			TH_LOG("features.reserved[%d]", i);
	}
	close(ctl);
	ASSERT_INTACT();
}

ST_TEST_F(bad, unknown_flags)
{
	struct scratch_region_spec spec = spec1(0, 64 * ST_MIB);
	struct scratch_attach a = attach1(&spec, 1);
	struct scratch_detach d = { .size = sizeof(d), .flags = 1, .space_id = self->sp.id };
	struct scratch_list l = { .size = sizeof(l), .flags = 1 };
	struct scratch_reserve rs = { .size = sizeof(rs), .flags = 1, .stored_len = 100 };
	struct scratch_stat st = { .size = sizeof(st), .flags = 1, .id = self->ref[0].id };
	struct scratch_present p = {
		.size = sizeof(p), .flags = 1, .count = 1,
		.ids_addr = (uintptr_t)&self->ref[0].id, .results_addr = (uintptr_t)&(__u8){ 0 },
	};
	struct scratch_abort ab = { .size = sizeof(ab), .flags = 1 };
	struct scratch_commit c = { .size = sizeof(c) };
	unsigned char page[ST_PAGE];
	struct scratch_id id;
	__u64 off;
	unsigned int bit;

	for (bit = 1; bit < 32; bit += 10) {
		a.flags = SCRATCH_ATTACH_FORMAT | (1U << bit);
		ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("attach flag bit %u", bit);
	}
	ASSERT_EQ(-EINVAL, st_ctl(SCRATCH_IOC_DETACH, &d));
	ASSERT_EQ(-EINVAL, st_ctl(SCRATCH_IOC_LIST, &l));
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_RESERVE, &rs));
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_STAT, &st));
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_PRESENT, &p));
	if (st_has(SCRATCH_F_VERIFY)) {
		struct scratch_verify v = { .size = sizeof(v), .id = self->ref[0].id };
		struct scratch_scrub sc = { .size = sizeof(sc) };

		for (bit = 1; bit < 32; bit += 10) {
			v.flags = 1U << bit;
			ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_VERIFY, &v))
				TH_LOG("verify flag bit %u", bit);
			sc.flags = 1U << bit;
			ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &sc))
				TH_LOG("scrub flag bit %u", bit);
		}
	}

	/* A complete reservation: only the flags are wrong. */
	st_fill(page, 100, st_seed(1), 0);
	ASSERT_EQ(0, st_reserve(self->sp.fd, 100, 0, &id, &off));
	ASSERT_EQ(0, st_write(self->sp.fd, page, 100, off));
	c.id = id;
	c.length = 100;
	c.xxh64 = XXH64(page, 100, 0);
	c.flags = 1;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_COMMIT, &c));
	c.flags = 0;
	for (bit = 1; bit < 16; bit += 7) {
		c.atom_flags = 1U << bit;
		ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_COMMIT, &c))
			TH_LOG("atom_flags bit %u", bit);
	}
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &id, &st));
	ab.id = id;
	ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_ABORT, &ab));
	st_abort(self->sp.fd, &id);	/* open or already gone: either is fine here */
	ASSERT_INTACT();
}

/* Every reserved field, one at a time, set to 1: EINVAL (output structs: see above). */
#define TRY_RESERVED(fd, cmd, var, field) do {					\
	__typeof__(var) __s = (var);						\
	__s.field = 1;								\
	ASSERT_EQ(-EINVAL, st_ioctl(fd, cmd, &__s)) TH_LOG(#var "." #field);	\
} while (0)

ST_TEST_F(bad, reserved_fields)
{
	struct scratch_region_spec specs[2] = { spec1(0, 64 * ST_MIB) };
	struct scratch_attach a = attach1(specs, 1), a2;
	struct scratch_detach d = { .size = sizeof(d), .space_id = 999999 };
	struct scratch_list l = { .size = sizeof(l) };
	struct scratch_tenant t = { .size = sizeof(t), .tenant = 3 };
	struct scratch_reserve rs = { .size = sizeof(rs), .stored_len = 100 };
	struct scratch_commit c = { .size = sizeof(c), .length = 100 };
	struct scratch_abort ab = { .size = sizeof(ab) };
	struct scratch_stat st = { .size = sizeof(st), .id = self->ref[0].id };
	struct scratch_present p = {
		.size = sizeof(p), .count = 1, .ids_addr = (uintptr_t)&self->ref[0].id,
		.results_addr = (uintptr_t)&(__u8){ 0 },
	};
	unsigned char page[100];
	int ctl = st_ctl_open(), tfd, i;
	__u64 off;

	ASSERT_LE(0, ctl);
	/* ATTACH through st_attach_raw(), so that a wrong success is undone. */
	a2 = a;
	a2.reserved0 = 1;
	ASSERT_EQ(-EINVAL, st_attach_raw(&a2)) TH_LOG("attach.reserved0");
	for (i = 0; i < 4; i++) {
		a2 = a;
		a2.reserved[i] = 1;
		ASSERT_EQ(-EINVAL, st_attach_raw(&a2)) TH_LOG("attach.reserved[%d]", i);
	}
	specs[0].reserved0 = 1;
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("region.reserved0");
	specs[0].reserved0 = 0;
	for (i = 0; i < 2; i++) {
		specs[0].reserved[i] = 1;
		ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("region.reserved[%d]", i);
		specs[0].reserved[i] = 0;
	}
	TRY_RESERVED(ctl, SCRATCH_IOC_DETACH, d, reserved0);
	TRY_RESERVED(ctl, SCRATCH_IOC_DETACH, d, reserved[0]);
	TRY_RESERVED(ctl, SCRATCH_IOC_DETACH, d, reserved[1]);
	TRY_RESERVED(ctl, SCRATCH_IOC_LIST, l, reserved[0]);
	TRY_RESERVED(ctl, SCRATCH_IOC_LIST, l, reserved[1]);
	close(ctl);

	/* A fresh fd, so only the reserved field can be wrong. */
	tfd = st_open(self->sp.id, -1);
	ASSERT_LE(0, tfd);
	TRY_RESERVED(tfd, SCRATCH_IOC_SET_TENANT, t, reserved[0]);
	ASSERT_EQ(0, st_close(tfd));

	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_RESERVE, rs, reserved0);
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_RESERVE, rs, reserved[0]);
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_RESERVE, rs, reserved[1]);

	/* A complete open reservation: only the reserved field is wrong. */
	st_fill(page, sizeof(page), st_seed(2), 0);
	ASSERT_EQ(0, st_reserve(self->sp.fd, sizeof(page), 0, &c.id, &off));
	ASSERT_EQ(0, st_write(self->sp.fd, page, sizeof(page), off));
	c.xxh64 = XXH64(page, sizeof(page), 0);
	ab.id = c.id;
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_COMMIT, c, reserved0);
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_COMMIT, c, reserved[0]);
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_COMMIT, c, reserved[1]);
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_ABORT, ab, reserved[0]);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &c.id, &st));
	st_abort(self->sp.fd, &c.id);

	st.id = self->ref[0].id;
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_STAT, st, reserved0);
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_STAT, st, reserved[0]);
	/* STAT's outputs, status included, are not checked: a struct can be reused. */
	st.status = ~0U;
	st.offset = 12345;
	ASSERT_EQ(0, st_ioctl(self->sp.fd, SCRATCH_IOC_STAT, &st));
	ASSERT_EQ(self->ref[0].off, st.offset);
	if (st_has(SCRATCH_F_VERIFY)) {
		struct scratch_verify v = { .size = sizeof(v), .id = self->ref[0].id };
		struct scratch_scrub sc = { .size = sizeof(sc) };

		ASSERT_EQ((__u32)SCRATCH_STAT_VERIFIED, st.status);
		TRY_RESERVED(self->sp.fd, SCRATCH_IOC_VERIFY, v, reserved[0]);
		TRY_RESERVED(self->sp.fd, SCRATCH_IOC_VERIFY, v, reserved[1]);
		for (i = 0; i < 4; i++) {
			sc = (struct scratch_scrub){ .size = sizeof(sc) };
			sc.reserved[i] = 1;
			ASSERT_EQ(-EINVAL, st_ioctl(self->sp.fd, SCRATCH_IOC_SCRUB, &sc))
				TH_LOG("scrub.reserved[%d]", i);
		}
	}
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_PRESENT, p, reserved0);
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_PRESENT, p, reserved[0]);
	TRY_RESERVED(self->sp.fd, SCRATCH_IOC_PRESENT, p, reserved[1]);
	ASSERT_INTACT();
}

ST_TEST_F(bad, attach_fields)
{
	struct scratch_region_spec specs[SCRATCH_MAX_REGIONS + 1];
	struct scratch_attach a;
	static char longpath[4096 + 1000];
	static const __u32 shifts[] = { 0, 19, 35, 63, 255, 1U << 31 };
	unsigned int i;
	__u64 size;

	for (i = 0; i < ARRAY_SIZE(specs); i++)
		specs[i] = spec1(i * 64 * ST_MIB, 64 * ST_MIB);
	a = attach1(specs, 1);
	for (i = 0; i < ARRAY_SIZE(shifts); i++) {
		a.seg_shift = shifts[i];
		ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("seg_shift %u", shifts[i]);
	}
	/* Without FORMAT the geometry comes from the disk: seg_shift must be 0. */
	a.flags = 0;
	a.seg_shift = 20;
	ASSERT_EQ(-EINVAL, st_attach_raw(&a));

	a = attach1(specs, 0);
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("nr_regions 0");
	a = attach1(specs, SCRATCH_MAX_REGIONS + 1);
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("nr_regions 17");

	/* path_len 0 and >= 4096 are EINVAL; 4095 is valid (and missing). */
	memset(longpath, 'x', sizeof(longpath));
	memcpy(longpath, "/scratch-test-missing", 21);
	for (i = 21; i + 1 < sizeof(longpath); i += 100)
		longpath[i] = '/';
	a = attach1(specs, 1);
	specs[0].path_addr = (uintptr_t)longpath;
	specs[0].path_len = 0;
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("path_len 0");
	specs[0].path_len = 4096;
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("path_len 4096");
	specs[0].path_len = 5000;
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("path_len 5000");
	specs[0].path_len = 4095;
	ASSERT_EQ(-ENOENT, st_attach_raw(&a)) TH_LOG("path_len 4095");
	specs[0] = spec1(0, 64 * ST_MIB);

	/* Offsets must be 1 MiB aligned and inside the device. */
	ASSERT_EQ(0, st_dev_size(st_dev(1), &size));
	specs[0] = spec1(ST_PAGE, 64 * ST_MIB);
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("offset 4096");
	specs[0] = spec1(ST_MIB + 512, 64 * ST_MIB);
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("offset 1 MiB + 512");
	specs[0] = spec1(size + 64 * ST_MIB, 64 * ST_MIB);
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("offset past the end");
	specs[0] = spec1(0, size + 64 * ST_MIB);
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("length past the end");
	specs[0] = spec1(size - 32 * ST_MIB, 64 * ST_MIB);
	ASSERT_EQ(-EINVAL, st_attach_raw(&a)) TH_LOG("range across the end");
	ASSERT_INTACT();
}

ST_TEST_F(bad, bad_addresses)
{
	static const unsigned long space_cmds[] = {
		SCRATCH_IOC_GET_FEATURES, SCRATCH_IOC_RESERVE,
		SCRATCH_IOC_COMMIT, SCRATCH_IOC_ABORT, SCRATCH_IOC_STAT,
		SCRATCH_IOC_PRESENT, SCRATCH_IOC_INFO, SCRATCH_IOC_VERIFY, SCRATCH_IOC_SCRUB,
	};
	static const unsigned long ctl_cmds[] = {
		SCRATCH_IOC_GET_FEATURES, SCRATCH_IOC_ATTACH, SCRATCH_IOC_DETACH,
		SCRATCH_IOC_LIST,
	};
	struct scratch_region_spec spec = spec1(0, 64 * ST_MIB);
	struct scratch_attach a = attach1(&spec, 1);
	struct scratch_list l = { .size = sizeof(l), .capacity = 4 };
	struct scratch_id ids[1] = { self->ref[0].id };
	__u8 res[1];
	struct scratch_present p = {
		.size = sizeof(p), .count = 1, .ids_addr = (uintptr_t)ids,
		.results_addr = (uintptr_t)res,
	};
	unsigned char page[ST_PAGE];
	void *hole = self->hole;
	struct scratch_id id;
	int ctl = st_ctl_open(), tfd;
	unsigned int i;
	__u64 off;

	ASSERT_LE(0, ctl);
	/* SET_TENANT on a fresh fd, where it would otherwise be allowed. */
	tfd = st_open(self->sp.id, -1);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(-EFAULT, st_ioctl(tfd, SCRATCH_IOC_SET_TENANT, NULL));
	ASSERT_EQ(-EFAULT, st_ioctl(tfd, SCRATCH_IOC_SET_TENANT, hole));
	ASSERT_EQ(0, st_close(tfd));
	for (i = 0; i < ARRAY_SIZE(space_cmds); i++) {
		ASSERT_EQ(-EFAULT, st_ioctl(self->sp.fd, space_cmds[i], NULL)) TH_LOG("cmd %u", i);
		ASSERT_EQ(-EFAULT, st_ioctl(self->sp.fd, space_cmds[i], hole)) TH_LOG("cmd %u", i);
	}
	for (i = 0; i < ARRAY_SIZE(ctl_cmds); i++) {
		ASSERT_EQ(-EFAULT, st_ioctl(ctl, ctl_cmds[i], NULL)) TH_LOG("ctl cmd %u", i);
		ASSERT_EQ(-EFAULT, st_ioctl(ctl, ctl_cmds[i], hole)) TH_LOG("ctl cmd %u", i);
	}
	/* Addresses inside the structs. */
	a.regions_addr = (uintptr_t)hole;
	ASSERT_EQ(-EFAULT, st_attach_raw(&a));
	a.regions_addr = (uintptr_t)&spec;
	spec.path_addr = (uintptr_t)hole;
	ASSERT_EQ(-EFAULT, st_attach_raw(&a));
	l.ids_addr = (uintptr_t)hole;
	ASSERT_EQ(-EFAULT, st_ioctl(ctl, SCRATCH_IOC_LIST, &l));
	if (st_has(SCRATCH_F_PRESENT)) {
		p.ids_addr = (uintptr_t)hole;
		ASSERT_EQ(-EFAULT, st_ioctl(self->sp.fd, SCRATCH_IOC_PRESENT, &p));
		p.ids_addr = (uintptr_t)ids;
		p.results_addr = (uintptr_t)hole;
		ASSERT_EQ(-EFAULT, st_ioctl(self->sp.fd, SCRATCH_IOC_PRESENT, &p));
	}
	close(ctl);

	/* Buffers of read and write. */
	errno = 0;
	ASSERT_EQ(-1, pread(self->sp.fd, hole, 100, self->ref[1].off));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, st_reserve(self->sp.fd, ST_PAGE, 0, &id, &off));
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, hole, ST_PAGE, off));
	ASSERT_EQ(EFAULT, errno);
	/* The reservation still takes a good write and commits. */
	st_fill(page, sizeof(page), st_seed(77), 0);
	ASSERT_EQ(0, st_write(self->sp.fd, page, sizeof(page), off));
	ASSERT_EQ(0, st_commit(self->sp.fd, &id, sizeof(page), XXH64(page, sizeof(page), 0), 1, 0));
	ASSERT_EQ(0, st_get(self->sp.fd, &id, page, sizeof(page), NULL));
	ASSERT_EQ(-1, st_check(page, sizeof(page), st_seed(77), 0));
	ASSERT_INTACT();
}

ST_TEST_F(bad, attach_errors)
{
	struct st_region missing = { "/dev/scratch-test-no-such-device", 0, 0 };
	struct st_region same = { st_dev(0), 0, 64 * ST_MIB };
	struct st_region other = { st_dev(0), 128 * ST_MIB, 64 * ST_MIB };
	struct st_region twice[] = {
		{ st_dev(1), 0, 64 * ST_MIB }, { st_dev(1), 64 * ST_MIB, 64 * ST_MIB },
	};
	struct st_region r1 = { st_dev(1), 0, 64 * ST_MIB };
	__u64 size;
	__u32 id;
	int r;

	ASSERT_EQ(-ENOENT, st_attach(&missing, 1, 20, true, &id));

	/* In use: the fixture's own region, or another range of its drive. */
	ASSERT_EQ(-EBUSY, st_attach(&same, 1, 20, true, &id));
	ASSERT_EQ(-EBUSY, st_attach(&same, 1, 0, false, &id));
	ASSERT_EQ(-EBUSY, st_attach(&other, 1, 20, true, &id));
	if (st_has(SCRATCH_F_MULTI_REGION))
		ASSERT_EQ(-EBUSY, st_attach(twice, 2, 20, true, &id));
	ASSERT_EQ(0, st_excl_open(st_dev(1)));

	/* Read-only drive (BLKROSET, as `blockdev --setro` does). */
	ASSERT_EQ(0, st_dev_set_ro(st_dev(1), 1));
	r = st_attach(&r1, 1, 20, true, &id);
	ASSERT_EQ(0, st_dev_set_ro(st_dev(1), 0));
	ASSERT_EQ(-EROFS, r);

	/* Too small for two segments; two exactly is fine. */
	r1.length = 2 * ST_MIB;
	ASSERT_EQ(-E2BIG, st_attach(&r1, 1, 20, true, &id));
	r1.length = ST_MIB;
	ASSERT_EQ(-E2BIG, st_attach(&r1, 1, 20, true, &id));
	ASSERT_EQ(0, st_dev_size(st_dev(1), &size));
	r1.offset = size - ST_MIB;
	r1.length = 0;
	ASSERT_EQ(-E2BIG, st_attach(&r1, 1, 20, true, &id));
	r1.offset = 0;
	ASSERT_EQ(-E2BIG, st_attach(&r1, 1, SCRATCH_SEG_SHIFT_MAX, true, &id));
	r1.length = 3 * ST_MIB;
	ASSERT_EQ(0, st_attach(&r1, 1, 20, true, &id));
	ASSERT_EQ(2ULL, st_counter(id, "nr_segments"));
	ASSERT_EQ(0, st_detach(id));

	/* No scratch format (both superblock pages zeroed) and no FORMAT. */
	r1.length = 64 * ST_MIB;
	ASSERT_EQ(0, st_dev_zero(st_dev(1), 0, 2 * ST_PAGE));
	ASSERT_EQ(-EMEDIUMTYPE, st_attach(&r1, 1, 0, false, &id));

	ASSERT_EQ(0, st_excl_open(st_dev(1)));
	ASSERT_INTACT();
}

/* A character device, a regular file, a directory: none is a block device. */
ST_TEST_F(bad, not_block_devices)
{
	struct st_region null = { "/dev/null", 0, 0 }, dir = { "/", 0, 0 };
	char path[] = "/tmp/scratch-test-XXXXXX";
	struct st_region file = { path, 0, 0 };
	__u32 id;
	int fd, r;

	ASSERT_EQ(-ENOTBLK, st_attach(&null, 1, 20, true, &id));
	ASSERT_EQ(-ENOTBLK, st_attach(&null, 1, 0, false, &id));
	/* A plain file nobody uses (the running binary would be ETXTBSY). */
	fd = mkstemp(path);
	ASSERT_LE(0, fd) TH_LOG("mkstemp in /tmp: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, 256 * ST_MIB));
	close(fd);
	r = st_attach(&file, 1, 20, true, &id);
	unlink(path);
	ASSERT_EQ(-ENOTBLK, r) TH_LOG("regular file");
	ASSERT_EQ(-ENOTBLK, st_attach(&dir, 1, 20, true, &id)) TH_LOG("directory");
	ASSERT_INTACT();
}

/* Without CAP_SYS_ADMIN: attach and detach are EPERM, LIST still works. */
ST_TEST_F(bad, unprivileged)
{
	struct st_region r1 = { st_dev(1), 0, 64 * ST_MIB };
	__u32 victim, ids[8], n;
	int status;
	pid_t pid;

	/* A space that root could detach right now (nothing open on it). */
	ASSERT_EQ(0, st_attach(&r1, 1, 20, true, &victim));
	pid = st_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct st_region r2 = { st_dev(1), 128 * ST_MIB, 64 * ST_MIB };
		__u32 id;
		int r;

		if (st_drop_sys_admin())
			_exit(50);
		r = st_attach(&r2, 1, 20, true, &id);
		if (r == 0)
			_exit(100);
		if (r != -EPERM)
			_exit(10);
		r = st_detach(victim);
		if (r == 0)
			_exit(101);
		if (r != -EPERM)
			_exit(11);
		if (st_list(ids, 8, &n) || n < 2)
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, st_waitpid(pid, &status));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		st_sweep(self->sp.id);	/* what the child attached */
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d", WEXITSTATUS(status));
	ASSERT_TRUE(st_listed(victim));
	ASSERT_EQ(0, st_detach(victim));
	ASSERT_INTACT();
}

ST_TEST_F(bad, reserve_limits)
{
	__u64 payload = st_payload_bytes(20);
	struct scratch_id id;
	__u64 off;

	ASSERT_EQ(-EINVAL, st_reserve(self->sp.fd, 0, 0, &id, &off));
	ASSERT_EQ(-EFBIG, st_reserve(self->sp.fd, payload + 1, 0, &id, &off));
	ASSERT_EQ(-EFBIG, st_reserve(self->sp.fd, 1ULL << 40, 0, &id, &off));
	ASSERT_EQ(-EFBIG, st_reserve(self->sp.fd, UINT64_MAX, 0, &id, &off));
	ASSERT_EQ(-EINVAL, st_reserve(self->sp.fd, payload, SCRATCH_MAX_PARTS + 1, &id, &off));
	/* Exactly a segment's payload fits. */
	ASSERT_EQ(0, st_reserve(self->sp.fd, payload, 0, &id, &off));
	ASSERT_EQ(0ULL, off % ST_PAGE);
	ASSERT_EQ(0, st_abort(self->sp.fd, &id));
	ASSERT_INTACT();
}

ST_TEST_F(bad, write_rules)
{
	const __u64 len = 3 * ST_PAGE + 100;
	unsigned char *buf = malloc(2 * len + 2 * ST_PAGE);
	struct scratch_id id, id2, a1, a2;
	__u64 off, off2, o1, o2;
	struct st_atom done;
	int fd2;

	ASSERT_NE(NULL, buf);
	st_fill(buf, len, st_seed(50), 0);
	ASSERT_EQ(0, st_reserve(self->sp.fd, len, 0, &id, &off));
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf + 1, ST_PAGE, off + 1));
	ASSERT_EQ(EINVAL, errno) TH_LOG("unaligned start and end");
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf + 1, ST_PAGE - 1, off + 1));
	ASSERT_EQ(EINVAL, errno) TH_LOG("unaligned start, end on a page");
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf + ST_PAGE + 8, len - ST_PAGE - 8, off + ST_PAGE + 8));
	ASSERT_EQ(EINVAL, errno) TH_LOG("unaligned start, end at stored_len");
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf, 100, off));
	ASSERT_EQ(EINVAL, errno) TH_LOG("unaligned end before stored_len");
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf + 3 * ST_PAGE, ST_PAGE, off + 3 * ST_PAGE));
	ASSERT_EQ(EINVAL, errno) TH_LOG("past stored_len");
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf, len + 1, off));
	ASSERT_EQ(EINVAL, errno) TH_LOG("one byte past stored_len");
	/* The legal pieces, out of order. */
	ASSERT_EQ(100, pwrite(self->sp.fd, buf + 3 * ST_PAGE, 100, off + 3 * ST_PAGE));
	ASSERT_EQ((ssize_t)(2 * ST_PAGE), pwrite(self->sp.fd, buf + ST_PAGE, 2 * ST_PAGE, off + ST_PAGE));
	ASSERT_EQ((ssize_t)ST_PAGE, pwrite(self->sp.fd, buf, ST_PAGE, off));
	ASSERT_EQ(0, st_commit(self->sp.fd, &id, len, XXH64(buf, len, 0), 9, 0));
	done = (struct st_atom){ .id = id, .off = off, .len = len, .seed = st_seed(50),
				 .xxh = XXH64(buf, len, 0), .type = 9 };
	ASSERT_EQ(0, st_verify(self->sp.fd, &done));

	/* Outside any reservation: committed atoms, headers, far away. */
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf, ST_PAGE, off));
	ASSERT_EQ(EINVAL, errno) TH_LOG("over a committed atom");
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf, ST_PAGE, self->ref[2].off));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf, ST_PAGE, 0));
	ASSERT_EQ(EINVAL, errno) TH_LOG("segment header");
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf, ST_PAGE, 1ULL << 50));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(-1, write(self->sp.fd, buf, ST_PAGE));
	ASSERT_EQ(EINVAL, errno) TH_LOG("write() at f_pos 0");

	/* Another fd's reservation is not ours to write. */
	fd2 = st_open(self->sp.id, -1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, st_reserve(fd2, ST_PAGE, 0, &id2, &off2));
	errno = 0;
	ASSERT_EQ(-1, pwrite(self->sp.fd, buf, ST_PAGE, off2));
	ASSERT_EQ(EINVAL, errno) TH_LOG("another fd's reservation");
	ASSERT_EQ((ssize_t)ST_PAGE, pwrite(fd2, buf, ST_PAGE, off2));
	ASSERT_EQ(0, st_abort(fd2, &id2));
	ASSERT_EQ(0, st_close(fd2));

	/* One write may not span two reservations, even adjacent ones. */
	ASSERT_EQ(0, st_reserve(self->sp.fd, ST_PAGE, 0, &a1, &o1));
	ASSERT_EQ(0, st_reserve(self->sp.fd, ST_PAGE, 0, &a2, &o2));
	if (o2 == o1 + ST_PAGE) {
		errno = 0;
		ASSERT_EQ(-1, pwrite(self->sp.fd, buf, 2 * ST_PAGE, o1));
		ASSERT_EQ(EINVAL, errno) TH_LOG("write across two reservations");
	}
	ASSERT_EQ(0, st_abort(self->sp.fd, &a1));
	ASSERT_EQ(0, st_abort(self->sp.fd, &a2));
	ASSERT_EQ(0, st_verify(self->sp.fd, &done));
	free(buf);
	ASSERT_INTACT();
}

ST_TEST_F(bad, commit_rules)
{
	unsigned char page[ST_PAGE];
	struct scratch_id id, id2, zero = { 0, 0 };
	struct scratch_stat st;
	struct st_atom a;
	__u64 off, off2, rnd = 3;
	int i, fd2;

	st_fill(page, sizeof(page), st_seed(60), 0);
	/* Page 1 of 3 never written. */
	ASSERT_EQ(0, st_reserve(self->sp.fd, 3 * ST_PAGE, 0, &id, &off));
	ASSERT_EQ(0, st_write(self->sp.fd, page, ST_PAGE, off));
	ASSERT_EQ(0, st_write(self->sp.fd, page, ST_PAGE, off + 2 * ST_PAGE));
	ASSERT_EQ(-EINVAL, st_commit(self->sp.fd, &id, 3 * ST_PAGE, 0, 0, 0));
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &id, &st));
	st_abort(self->sp.fd, &id);
	/* Nothing written at all. */
	ASSERT_EQ(0, st_reserve(self->sp.fd, 10, 0, &id, &off));
	ASSERT_EQ(-EINVAL, st_commit(self->sp.fd, &id, 10, 0, 0, 0));
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &id, &st));
	st_abort(self->sp.fd, &id);

	/* Ids that are not an open reservation of this fd. */
	for (i = 0; i < 20; i++) {
		struct scratch_id r = random_id(&rnd);

		ASSERT_EQ(-ENOENT, st_commit(self->sp.fd, &r, 1, 0, 0, 0));
		ASSERT_EQ(-ENOENT, st_abort(self->sp.fd, &r));
	}
	ASSERT_EQ(-ENOENT, st_commit(self->sp.fd, &zero, 1, 0, 0, 0));
	ASSERT_EQ(0, st_put_n(self->sp.fd, &a, 61, 5000));
	ASSERT_EQ(-ENOENT, st_commit(self->sp.fd, &a.id, a.len, a.xxh, a.type, 0))
		TH_LOG("second commit");
	ASSERT_EQ(-ENOENT, st_abort(self->sp.fd, &a.id)) TH_LOG("abort of a committed atom");
	ASSERT_EQ(0, st_verify(self->sp.fd, &a));
	ASSERT_EQ(0, st_reserve(self->sp.fd, 10, 0, &id, &off));
	ASSERT_EQ(0, st_abort(self->sp.fd, &id));
	ASSERT_EQ(-ENOENT, st_commit(self->sp.fd, &id, 10, 0, 0, 0)) TH_LOG("after abort");
	ASSERT_EQ(-ENOENT, st_abort(self->sp.fd, &id)) TH_LOG("second abort");

	/* Another fd's reservation: not ours to commit, still theirs. */
	fd2 = st_open(self->sp.id, -1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, st_reserve(fd2, ST_PAGE, 0, &id2, &off2));
	ASSERT_EQ(0, st_write(fd2, page, ST_PAGE, off2));
	ASSERT_EQ(-ENOENT, st_commit(self->sp.fd, &id2, ST_PAGE, 0, 0, 0));
	ASSERT_EQ(-ENOENT, st_abort(self->sp.fd, &id2));
	ASSERT_EQ(0, st_commit(fd2, &id2, ST_PAGE, XXH64(page, ST_PAGE, 0), 2, 0));
	ASSERT_EQ(0, st_close(fd2));
	/* Committed atoms outlive the fd that wrote them. */
	ASSERT_EQ(0, st_get(self->sp.fd, &id2, page, sizeof(page), &st));
	ASSERT_EQ(-1, st_check(page, sizeof(page), st_seed(60), 0));
	ASSERT_INTACT();
}

ST_TEST_F(bad, missing_ids_and_offsets)
{
	enum { N = 1000 };
	struct scratch_id *ids = calloc(N, sizeof(*ids));
	__u8 *res = calloc(N, 1);
	struct scratch_id z = { 0, 0 }, v;
	const struct scratch_id *r0 = &self->ref[0].id;
	unsigned char buf[512];
	struct scratch_stat st;
	__u64 rnd = 11, cap;
	int i, k, tested = 0;

	ASSERT_NE(NULL, ids);
	ASSERT_NE(NULL, res);
	for (i = 0; i < N; i++) {
		ids[i] = random_id(&rnd);
		ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &ids[i], &st));
	}
	if (st_has(SCRATCH_F_PRESENT)) {
		memset(res, 0xee, N);
		ASSERT_EQ(0, st_present(self->sp.fd, ids, N, res));
		for (i = 0; i < N; i++)
			ASSERT_EQ(0, res[i]);
	}
	/* Near misses of a real id. */
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &z, &st));
	v = st_id_make(st_id_seg(r0), st_id_gen(r0) + 1, st_id_slot(r0), 0);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &v, &st)) TH_LOG("gen + 1");
	v = st_id_make(st_id_seg(r0), st_id_gen(r0) - 1, st_id_slot(r0), 0);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &v, &st)) TH_LOG("gen - 1");
	v = st_id_make(st_id_seg(r0), st_id_gen(r0), st_id_slot(r0) + 1000, 0);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &v, &st)) TH_LOG("slot + 1000");
	v = st_id_make(st_id_seg(r0), st_id_gen(r0), 0xffffffff, 0);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &v, &st)) TH_LOG("slot ~0");
	v = st_id_make(st_id_seg(r0) + 100000, st_id_gen(r0), st_id_slot(r0), 0);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &v, &st)) TH_LOG("segment out of range");
	v = st_part_id(r0, 0);
	ASSERT_EQ(-ENOENT, st_stat(self->sp.fd, &v, &st)) TH_LOG("part of a plain atom");

	/* Random offsets that no stored atom covers. */
	cap = st_counter(self->sp.id, "capacity");
	ASSERT_NE(UINT64_MAX, cap);
	for (i = 0; i < 300; i++) {
		__u64 off = st_rand(&rnd) % (2 * cap);
		bool inside = false;

		for (k = 0; k < NREFS; k++)
			inside |= off >= self->ref[k].off / ST_PAGE * ST_PAGE &&
				  off < self->ref[k].off + ST_ROUND_UP(self->ref[k].len, ST_PAGE);
		if (inside)
			continue;
		errno = 0;
		ASSERT_EQ(-1, pread(self->sp.fd, buf, sizeof(buf), off)) TH_LOG("offset %llu",
									 (unsigned long long)off);
		ASSERT_EQ(ENOENT, errno);
		tested++;
	}
	ASSERT_LT(250, tested);
	free(ids);
	free(res);
	ASSERT_INTACT();
}

ST_TEST_F(bad, unknown_ioctls)
{
	struct scratch_region_spec spec = spec1(0, 64 * ST_MIB);
	struct scratch_attach a = attach1(&spec, 1);
	struct scratch_reserve rs = { .size = sizeof(rs), .stored_len = 100 };
	unsigned char junk[512] = { 0 };
	int ctl = st_ctl_open();

	ASSERT_LE(0, ctl);
	ASSERT_EQ(-ENOTTY, st_ioctl(self->sp.fd, _IO(SCRATCH_IOC_MAGIC, 0x7f), NULL));
	ASSERT_EQ(-ENOTTY, st_ioctl(self->sp.fd, _IOWR(SCRATCH_IOC_MAGIC, 0x55, __u64), junk));
	ASSERT_EQ(-ENOTTY, st_ioctl(self->sp.fd, _IO('X', 1), NULL));
	ASSERT_EQ(-ENOTTY, st_ioctl(ctl, _IO(SCRATCH_IOC_MAGIC, 0x7f), NULL));
	ASSERT_EQ(-ENOTTY, st_ioctl(ctl, _IO('X', 1), NULL));
	/* Each node has its own set: space ioctls on the control node and back. */
	ASSERT_EQ(-ENOTTY, st_ioctl(ctl, SCRATCH_IOC_RESERVE, &rs));
	ASSERT_EQ(-ENOTTY, st_ioctl(ctl, SCRATCH_IOC_SYNC, NULL));
	ASSERT_EQ(-ENOTTY, st_ioctl(self->sp.fd, SCRATCH_IOC_ATTACH, &a));
	close(ctl);
	ASSERT_INTACT();
}

ST_TEST_F(bad, detach_errors)
{
	ASSERT_EQ(-ENODEV, st_detach(1000000));
	ASSERT_EQ(-ENODEV, st_detach(self->sp.id + 1));
	ASSERT_EQ(-EBUSY, st_detach(self->sp.id)) TH_LOG("detach with an fd open");
	ASSERT_INTACT();
}

TEST_HARNESS_MAIN
