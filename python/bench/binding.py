# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The binding's overhead: the loops of tools/scratch-bindbench.c, through Python.

Stores N atoms of SIZE bytes, then times, over ROUNDS passes of all of them in
the page cache: ``Space.get_into`` into one buffer, ``Space.map`` + a copy of
the whole view + ``close``, and the same map + copy through cffi's bare calls
(what the binding's own Python costs, apart from running in Python at all).
One JSON object per phase, the same keys as the C program's, so that the two
can be divided.

Usage: python3 binding.py SPACE SIZE N ROUNDS
"""
import ctypes
import json
import statistics
import sys
from time import perf_counter

from scratch import Space

ALIGN = 2 << 20


def report(phase, size, secs, lat):
    """Throughput over the whole loop, and the median call (robust to a stall of the VM)."""
    calls = len(lat)
    print(json.dumps({"phase": phase, "side": "python", "atom_bytes": size, "calls": calls,
                      "seconds": round(secs, 4), "MBps": round(size * calls / secs / 1e6, 1),
                      "call_us_median": round(statistics.median(lat) * 1e6, 1)}), flush=True)


def main(path, size, n, rounds):
    # 2 MiB-aligned, as the C program's: the same huge pages (THP) on both sides, else
    # the copies' cost under TCG depends on where malloc put the buffer.
    raw = bytearray(size + ALIGN)
    off = -ctypes.addressof((ctypes.c_char * len(raw)).from_buffer(raw)) % ALIGN
    dst = view = memoryview(raw)[off:off + size]
    with Space(path) as space:
        ids = [space.put(bytes([ord("a") + i % 26]) * size) for i in range(n)]

        lat = []
        t0 = perf_counter()
        for _ in range(rounds):
            for i, aid in enumerate(ids):
                t = perf_counter()
                got = space.get_into(aid, dst)
                lat.append(perf_counter() - t)
                if got != size or dst[size - 1] != ord("a") + i % 26:
                    sys.exit(f"binding.py: get_into {aid}: wrong bytes")
        report("get_into", size, perf_counter() - t0, lat)

        lat = []
        t0 = perf_counter()
        for _ in range(rounds):
            for i, aid in enumerate(ids):
                t = perf_counter()
                with space.map(aid) as m:
                    view[:] = m.view
                lat.append(perf_counter() - t)
                if dst[size - 1] != ord("a") + i % 26:
                    sys.exit(f"binding.py: map {aid}: wrong bytes")
        report("map_copy", size, perf_counter() - t0, lat)

        # The same through cffi's bare calls, none of the binding's Python: what the
        # binding itself costs, apart from running in a Python process at all.
        from scratch._lib import ffi, lib
        dst_c = ffi.from_buffer(dst)
        mp = ffi.new("struct scratch_map **")
        handle = space._s
        lat = []
        t0 = perf_counter()
        for _ in range(rounds):
            for i, aid in enumerate(ids):
                t = perf_counter()
                if lib.scratch_atom_map(handle, aid._c(), 0, mp):
                    sys.exit(f"binding.py: bare map {aid} failed")
                ffi.memmove(dst_c, lib.scratch_map_data(mp[0]), lib.scratch_map_len(mp[0]))
                lib.scratch_map_release(mp[0])
                lat.append(perf_counter() - t)
                if dst[size - 1] != ord("a") + i % 26:
                    sys.exit(f"binding.py: bare map {aid}: wrong bytes")
        report("map_copy_cffi", size, perf_counter() - t0, lat)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: binding.py SPACE SIZE N ROUNDS")
    main(sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3]), int(sys.argv[4]))
