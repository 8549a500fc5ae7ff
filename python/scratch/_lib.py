# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The C library, through cffi's ABI mode: declarations copied from <scratch.h>.

Nothing is compiled: libscratch.so.1 is opened at import.  cffi releases the GIL
around every call into it, so I/O by one thread never blocks the others.  The
declarations must match the library's structs exactly; tests/test_native.py
checks their sizes against the C header when a compiler is at hand.
"""
import os

from cffi import FFI

ffi = FFI()
ffi.cdef(
    """
struct scratch_id { uint64_t lo; uint64_t hi; };
struct iovec { void *iov_base; size_t iov_len; };

struct scratch_info {
    uint32_t size, space_id, nr_regions, seg_shift;
    uint64_t capacity, nr_segments, free_segments, pinned_segments, used_bytes, atoms,
             evictions, bytes_written, bytes_read, reload_us, atom_ram_bytes, unverified,
             verified, bad, write_errors;
};

struct scratch_atom_info {
    uint64_t length, stored_len, xxh64;
    uint32_t nr_parts;
    uint16_t type, atom_flags;
    uint32_t status, reserved;
};

struct scratch_get {
    struct scratch_id id;
    void *buf;
    uint64_t cap, len;
    int32_t res;
    uint32_t reserved;
};

struct scratch;
struct scratch_map;

const char *scratch_version(void);
int scratch_space_open(const char *path, uint32_t tenant, unsigned int flags,
                       unsigned int queue_depth, struct scratch **sp);
void scratch_space_close(struct scratch *s);
int scratch_space_fd(const struct scratch *s);
int scratch_space_info(struct scratch *s, struct scratch_info *info, size_t size);
int scratch_space_sync(struct scratch *s);
int scratch_atom_put(struct scratch *s, const void *buf, size_t len, uint16_t type,
                     unsigned int flags, struct scratch_id *id);
int scratch_atom_putv(struct scratch *s, const struct iovec *iov, int iovcnt, uint16_t type,
                      unsigned int flags, struct scratch_id *id);
int scratch_array_put(struct scratch *s, const struct iovec *parts, uint32_t nr_parts,
                      uint16_t type, unsigned int flags, struct scratch_id *id);
struct scratch_id scratch_array_part_id(struct scratch_id array, uint32_t i);
int scratch_id_is_part(struct scratch_id id);
void scratch_id_format(struct scratch_id id, char buf[33]);
int scratch_id_parse(const char *str, struct scratch_id *id);
int scratch_atom_stat(struct scratch *s, struct scratch_id id, struct scratch_atom_info *info,
                      size_t size);
int scratch_atom_present(struct scratch *s, const struct scratch_id *ids, unsigned int n,
                         uint8_t *present);
int scratch_atom_verify(struct scratch *s, struct scratch_id id, unsigned int flags);
int scratch_atom_get(struct scratch *s, struct scratch_id id, void *buf, uint64_t cap,
                     unsigned int flags, uint64_t *len);
int scratch_atom_get_batch(struct scratch *s, struct scratch_get *reqs, unsigned int n,
                           unsigned int flags);
int scratch_atom_map(struct scratch *s, struct scratch_id id, unsigned int flags,
                     struct scratch_map **mp);
const void *scratch_map_data(const struct scratch_map *m);
uint64_t scratch_map_len(const struct scratch_map *m);
int scratch_map_is_copy(const struct scratch_map *m);
void scratch_map_release(struct scratch_map *m);

struct scratch_eviction { uint32_t segment; uint32_t generation; };
struct scratch_watch;
int scratch_atom_horizon(struct scratch *s, const struct scratch_id *ids, unsigned int n,
                         uint64_t *bytes, uint64_t *write_rate);
int scratch_watch_open(struct scratch *s, unsigned int flags, struct scratch_watch **wp);
void scratch_watch_close(struct scratch_watch *w);
int scratch_watch_fd(const struct scratch_watch *w);
int scratch_watch_read(struct scratch_watch *w, uint64_t *cursor, struct scratch_eviction *ev,
                       unsigned int cap, uint64_t *lost);
int scratch_watch_gone(struct scratch_eviction *ev, unsigned int n,
                       const struct scratch_id *ids, unsigned int nids, uint8_t *gone);
"""
)

# Flags of <scratch.h>.
PUT_ZSTD = 1 << 0
PUT_SYNC = 1 << 1
STAT_VERIFIED = 1 << 0
ATOM_ZSTD = 1 << 0
ATOM_MAX = 0xFFFFFFFF
MAX_PARTS = 65536
HORIZON_MISSING = (1 << 64) - 1
HORIZON_PINNED = (1 << 64) - 2
EVENTS_FROM_START = 1 << 0


def _open():
    # SCRATCH_LIBRARY names a build tree's copy (tests); else the installed soname.
    name = os.environ.get("SCRATCH_LIBRARY") or "libscratch.so.1"
    return ffi.dlopen(name)


lib = _open()
