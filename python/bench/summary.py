# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The ratios of make bench's Python side, from the JSON lines of binding.py,
scratch-bindbench and spill.py (one file, rounds interleaved in run order).

Prints a table ("# " lines) and one line ``BENCH-JSON {"python": {...}}``
holding each ratio's median, its spread (min, max) and every figure.

Usage: python3 summary.py BENCH.jsonl
"""
import json
import statistics
import sys


def rounds(rows, phase, key, field):
    """The values of ``field`` for ``phase``, per value of ``key`` (c/python, dir/scratch)."""
    out = {}
    for r in rows:
        if r["phase"] == phase:
            out.setdefault(r[key], []).append(r[field])
    return out


def ratio(num, den):
    rs = [a / b for a, b in zip(num, den)]
    if not rs:
        raise SystemExit("summary.py: a comparison has no complete round")
    return {"median": round(statistics.median(rs), 3), "min": round(min(rs), 3),
            "max": round(max(rs), 3), "rounds": len(rs)}


def main(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.startswith("{")]
    out, table = {}, []

    def compare(name, label, base, got, num, den, field):
        # A part not run (SC_BENCH_PARTS) has no figures at all: no row.  One side
        # without the other is a failed round.
        if got.get(num) or got.get(den):
            out[name] = dict(ratio(got.get(num, []), got.get(den, [])), **{field: got})
            table.append((label, out[name], base))

    for phase, label in (("get_into", "get_into, 4 MiB atoms, warm"),
                         ("map_copy", "map + copy out, 4 MiB atoms, warm")):
        compare(f"binding_{phase}", f"Python {label}", "the same calls from C",
                rounds(rows, phase, "side", "MBps"), "python", "c", "MBps")
    compare("binding_map_copy_cffi", "  the same, cffi's bare calls",
            "the same calls from C", rounds(rows, "map_copy_cffi", "side", "MBps")
            | {"c": rounds(rows, "map_copy", "side", "MBps").get("c", [])}, "python", "c",
            "MBps")
    for phase, label in (("spill", "spill (serialize + write)"),
                         ("unspill_cold", "unspill, cold (read + deserialize)")):
        compare(f"dask_{phase}", f"Dask {label}", "Dask's spill directory, ext4",
                rounds(rows, phase, "store", "MBps"), "scratch", "dir", "MBps")
    compare("dask_shuffle_speedup", "Dask shuffle, end to end (speedup)",
            "Dask's spill directory, ext4", rounds(rows, "shuffle", "store", "seconds"),
            "dir", "scratch", "seconds")
    if not table:
        raise SystemExit("summary.py: no figures")

    print(f"# {'Python and Dask':40} {'median':>7} {'spread':>13}   baseline, same boot")
    for label, r, base in table:
        print(f"# {label:40} {r['median']:7.2f} {r['min']:6.2f}..{r['max']:<6.2f}   {base}")
    print("BENCH-JSON " + json.dumps({"python": out}, separators=(",", ":")))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: summary.py BENCH.jsonl")
    main(sys.argv[1])
