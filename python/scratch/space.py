# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Spaces, atom ids and maps: the binding over libscratch."""
from __future__ import annotations

import errno
import math
import threading
from dataclasses import dataclass
from typing import Iterable, List, NamedTuple, Optional, Sequence, Union

from ._lib import (ATOM_MAX, ATOM_ZSTD, EVENTS_FROM_START, HORIZON_MISSING, HORIZON_PINNED,
                   MAX_PARTS, PUT_SYNC, PUT_ZSTD, STAT_VERIFIED, ffi, lib)
from .errors import MissingAtomError, ScratchValueError, raise_for

__all__ = ["AtomId", "AtomInfo", "Eviction", "Horizon", "Map", "Space", "SpaceInfo", "Watch"]

Buffer = Union[bytes, bytearray, memoryview, "object"]  # anything with the buffer protocol

GET_VERIFY = 1 << 0


class AtomId:
    """The id of an atom, an array or an array's part.

    Opaque, immutable and hashable; ``str(id)`` is the 32 hex digits that
    scratchctl prints and ``AtomId.parse`` reads back.
    """

    __slots__ = ("_lo", "_hi")

    def __init__(self, lo: int, hi: int):
        if not isinstance(lo, int) or not isinstance(hi, int):
            raise TypeError("AtomId(lo, hi) takes two ints")
        if not (0 <= lo < 1 << 64 and 0 <= hi < 1 << 64):
            raise ValueError("AtomId halves are unsigned 64-bit integers")
        object.__setattr__(self, "_lo", lo)
        object.__setattr__(self, "_hi", hi)

    def __setattr__(self, name, value):
        raise AttributeError("AtomId is immutable")

    @classmethod
    def parse(cls, text: str) -> "AtomId":
        """The id written as 32 hex digits (``str(id)``); ValueError otherwise."""
        if not isinstance(text, str):
            raise TypeError(f"AtomId.parse takes a str, not {type(text).__name__}")
        c = ffi.new("struct scratch_id *")
        if lib.scratch_id_parse(text.encode("ascii", "replace"), c) < 0:
            raise ValueError(f"not an atom id (32 hex digits): {text!r}")
        return cls(c.lo, c.hi)

    @classmethod
    def _from_c(cls, c) -> "AtomId":
        return cls(c.lo, c.hi)

    def _c(self):
        return {"lo": self._lo, "hi": self._hi}

    def part(self, i: int) -> "AtomId":
        """The id of part ``i`` (from 0) of the array this id names."""
        if not isinstance(i, int):
            raise TypeError("a part index is an int")
        if not 0 <= i < MAX_PARTS:
            raise ValueError(f"part index {i} out of range 0..{MAX_PARTS - 1}")
        if self.is_part:
            raise ValueError(f"{self} is a part, not an array")
        return AtomId._from_c(lib.scratch_array_part_id(self._c(), i))

    @property
    def is_part(self) -> bool:
        """True for the id of an array's part."""
        return bool(lib.scratch_id_is_part(self._c()))

    def __str__(self) -> str:
        return f"{self._lo:016x}{self._hi:016x}"

    def __repr__(self) -> str:
        return f"AtomId.parse('{self}')"

    def __eq__(self, other) -> bool:
        if not isinstance(other, AtomId):
            return NotImplemented
        return self._lo == other._lo and self._hi == other._hi

    def __hash__(self) -> int:
        return hash((self._lo, self._hi))

    def __reduce__(self):
        return (AtomId, (self._lo, self._hi))


@dataclass(frozen=True)
class AtomInfo:
    """What ``Space.stat`` tells of an atom."""

    length: int  #: logical bytes: what a get returns
    stored_len: int  #: bytes on the drive
    xxh64: int  #: checksum of the stored bytes
    nr_parts: int  #: parts of an array, 0 for an atom
    type: int  #: the user's type tag
    compressed: bool  #: stored as zstd
    verified: bool  #: checked against its checksum (or written) since attach


