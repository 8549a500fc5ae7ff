# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Dask's default spill (a directory on ext4) against the scratch spill store.

    python3 spill.py spill STORE WHERE MIB      spill and unspill throughput
    python3 spill.py shuffle STORE WHERE ROWS   a LocalCluster shuffle, end to end

STORE is ``dir`` (Dask's own SpillBuffer over WHERE, a directory) or
``scratch`` (ScratchSpillBuffer over WHERE, a space).  One JSON object per
measurement on stdout; the caller (tests/vm/host/bench.sh) runs both stores
in one boot, interleaved, and divides.

spill: a SpillBuffer whose target is one byte takes MIB MiB of values (half
numpy arrays of 1 MiB, half pandas frames of about 1 MiB): each value goes
straight to the slow store through Dask's serialization, which is what a
worker over its limit does.  Then the page cache is dropped (after a sync)
and the target raised, and every value is read back (unspilled), checked
against a fingerprint taken when it was made.  Both times include Dask's
(de)serialization, the same on both sides.

shuffle: two worker processes whose memory target is 2% of 250 MiB run a
groupby-aggregate and a set_index shuffle of ROWS rows, as
python/tests/test_dask.py does, checked against pandas.
"""
import json
import os
import sys
import tempfile
from time import perf_counter

import numpy as np
import pandas as pd

MiB = 1 << 20


def emit(**kw):
    print(json.dumps(kw), flush=True)


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def make_value(i):
    rng = np.random.default_rng(i)
    if i % 2:
        return rng.random(MiB // 8)
    return pd.DataFrame({"a": rng.integers(0, 1 << 40, MiB // 16), "b": rng.random(MiB // 16)})


def fingerprint(v):
    if isinstance(v, np.ndarray):
        return float(v.sum())
    return float(v["a"].sum()) + float(v["b"].sum())


def make_buffer(store, where):
    if store == "dir":
        from distributed.spill import SpillBuffer
        return SpillBuffer(tempfile.mkdtemp(dir=where), target=1)
    from scratch.dask import ScratchSpillBuffer
    return ScratchSpillBuffer(where, target=1)


def bench_spill(store, where, mib):
    buf = make_buffer(store, where)
    want, nbytes, spill_s = {}, 0, 0.0
    for i in range(mib):
        v = make_value(i)
        want[f"v{i}"] = fingerprint(v)
        nbytes += v.nbytes if isinstance(v, np.ndarray) else int(v.memory_usage(index=True).sum())
        t0 = perf_counter()
        buf[f"v{i}"] = v
        spill_s += perf_counter() - t0
        del v
    spilled = len(buf.slow)
    drop_caches()
    buf.n = 1 << 62
    # The fingerprint reads every byte: a value served from a map is only read here.
    t0 = perf_counter()
    got = {k: fingerprint(buf[k]) for k in want}
    unspill_s = perf_counter() - t0
    bad = [k for k in want if got[k] != want[k]]
    if bad or spilled < mib - 1:
        sys.exit(f"spill.py: {store}: {len(bad)} values wrong, {spilled} of {mib} spilled")
    emit(phase="spill", store=store, bytes=nbytes, values=mib, seconds=round(spill_s, 4),
         MBps=round(nbytes / spill_s / 1e6, 1))
    emit(phase="unspill_cold", store=store, bytes=nbytes, values=mib,
         seconds=round(unspill_s, 4), MBps=round(nbytes / unspill_s / 1e6, 1))
    del got
    if store == "scratch":
        buf.close()


def bench_shuffle(store, where, rows):
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster, wait

    limit = 250 * MiB
    rng = np.random.default_rng(4)
    pdf = pd.DataFrame({"k": rng.integers(0, 50_000, rows), "a": rng.integers(0, 1000, rows),
                        "b": np.arange(rows)})
    kw = {"local_directory": where} if store == "dir" else {}
    with dask.config.set({"distributed.worker.memory.target": 0.02,
                          "distributed.comm.timeouts.connect": "300s",
                          "distributed.comm.timeouts.tcp": "600s",
                          "distributed.scheduler.worker-ttl": None,
                          "distributed.worker.memory.spill": False,
                          "distributed.worker.memory.pause": False,
                          "distributed.worker.memory.terminate": False}):
        if store == "scratch":
            # Inside the block: scratch_data reads the target fraction when called.
            from scratch.dask import scratch_data
            kw["data"] = scratch_data(where, limit)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=limit,
                          dashboard_address=None, **kw) as cluster, Client(cluster) as client:
            ddf = dd.from_pandas(pdf, npartitions=24)
            t0 = perf_counter()
            got = ddf.groupby("k").agg({"a": "sum", "b": "max"}, split_out=8,
                                       shuffle="tasks").compute()
            shuffled = ddf.set_index("k", shuffle="tasks").persist()
            wait(shuffled)
            spilled = sum(client.run(lambda dask_worker: len(dask_worker.data.slow)).values())
            out = shuffled.compute()
            secs = perf_counter() - t0
            kinds = set(client.run(lambda dask_worker: type(dask_worker.data).__name__).values())
    want = pdf.groupby("k").agg({"a": "sum", "b": "max"})
    pd.testing.assert_frame_equal(got.sort_index(), want.sort_index(), check_names=False)
    if len(out) != rows or out["b"].sort_values().tolist() != list(range(rows)):
        sys.exit(f"spill.py: {store}: the shuffle lost or changed rows")
    want_kind = "SpillBuffer" if store == "dir" else "ScratchSpillBuffer"
    if kinds != {want_kind} or not spilled:
        sys.exit(f"spill.py: {store}: workers' stores {kinds}, {spilled} values spilled after the set_index")
    emit(phase="shuffle", store=store, rows=rows, seconds=round(secs, 3), spilled_after_set_index=spilled)


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("spill", "shuffle") or \
            sys.argv[2] not in ("dir", "scratch"):
        sys.exit(__doc__.split("\n\n")[1])
    fn = bench_spill if sys.argv[1] == "spill" else bench_shuffle
    fn(sys.argv[2], sys.argv[3], int(sys.argv[4]))
