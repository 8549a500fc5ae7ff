# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The binding against the module: run in the worker-host VM (tests/vm/host/test.sh) with
SCRATCH_SPACE naming an attached space; skipped elsewhere."""
import errno
import math
import os
import random
import selectors
import threading

import pytest

import scratch

SPACE = os.environ.get("SCRATCH_SPACE")
SMALL = os.environ.get("SCRATCH_SMALL_SPACE")
pytestmark = pytest.mark.skipif(not SPACE, reason="SCRATCH_SPACE names no attached space")
TENANT = 4242


def pattern(n, seed):
    return random.Random(seed).randbytes(n)


@pytest.fixture
def sp():
    with scratch.Space(SPACE, tenant=TENANT) as s:
        yield s


@pytest.mark.parametrize("n", [0, 1, 4095, 4096, 4097, 1 << 20, (4 << 20) + 3])
@pytest.mark.parametrize("zstd", [False, True])
def test_round_trip(sp, n, zstd):
    data = pattern(n, n) if not zstd else bytes(n // 2) + pattern(n - n // 2, n)
    aid = sp.put(data, type=7, zstd=zstd)
    assert sp.get(aid) == data
    buf = bytearray(n + 10)
    assert sp.get_into(aid, buf) == n and buf[:n] == data
    st = sp.stat(aid)
    assert (st.length, st.type, st.nr_parts) == (n, 7, 0)
    if not zstd:
        assert not st.compressed and st.stored_len == max(n, 1)


def test_get_into_numpy_and_memoryview(sp):
    np = pytest.importorskip("numpy")
    a = np.arange(1 << 18, dtype=np.uint32)
    aid = sp.put(a)
    b = np.empty_like(a)
    assert sp.get_into(aid, b) == a.nbytes
    assert np.array_equal(a, b)
    big = bytearray(a.nbytes * 2)
    assert sp.get_into(aid, memoryview(big)[a.nbytes:]) == a.nbytes
    assert bytes(big[a.nbytes:]) == a.tobytes()


def test_small_buffer_says_how_much(sp):
    aid = sp.put(b"x" * 5000)
    with pytest.raises(ValueError) as e:
        sp.get_into(aid, bytearray(100))
    assert e.value.errno == errno.ENOBUFS and "5000" in str(e.value)


def test_arrays(sp):
    parts = [pattern(n, i) for i, n in enumerate([0, 1, 4096, 70000])]
    arr = sp.put_array(parts)
    assert sp.stat(arr).nr_parts == 4
    for i, p in enumerate(parts):
        assert sp.get(arr.part(i)) == p
    with pytest.raises(ValueError) as e:
        sp.get(arr)
    assert e.value.errno == errno.EISDIR
    with pytest.raises(KeyError):
        sp.get(arr.part(4))


def test_map_is_zero_copy_and_read_only(sp):
    np = pytest.importorskip("numpy")
    a = np.arange(1 << 20, dtype=np.uint32)  # 4 MiB
    aid = sp.put(a)
    m = sp.map(aid)
    assert not m.is_copy and len(m) == a.nbytes and m.view.readonly
    v = np.frombuffer(m.view, dtype=np.uint32)
    assert np.array_equal(v, a) and not v.flags.writeable
    # The array's memory is the map's: no copy was made.
    assert v.__array_interface__["data"][0] == np.frombuffer(m.view, np.uint8).ctypes.data
    with pytest.raises(ValueError):
        v[0] = 1
    pinned = sp.info().pinned_segments
    assert pinned >= 1
    m.close()  # v still uses the bytes: they stay mapped, the segment pinned
    assert m.closed
    with pytest.raises(ValueError):
        m.view
    with pytest.raises(ValueError):
        m[0]
    assert int(v[12345]) == 12345 and np.array_equal(v, a)
    assert sp.info().pinned_segments == pinned
    del v  # the last user: now the mapping goes, and its pin
    assert sp.info().pinned_segments == pinned - 1
    m.close()


def test_map_view_held_after_close_raises(sp):
    aid = sp.put(b"q" * 10000)
    m = sp.map(aid)
    mv = m.view
    m.close()
    with pytest.raises(ValueError):
        mv[0]  # released with the map: raises, never reads unmapped memory


def test_map_outlives_dropped_handles(sp):
    data = pattern(100000, 3)
    aid = sp.put(data)
    view = sp.map(aid).view  # the Map object is gone; its view keeps the mapping
    assert view.tobytes() == data
    with scratch.Space(SPACE, tenant=TENANT) as other:
        m = other.map(aid)
    assert m.tobytes() == data  # the space handle is closed: maps stay valid
    m.close()


def test_map_of_compressed_atom_is_a_copy(sp):
    data = bytes(200000)
    aid = sp.put(data, zstd=True)
    with sp.map(aid) as m:
        assert m.is_copy and m.tobytes() == data


def test_get_many(sp):
    ids, want = [], []
    for i in range(10000):
        d = pattern(1 + i % 700, i)
        ids.append(sp.put(d))
        want.append(d)
    sp.sync()
    got = sp.get_many(ids)
    assert got == want
    missing = scratch.AtomId.parse("7" * 32)
    with pytest.raises(KeyError):
        sp.get_many([ids[0], missing])
    assert sp.get_many([ids[0], missing], missing_ok=True) == [want[0], None]
    assert sp.present(ids[:3] + [missing]) == [True, True, True, False]


def test_missing_and_other_tenants(sp):
    aid = sp.put(b"mine")
    with scratch.Space(SPACE, tenant=TENANT + 1) as other:
        with pytest.raises(scratch.MissingAtomError) as e:
            other.get(aid)
        assert isinstance(e.value, KeyError) and e.value.id == aid
        assert other.present([aid]) == [False]
        with pytest.raises(KeyError):
            other.map(aid)
        with pytest.raises(KeyError):
            other.stat(aid)
    assert aid in sp


def test_sync_info_verify(sp):
    aid = sp.put(b"y" * 10000, sync=True)
    sp.verify(aid)
    info = sp.info()
    assert info.capacity > 0 and info.atoms >= 1 and info.segment_size >= 1 << 20
    sp.sync()


def test_threads_share_a_space(sp):
    ids = [sp.put(pattern(300000, i)) for i in range(8)]
    errors = []

    def reader(k):
        try:
            for j in range(20):
                i = (k + j) % 8
                assert sp.get(ids[i]) == pattern(300000, i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_closed_space_raises_and_maps_stay():
    s = scratch.Space(SPACE, tenant=TENANT)
    aid = s.put(b"z" * 9000)
    m = s.map(aid)
    s.close()
    with pytest.raises(ValueError):
        s.get(aid)
    assert m.tobytes() == b"z" * 9000
    m.close()


def test_horizon(sp):
    ids = [sp.put(pattern(100000, i)) for i in range(5)]
    missing = scratch.AtomId.parse("7" * 32)
    h = sp.horizon(ids + [missing])
    assert h.bytes[-1] is None
    assert all(isinstance(b, int) for b in h.bytes[:5])
    assert h.bytes[0] <= h.bytes[4] and h.write_rate > 0
    with sp.map(ids[0]):
        assert sp.horizon([ids[0]]).bytes == [math.inf]
    assert isinstance(sp.horizon([ids[0]]).bytes[0], int)
    assert sp.horizon([]).bytes == []
    with pytest.raises(TypeError):
        sp.horizon(["not an id"])


@pytest.mark.skipif(not SMALL, reason="SCRATCH_SMALL_SPACE names no small space")
def test_watch_follows_evictions():
    with scratch.Space(SMALL, tenant=TENANT + 7) as s, s.watch() as w, \
            selectors.DefaultSelector() as sel:
        sel.register(w, selectors.EVENT_READ)
        assert not sel.select(timeout=0)
        chunk = os.urandom(1 << 20)
        ids = []
        for _ in range(int(s.info().capacity * 1.5) >> 20):
            try:
                ids.append(s.put(chunk))
            except OSError as e:
                if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
        assert sel.select(timeout=10)
        # Follow until the background refill is done evicting: then the events
        # say exactly which ids are gone.
        evs = []
        while True:
            evs += w.read()
            gone = w.gone(evs, ids)
            present = s.present(ids)
            more = w.read()
            if not more:
                break
            evs += more
        assert w.lost == 0 and w.cursor >= len(evs)
        assert gone == [not p for p in present]
        assert any(gone) and not all(gone)
    with pytest.raises(ValueError):
        w.read()
