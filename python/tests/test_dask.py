# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The Dask spill store against the module, in the worker-host VM: SCRATCH_SPACE names a
space for the spills, SCRATCH_SMALL_SPACE a small one that the full-space tests fill."""
import errno
import gc
import importlib.util
import os

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("distributed")

import scratch  # noqa: E402
from scratch.dask import ScratchSpillBuffer, scratch_data  # noqa: E402

SPACE = os.environ.get("SCRATCH_SPACE")
SMALL = os.environ.get("SCRATCH_SMALL_SPACE")
pytestmark = pytest.mark.skipif(not SPACE, reason="SCRATCH_SPACE names no attached space")
MiB = 1 << 20


@pytest.fixture(autouse=True)
def release_pins():
    # A SpillBuffer is cyclic garbage: collect it, so its maps unpin before the next test.
    yield
    gc.collect()


def values(n, size, seed):
    rng = np.random.default_rng(seed)
    return {f"x-{seed}-{i}": rng.integers(0, 1 << 30, size // 8, dtype=np.int64) for i in range(n)}


def test_spills_and_reads_back():
    buf = ScratchSpillBuffer(SPACE, target=2 * MiB, tenant=9001)
    vals = values(40, 256 * 1024, 1)
    for k, v in vals.items():
        buf[k] = v
    # Dask's own serialization: frames as they are, or compressed when Dask has a
    # compressor (lz4 is optional); never more than the values and their headers.
    assert len(buf.slow) > 30 and buf.spilled_total.memory > 7 * MiB
    assert 0 < buf.spilled_total.disk <= buf.spilled_total.memory + 40 * 4096
    if importlib.util.find_spec("lz4"):
        assert buf.spilled_total.disk < buf.spilled_total.memory
    for k, v in vals.items():
        assert np.array_equal(buf[k], v)
    for k in list(vals):
        del buf[k]
    assert len(buf) == 0


def fill(space, nbytes):
    """Write nbytes as another tenant; the count written before the space refused."""
    chunk = os.urandom(MiB)
    done = 0
    while done < nbytes:
        try:
            space.put(chunk)
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                break
            raise
        done += MiB
    return done


@pytest.mark.skipif(not SMALL, reason="SCRATCH_SMALL_SPACE names no small space")
def test_spilled_values_are_never_evicted():
    buf = ScratchSpillBuffer(SMALL, target=MiB, tenant=9002)
    cap = buf.space.info().capacity
    vals = values(int(cap * 0.3) // MiB, MiB, 2)
    for k, v in vals.items():
        buf[k] = v
    assert len(buf.slow) >= len(vals) - 2
    # Another tenant writes three times the space: what Dask spilled is pinned.
    with scratch.Space(SMALL, tenant=9003) as other:
        fill(other, 3 * cap)
        assert buf.space.info().evictions > 0
    for k, v in vals.items():
        assert np.array_equal(buf[k], v)


@pytest.mark.skipif(not SMALL, reason="SCRATCH_SMALL_SPACE names no small space")
def test_full_space_is_dasks_disk_full():
    buf = ScratchSpillBuffer(SMALL, target=MiB, tenant=9004)
    cap = buf.space.info().capacity
    vals = values(int(cap * 1.3) // MiB, MiB, 3)
    for k, v in vals.items():
        buf[k] = v  # never raises: a spill that fails keeps the value in memory
    assert len(buf.fast) > 10 and len(buf.slow) > 0
    assert buf.spilled_total.disk <= cap
    # Read back without spilling more (an unspill that must spill another value into a
    # full space fails with OSError, as with Dask's own full disk): every value exact.
    buf.n = buf.fast.n = 4 * cap
    for k, v in vals.items():
        assert np.array_equal(buf[k], v)


def test_localcluster_shuffle_spills_through_scratch():
    import dask
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster, wait

    limit = 250 * MiB
    n = int(os.environ.get("SCRATCH_DASK_ROWS", 1_000_000))  # 3 int64 columns: 24 MB
    rng = np.random.default_rng(4)
    pdf = pd.DataFrame({"k": rng.integers(0, 50_000, n), "a": rng.integers(0, 1000, n),
                        "b": np.arange(n)})
    # Spill past 2% of the limit (5 MiB of data per worker, of about 12); patience for TCG.
    with dask.config.set({"distributed.worker.memory.target": 0.02,
                          "distributed.comm.timeouts.connect": "300s",
                          "distributed.comm.timeouts.tcp": "600s",
                          "distributed.scheduler.worker-ttl": None,
                          "distributed.worker.memory.spill": False,
                          "distributed.worker.memory.pause": False,
                          "distributed.worker.memory.terminate": False}):
        data = scratch_data(SPACE, limit)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          memory_limit=limit, data=data, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            ddf = dd.from_pandas(pdf, npartitions=24)
            got = ddf.groupby("k").agg({"a": "sum", "b": "max"}, split_out=8,
                                       shuffle="tasks").compute()
            shuffled = ddf.set_index("k", shuffle="tasks").persist()
            wait(shuffled)
            kinds = client.run(lambda dask_worker: type(dask_worker.data).__name__)
            spilled = client.run(lambda dask_worker: len(dask_worker.data.slow))
            out = shuffled.compute()
    want = pdf.groupby("k").agg({"a": "sum", "b": "max"})
    pd.testing.assert_frame_equal(got.sort_index(), want.sort_index(), check_names=False)
    assert len(out) == n
    assert out["b"].sort_values().tolist() == list(range(n))
    assert set(kinds.values()) == {"ScratchSpillBuffer"}, kinds
    assert sum(spilled.values()) > 0, spilled