@dataclass(frozen=True)
class SpaceInfo:
    """What ``Space.info`` tells of the space (``struct scratch_info``)."""

    space_id: int
    nr_regions: int
    segment_size: int
    capacity: int
    nr_segments: int
    free_segments: int
    pinned_segments: int
    used_bytes: int
    atoms: int
    evictions: int
    bytes_written: int
    bytes_read: int
    atom_ram_bytes: int
    unverified: int
    verified: int
    bad: int
    write_errors: int


def _id_arg(atom_id) -> AtomId:
    if not isinstance(atom_id, AtomId):
        raise TypeError(f"an AtomId is needed, not {type(atom_id).__name__}")
    return atom_id


def _type_arg(t) -> int:
    if not isinstance(t, int) or isinstance(t, bool):
        raise TypeError("type is an int")
    if not 0 <= t <= 0xFFFF:
        raise ValueError(f"type {t} out of range 0..65535")
    return t


def _put_flags(zstd, level, sync) -> int:
    flags = PUT_SYNC if sync else 0
    if zstd:
        if not isinstance(level, int) or not 0 <= level <= 19:
            raise ValueError("zstd level is 0 (default) to 19")
        flags |= PUT_ZSTD | (level & 0x1F) << 8
    return flags


def _readable(buffer, what="buffer"):
    try:
        c = ffi.from_buffer(buffer)
    except TypeError:
        raise TypeError(f"{what} must support the buffer protocol, "
                        f"not {type(buffer).__name__}") from None
    except BufferError as e:
        raise ValueError(f"{what} must be C-contiguous: {e}") from None
    if len(c) > ATOM_MAX:
        raise ValueError(f"{what} of {len(c)} bytes: an atom holds at most {ATOM_MAX}")
    return c


def _iovec(buffers, what):
    """An iovec array over ``buffers`` and the cffi views that keep them pinned."""
    keep = [_readable(b, f"{what} {i}") for i, b in enumerate(buffers)]
    iov = ffi.new("struct iovec[]", len(keep))
    for i, c in enumerate(keep):
        iov[i].iov_base = c
        iov[i].iov_len = len(c)
    return iov, keep


def _writable(buffer):
    try:
        return ffi.from_buffer(buffer, require_writable=True)
    except (TypeError, BufferError) as e:
        if isinstance(e, TypeError) or "writable" in str(e):
            raise TypeError(f"a writable buffer is needed (bytearray, memoryview, numpy "
                            f"array), not {type(buffer).__name__}") from None
        raise ValueError(f"the buffer must be C-contiguous: {e}") from None


class Map:
    """A read-only, zero-copy view of an atom's bytes out of the page cache.

    ``view`` is a read-only ``memoryview`` (``numpy.frombuffer(m.view)``
    copies nothing).  The map pins the atom's segment, so eviction leaves it
    alone, until ``close()`` (or the end of a ``with`` block) and until the
    last numpy array or memoryview made from ``view`` is gone, whichever is
    later: bytes in use are never unmapped.  After ``close()``, ``view``
    raises ValueError.  A map never closed is released with its last
    reference.
    """

    __slots__ = ("id", "_base", "_view", "_is_copy", "__weakref__")

    def __init__(self, atom_id: AtomId, mp):
        n = lib.scratch_map_len(mp)
        data = ffi.cast("char *", lib.scratch_map_data(mp))
        # The release rides on the pointer that the buffer keeps alive: the
        # mapping goes when the last buffer, memoryview or array of it does.
        owner = ffi.gc(data, lambda _p, mp=mp: lib.scratch_map_release(mp))
        self.id = atom_id
        self._is_copy = bool(lib.scratch_map_is_copy(mp))
        self._base = memoryview(ffi.buffer(owner, n))
        self._view = self._base.toreadonly()

    @property
    def view(self) -> memoryview:
        """The atom's bytes, read-only; ValueError once the map is closed."""
        if self._view is None:
            raise ValueError(f"map of {self.id} is closed")
        return self._view

    def __buffer__(self, flags):  # Python 3.12+: memoryview(m) works too
        return self.view

    @property
    def is_copy(self) -> bool:
        """True when the bytes are a decompressed copy, not the page cache's pages."""
        return self._is_copy

    @property
    def closed(self) -> bool:
        return self._view is None

    def __len__(self) -> int:
        return self.view.nbytes

    def __getitem__(self, key):
        return self.view[key]

    def tobytes(self) -> bytes:
        """A copy of the atom's bytes."""
        return self.view.tobytes()

    def close(self) -> None:
        """End the map: ``view`` raises ValueError from now on.  Idempotent.

        The mapping (and the pin of its segment) goes now if nothing else
        holds its bytes; numpy arrays or memoryviews made from ``view`` keep
        them mapped until they go, so nothing is ever unmapped under them.
        """
        v, self._view = self._view, None
        if v is None:
            return
        for mv in (v, self._base):
            try:
                mv.release()
            except BufferError:
                pass  # exported: the exporter's holder keeps the mapping alive
        self._base = None

    def __enter__(self) -> "Map":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._view is None else f"{self._view.nbytes} bytes"
        return f"<scratch.Map {self.id} {state}>"


