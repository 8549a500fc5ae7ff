# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""A Dask spill store on scratch: a distributed worker's spilled values as atoms.

    from distributed import LocalCluster
    from scratch.dask import scratch_data

    cluster = LocalCluster(n_workers=2, memory_limit="1GiB",
                           data=scratch_data("/dev/scratch/work"))

``scratch_data(path)`` is what ``Worker(data=...)`` (and LocalCluster, which
hands it to its workers) takes: each worker process builds a
``ScratchSpillBuffer``, Dask's own ``SpillBuffer`` (so ``memory_limit``, the
target/spill/pause fractions and ``max-spill`` work as with the default
spill directory) whose slow store keeps each spilled value as one atom,
serialized by Dask's own ``serialize_bytelist`` and written gathered, with
no join in memory.  Each worker is its own tenant.

Evicted values.  Dask 2022.12 has no way for a worker to say "a value I hold
is gone, recompute it": a value missing from ``data`` fails the task that
needs it (the worker takes the KeyError for an actor lookup).  So
the store never lets a value Dask holds be evicted: each spilled value's
atom is mapped (``Space.map``) while it is stored, which pins its segment.
When pinned values fill the space, a spill fails with ENOSPC (or the
tenant's pin quota, EDQUOT), which Dask's SpillBuffer handles as a full
disk: the value stays in memory and the worker pauses at its pause
threshold, as with a full spill directory.  A value read back is served
from the map without a copy where Dask's deserialization allows it.
"""
from __future__ import annotations

import errno
import os
from collections.abc import MutableMapping
from time import perf_counter
from typing import Any, Dict, Iterator, Optional

import zict
from distributed.protocol import deserialize_bytes, serialize_bytelist
from distributed.spill import (FastMetrics, SlowMetrics, SpilledSize, SpillBuffer, Slow,
                               _in_memory_weight, has_zict_220)

from .errors import MissingAtomError
from .space import Map, Space

__all__ = ["AtomStore", "ScratchSpillBuffer", "scratch_data"]

TYPE_DASK = 0xDA5C  # the atoms' type tag


class AtomStore(MutableMapping):
    """key -> serialized frames, each value one atom, mapped (so pinned) while stored.

    ``store[key] = frames`` writes them as one atom; ``store[key]`` is a
    read-only memoryview of it (no copy); ``del store[key]`` unpins it (the
    atom stays until eviction; a value still using its bytes keeps its map).
    """

    def __init__(self, space: Space):
        self.space = space
        self._maps: Dict[str, Map] = {}

    def __setitem__(self, key: str, frames) -> None:
        if isinstance(frames, (bytes, bytearray, memoryview)):
            frames = [frames]
        elif len(frames) > 1024:  # putv gathers up to IOV_MAX buffers
            frames = [b"".join(frames)]
        try:
            aid = self.space.putv(frames, type=TYPE_DASK)
            m = self.space.map(aid)
        except MissingAtomError:
            # Evicted between its commit and its map: the space is full of others' data.
            raise OSError(errno.ENOSPC, f"scratch space full: {key!r} evicted before pinned") \
                from None
        old = self._maps.pop(key, None)
        self._maps[key] = m
        if old is not None:
            self._drop(old)

    def __getitem__(self, key: str) -> memoryview:
        return self._maps[key].view

    @staticmethod
    def _drop(m: Map) -> None:
        try:
            m.close()
        except BufferError:
            pass  # a deserialized value still uses its bytes: its map goes with it

    def __delitem__(self, key: str) -> None:
        self._drop(self._maps.pop(key))

    def __contains__(self, key) -> bool:
        return key in self._maps

    def __iter__(self) -> Iterator[str]:
        return iter(self._maps)

    def __len__(self) -> int:
        return len(self._maps)


class ScratchSlow(Slow):
    """Dask's Slow (serialization, max-spill and metrics) over an AtomStore."""

    def __init__(self, space: Space, max_weight=False):
        zict.Func.__init__(self, lambda v: serialize_bytelist(v, on_error="raise"),
                           deserialize_bytes, AtomStore(space))
        self.max_weight = max_weight
        self.weight_by_key = {}
        self.total_weight = SpilledSize(0, 0)
        self.metrics = SlowMetrics()

    def __getitem__(self, key: str) -> Any:
        # Slow's own wants bytes from its file; an atom comes back as a map's memoryview.
        t0 = perf_counter()
        frames = self.d[key]
        t1 = perf_counter()
        out = self.load(frames)
        t2 = perf_counter()
        self.metrics.log_read(key_bytes=frames.nbytes, read_time=t1 - t0,
                              unpickle_time=t2 - t1)
        return out


class ScratchSpillBuffer(SpillBuffer):
    """Dask's SpillBuffer, spilling to a scratch space instead of a directory.

    ``close()`` unpins every spilled value and closes the space handle.
    """

    def __init__(self, path: str, target: int, max_spill=False, tenant: Optional[int] = None,
                 min_log_interval: float = 2):
        # SpillBuffer.__init__ would open a spill directory: its body, with our slow store.
        self.space = Space(path, tenant=os.getpid() if tenant is None else tenant)
        slow = ScratchSlow(self.space, max_spill)
        if has_zict_220:
            slow = zict.Cache(slow, zict.WeakValueMapping())
        zict.Buffer.__init__(self, fast={}, slow=slow, n=target, weight=_in_memory_weight)
        self.last_logged = 0
        self.min_log_interval = min_log_interval
        self.logged_pickle_errors = set()
        self.fast_metrics = FastMetrics()

    def close(self) -> None:
        store = self._slow_uncached.d
        for key in list(store):
            del store[key]
        self.space.close()


def _sizes(memory_limit) -> tuple:
    """target and max_spill of a worker, from Dask's config, as Worker computes them."""
    import dask
    from dask.utils import parse_bytes

    target_frac = dask.config.get("distributed.worker.memory.target")
    spill_frac = dask.config.get("distributed.worker.memory.spill")
    max_spill = dask.config.get("distributed.worker.memory.max-spill")
    frac = target_frac or spill_frac
    target = int(parse_bytes(memory_limit) * frac) if memory_limit and frac else 2**62
    if max_spill is not False:
        max_spill = parse_bytes(max_spill) if isinstance(max_spill, str) else int(max_spill)
    return target, max_spill


def scratch_data(path: str, memory_limit=None, tenant: Optional[int] = None):
    """What ``Worker(data=...)`` or ``LocalCluster(data=...)`` takes for a scratch spill.

    ``memory_limit`` must be the workers' own (bytes or "4GiB"); the target
    (spill) threshold is its ``distributed.worker.memory.target`` fraction, as
    for Dask's default store.  ``tenant`` defaults to each worker's pid.
    """
    target, max_spill = _sizes(memory_limit)
    return (ScratchSpillBuffer, {"path": path, "target": target, "max_spill": max_spill,
                                 "tenant": tenant})