class Horizon(NamedTuple):
    """How far atoms are from eviction (``Space.horizon``).

    ``bytes[i]``: the bytes of new writes the space takes before the segment
    of the i-th id is evicted (first in, first out), ``None`` if the atom is
    missing, ``math.inf`` while its segment is pinned (mapped or in use).
    ``write_rate``: the space's recent bytes written per second, so that
    ``bytes[i] / write_rate`` is about the seconds left.
    """
    bytes: List[Optional[float]]
    write_rate: int


class Eviction(NamedTuple):
    """One evicted segment: every id of that segment and generation is gone."""
    segment: int
    generation: int


def _id_array(atom_ids):
    ids = [_id_arg(i) for i in atom_ids]
    c = ffi.new("struct scratch_id[]", max(len(ids), 1))
    for i, a in enumerate(ids):
        c[i] = a._c()
    return ids, c


class Watch:
    """The evictions of a space as they happen (``Space.watch``).

    ``fileno()`` polls readable (select, poll, selectors, asyncio's
    ``add_reader``) while evictions lie past the cursor of the last
    ``read()``; ``read()`` returns them and advances ``cursor`` (the caller
    may set it: it counts evictions since the space was attached);
    ``gone(evictions, ids)`` says which ids they took, without I/O.  A watch
    outlives its Space and holds the space attached until closed.  One thread
    at a time.
    """

    def __init__(self, w):
        self._w = w
        self.cursor = 0
        #: evictions skipped by the last read, the module no longer keeping them
        self.lost = 0

    def fileno(self) -> int:
        if self._w is None:
            raise ValueError("I/O operation on a closed watch")
        return lib.scratch_watch_fd(self._w)

    def read(self, max_events: int = 4096) -> List[Eviction]:
        """The evictions from ``cursor`` on (at most ``max_events``); never blocks."""
        if self._w is None:
            raise ValueError("I/O operation on a closed watch")
        if not isinstance(max_events, int) or not 0 < max_events <= 1 << 20:
            raise ValueError("max_events is 1 to 1048576")
        ev = ffi.new("struct scratch_eviction[]", max_events)
        cur = ffi.new("uint64_t *", self.cursor)
        lost = ffi.new("uint64_t *")
        n = raise_for(lib.scratch_watch_read(self._w, cur, ev, max_events, lost), what="watch")
        self.cursor = cur[0]
        self.lost = lost[0]
        return [Eviction(ev[i].segment, ev[i].generation) for i in range(n)]

    @staticmethod
    def gone(evictions: Sequence[Eviction], atom_ids: Iterable[AtomId]) -> List[bool]:
        """Which of ``atom_ids`` the ``evictions`` took (a part goes with its array)."""
        ids, c = _id_array(atom_ids)
        ev = ffi.new("struct scratch_eviction[]", max(len(evictions), 1))
        for i, e in enumerate(evictions):
            ev[i].segment, ev[i].generation = e
        res = ffi.new("uint8_t[]", max(len(ids), 1))
        raise_for(lib.scratch_watch_gone(ev, len(evictions), c, len(ids), res), what="gone")
        return [bool(res[i]) for i in range(len(ids))]

    def close(self) -> None:
        w, self._w = self._w, None
        if w is not None:
            lib.scratch_watch_close(w)

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()


class Space:
    """An open scratch space (``/dev/scratchN`` or a link to it, such as
    ``/dev/scratch/NAME``), bound to ``tenant``: its atoms are invisible to
    other tenants.

    Every method may be called from several threads at once; the GIL is
    released during the library's I/O.  ``close()`` waits for calls in
    progress; a call after it raises ValueError.
    """

    def __init__(self, path: str, tenant: int = 0, *, verify: bool = False,
                 queue_depth: int = 0):
        if not isinstance(tenant, int) or not 0 <= tenant < 1 << 32:
            raise ValueError("tenant is an unsigned 32-bit integer")
        if not isinstance(queue_depth, int) or not 0 <= queue_depth <= 4096:
            raise ValueError("queue_depth is 0 (the default) to 4096")
        sp = ffi.new("struct scratch **")
        raise_for(lib.scratch_space_open(str(path).encode(), tenant, 1 if verify else 0,
                                         queue_depth, sp), what=str(path))
        self._s = sp[0]
        self.path = str(path)
        self.tenant = tenant
        self._cv = threading.Condition()
        self._active = 0

    # ---- lifetime: no call may run on a closed handle ---------------------------------

    def _enter(self):
        with self._cv:
            if self._s is None:
                raise ValueError("I/O operation on a closed space")
            self._active += 1
            return self._s

    def _leave(self):
        with self._cv:
            self._active -= 1
            if not self._active:
                self._cv.notify_all()

    def _call(self, fn, *args, atom_id=None, what=None) -> int:
        """``fn(handle, *args)`` on the open handle; its -errno raised."""
        s = self._enter()
        try:
            ret = fn(s, *args)
        finally:
            self._leave()
        return raise_for(ret, atom_id, what)

    def close(self) -> None:
        """Close the handle, once calls in progress end.  Maps stay valid."""
        with self._cv:
            s, self._s = self._s, None
            while self._active:
                self._cv.wait()
        if s is not None:
            lib.scratch_space_close(s)

    @property
    def closed(self) -> bool:
        return self._s is None

    def __enter__(self) -> "Space":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_s", None) is not None:
            lib.scratch_space_close(self._s)
            self._s = None

    def fileno(self) -> int:
        return self._call(lib.scratch_space_fd)

    # ---- writing ----------------------------------------------------------------------

    def put(self, buffer: Buffer, type: int = 0, zstd: bool = False, *, level: int = 0,
            sync: bool = False) -> AtomId:
        """Store ``buffer``'s bytes as one atom and return its id.

        ``zstd`` compresses (``level`` 0 is zstd's default); ``sync`` makes it
        durable before returning (else ``sync()`` does, for many at once).
        """
        flags = _put_flags(zstd, level, sync)
        t = _type_arg(type)
        c = _readable(buffer)
        out = ffi.new("struct scratch_id *")
        self._call(lib.scratch_atom_put, c, len(c), t, flags, out, what="put")
        return AtomId._from_c(out)

    def putv(self, buffers: Sequence[Buffer], type: int = 0, zstd: bool = False, *,
             level: int = 0, sync: bool = False) -> AtomId:
        """Store the buffers, one after the other, as one atom (gathered: not
        joined in memory first); the id names their concatenation."""
        flags = _put_flags(zstd, level, sync)
        t = _type_arg(type)
        buffers = list(buffers)
        if not 1 <= len(buffers) <= 1024:
            raise ValueError(f"putv takes 1 to 1024 buffers, not {len(buffers)}")
        iov, keep = _iovec(buffers, "buffer")
        if sum(len(c) for c in keep) > ATOM_MAX:
            raise ValueError(f"an atom holds at most {ATOM_MAX} bytes")
        out = ffi.new("struct scratch_id *")
        self._call(lib.scratch_atom_putv, iov, len(keep), t, flags, out, what="putv")
        return AtomId._from_c(out)

    def put_array(self, parts: Sequence[Buffer], type: int = 0, zstd: bool = False, *,
                  level: int = 0, sync: bool = False) -> AtomId:
        """Store the buffers of ``parts`` as one array; ``id.part(i)`` names part i."""
        flags = _put_flags(zstd, level, sync)
        t = _type_arg(type)
        parts = list(parts)
        if not 1 <= len(parts) <= MAX_PARTS:
            raise ValueError(f"an array has 1 to {MAX_PARTS} parts, not {len(parts)}")
        iov, keep = _iovec(parts, "part")
        out = ffi.new("struct scratch_id *")
        self._call(lib.scratch_array_put, iov, len(parts), t, flags, out, what="put_array")
        return AtomId._from_c(out)

    def sync(self) -> None:
        """Make every atom committed so far durable."""
        self._call(lib.scratch_space_sync, what="sync")

    # ---- reading ----------------------------------------------------------------------

    def get_into(self, atom_id: AtomId, buffer: Buffer, *, verify: bool = False) -> int:
        """Read the atom into ``buffer`` (bytearray, memoryview, numpy array: any
        writable, contiguous buffer) with no copy of ours; return its length.

        MissingAtomError (a KeyError) if it is missing, DamagedAtomError (an
        OSError, EBADMSG) if its bytes are bad, ScratchValueError (ENOBUFS) if
        ``buffer`` is shorter than the atom.
        """
        atom_id = _id_arg(atom_id)
        c = _writable(buffer)
        n = ffi.new("uint64_t *")
        s = self._enter()
        try:
            ret = lib.scratch_atom_get(s, atom_id._c(), c, len(c), GET_VERIFY if verify else 0,
                                       n)
        finally:
            self._leave()
        if ret == -errno.ENOBUFS:  # say how much was needed
            raise ScratchValueError(errno.ENOBUFS, f"get_into {atom_id}: a buffer of {len(c)} bytes "
                                         f"for an atom of {n[0]}")
        raise_for(ret, atom_id)
        return n[0]

    def get(self, atom_id: AtomId, *, verify: bool = False) -> bytes:
        """The atom's bytes (one copy into the new bytes object: ``get_into``
        and ``map`` copy less)."""
        atom_id = _id_arg(atom_id)
        n = ffi.new("uint64_t *")
        buf = ffi.NULL
        s = self._enter()
        try:
            flags = GET_VERIFY if verify else 0
            ret = lib.scratch_atom_get(s, atom_id._c(), ffi.NULL, 0, flags, n)
            while ret == -errno.ENOBUFS:
                buf = ffi.new("char[]", max(n[0], 1))
                ret = lib.scratch_atom_get(s, atom_id._c(), buf, n[0], flags, n)
        finally:
            self._leave()
        raise_for(ret, atom_id)
        return ffi.buffer(buf, n[0])[:] if n[0] else b""

    def get_many(self, atom_ids: Iterable[AtomId], *, verify: bool = False,
                 missing_ok: bool = False) -> List[Optional[bytes]]:
        """The bytes of many atoms, read in one batch through io_uring.

        A missing atom raises MissingAtomError, or is None with ``missing_ok``.
        """
        ids = [_id_arg(i) for i in atom_ids]
        if not ids:
            return []
        n = len(ids)
        reqs = ffi.new("struct scratch_get[]", n)
        for i, a in enumerate(ids):
            reqs[i].id = a._c()
        flags = GET_VERIFY if verify else 0
        bufs = [None] * n
        s = self._enter()
        try:
            # First pass: the lengths (ENOBUFS with len filled); then the reads.
            raise_for(lib.scratch_atom_get_batch(s, reqs, n, flags), what="get_many")
            todo = [i for i in range(n) if reqs[i].res == -errno.ENOBUFS]
            while todo:
                for i in todo:
                    bufs[i] = ffi.new("char[]", max(reqs[i].len, 1))
                    reqs[i].buf = bufs[i]
                    reqs[i].cap = reqs[i].len
                    reqs[i].res = 0
                sub = ffi.new("struct scratch_get[]", len(todo))
                for k, i in enumerate(todo):
                    sub[k] = reqs[i]
                raise_for(lib.scratch_atom_get_batch(s, sub, len(todo), flags),
                          what="get_many")
                for k, i in enumerate(todo):
                    reqs[i] = sub[k]
                todo = [i for i in todo if reqs[i].res == -errno.ENOBUFS]
        finally:
            self._leave()
        out: List[Optional[bytes]] = []
        for i, a in enumerate(ids):
            r = reqs[i].res
            if r == -errno.ENOENT and missing_ok:
                out.append(None)
                continue
            raise_for(r, a)
            out.append(ffi.buffer(bufs[i], reqs[i].len)[:] if reqs[i].len else b"")
        return out

    def map(self, atom_id: AtomId, *, verify: bool = False) -> Map:
        """A read-only map of the atom (see ``Map``): zero copies for a raw atom."""
        atom_id = _id_arg(atom_id)
        mp = ffi.new("struct scratch_map **")
        self._call(lib.scratch_atom_map, atom_id._c(), GET_VERIFY if verify else 0, mp,
                   atom_id=atom_id)
        return Map(atom_id, mp[0])

    # ---- metadata ---------------------------------------------------------------------

    def present(self, atom_ids: Iterable[AtomId]) -> List[bool]:
        """Whether each atom is present, in one call and no I/O."""
        ids = [_id_arg(i) for i in atom_ids]
        if not ids:
            return []
        c = ffi.new("struct scratch_id[]", len(ids))
        for i, a in enumerate(ids):
            c[i] = a._c()
        res = ffi.new("uint8_t[]", len(ids))
        self._call(lib.scratch_atom_present, c, len(ids), res, what="present")
        return [bool(res[i]) for i in range(len(ids))]

    def __contains__(self, atom_id) -> bool:
        return isinstance(atom_id, AtomId) and self.present([atom_id])[0]

    def horizon(self, atom_ids: Iterable[AtomId]) -> Horizon:
        """How many bytes of new writes each atom has before eviction (see
        ``Horizon``), and the space's recent write rate; no I/O."""
        ids, c = _id_array(atom_ids)
        out = ffi.new("uint64_t[]", max(len(ids), 1))
        rate = ffi.new("uint64_t *")
        self._call(lib.scratch_atom_horizon, c, len(ids), out, rate, what="horizon")
        conv = {HORIZON_MISSING: None, HORIZON_PINNED: math.inf}
        return Horizon([conv.get(out[i], out[i]) for i in range(len(ids))], rate[0])

    def watch(self, *, from_start: bool = False) -> Watch:
        """A ``Watch`` of this space's evictions: from now on, or with
        ``from_start`` from the first since the space was attached."""
        wp = ffi.new("struct scratch_watch **")
        self._call(lib.scratch_watch_open, EVENTS_FROM_START if from_start else 0, wp,
                   what="watch")
        return Watch(wp[0])

    def stat(self, atom_id: AtomId) -> AtomInfo:
        """The atom's lengths, checksum, type and state."""
        atom_id = _id_arg(atom_id)
        info = ffi.new("struct scratch_atom_info *")
        self._call(lib.scratch_atom_stat, atom_id._c(), info,
                   ffi.sizeof("struct scratch_atom_info"),
                   atom_id=atom_id)
        return AtomInfo(info.length, info.stored_len, info.xxh64, info.nr_parts, info.type,
                        bool(info.atom_flags & ATOM_ZSTD), bool(info.status & STAT_VERIFIED))

    def verify(self, atom_id: AtomId) -> None:
        """Check the atom's stored bytes against their checksum now (DamagedAtomError if bad)."""
        atom_id = _id_arg(atom_id)
        self._call(lib.scratch_atom_verify, atom_id._c(), 0, atom_id=atom_id)

    def info(self) -> SpaceInfo:
        """Capacity, use and counters of the space."""
        i = ffi.new("struct scratch_info *")
        self._call(lib.scratch_space_info, i, ffi.sizeof("struct scratch_info"), what="info")
        return SpaceInfo(i.space_id, i.nr_regions, 1 << i.seg_shift, i.capacity, i.nr_segments,
                         i.free_segments, i.pinned_segments, i.used_bytes, i.atoms, i.evictions,
                         i.bytes_written, i.bytes_read, i.atom_ram_bytes, i.unverified,
                         i.verified, i.bad, i.write_errors)

    def __repr__(self) -> str:
        state = "closed" if self._s is None else "open"
        return f"<scratch.Space {self.path} tenant {self.tenant} {state}>"


# MissingAtomError is re-exported here for `from scratch.space import *` users.
__all__ += ["MissingAtomError"]
