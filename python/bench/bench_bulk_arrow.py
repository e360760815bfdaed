#!/usr/bin/env python3
"""Columnar bulk throughput: ``Engine.bulk_arrow`` from an in-memory Arrow table against
``huiqi bulk`` on a saved store of the same enterprises, same generated policies, same
date, in one run.

    python3 python/bench/bench_bulk_arrow.py [--count 1000000] [--policies 1000] [--no-build]

Enterprises: ``huiqi gen enterprises``; policies: ``huiqi gen policies``. The Arrow table
is read from the JSON lines by pyarrow (per-year objects become struct columns, flattened
to ``field.YYYY`` columns) before the clock starts. Reported, in seconds and policy ×
enterprise pairs per second:

- huiqi bulk (CLI): load the saved store, prepare, bulk, write the pairs CSV (as it prints);
- import: ``Engine.store_from_arrow`` (Arrow C stream → store, no JSON);
- prepare: ``Engine.prepare(store)`` (the predicate sets, kept with the store);
- counts: ``bulk_arrow(store, output="counts")`` (bulk, counted in place);
- pairs: ``bulk_arrow(store, output="pairs")`` read to the end (bulk + export);
- the pairs are checked equal to the CLI's (count, and eligible set per policy).

Peak RSS of this process (``ru_maxrss``) is printed at the end. Numbers, not assertions:
record them in benches/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "huiqi"


def sh(*cmd: str | Path, out: Path | None = None) -> str:
    if out is None:
        return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    with out.open("w", encoding="utf-8") as f:
        subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True, stdout=f)
    return ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--policies", type=int, default=1000)
    ap.add_argument("--as-of", default="2026-06-30")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "huiqi-cli", "-p", "huiqi-ffi"], cwd=ROOT, check=True)
    sys.path.insert(0, str(ROOT / "python"))
    import pyarrow as pa
    import pyarrow.json as pj

    import huiqi

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        ent, pol, store, pairs_csv = tmp / "e.jsonl", tmp / "p.jsonl", tmp / "e.store", tmp / "pairs.csv"
        sh(CLI, "gen", "enterprises", "--count", args.count, "--seed", 1, out=ent)
        sh(CLI, "gen", "policies", "--count", args.policies, "--seed", 2, out=pol)
        sh(CLI, "store", "build", "--enterprises", ent, "--out", store)
        pairs_n = args.count * args.policies

        t = time.perf_counter()
        line = sh(CLI, "bulk", "--enterprises", store, "--policies", pol, "--out", pairs_csv, "--as-of", args.as_of)
        cli_wall = time.perf_counter() - t
        m = re.search(r"in ([0-9.]+) s", line)
        cli_s = float(m.group(1)) if m else cli_wall
        with pairs_csv.open(encoding="utf-8") as f:
            cli_eligible = sum(1 for r in csv.DictReader(f) if r["verdict"] == "eligible")

        table = pj.read_json(ent)
        table = table.flatten()  # per-year structs → employees.2024 …
        table = table.select([n for n in table.column_names if not n.startswith("$")])
        engine = huiqi.Engine.from_sources([("p.jsonl", pol.read_text(encoding="utf-8"))])

        t = time.perf_counter()
        s = engine.store_from_arrow(table)
        import_s = time.perf_counter() - t

        t = time.perf_counter()
        engine.prepare(s, as_of=args.as_of)
        prepare_s = time.perf_counter() - t

        t = time.perf_counter()
        counts = engine.bulk_arrow(s, as_of=args.as_of, output="counts")
        counts_s = time.perf_counter() - t

        t = time.perf_counter()
        reader = engine.bulk_arrow(s, as_of=args.as_of, reader=True)
        rows = 0
        for batch in reader:
            rows += batch.num_rows
        pairs_s = time.perf_counter() - t
        s.close()

        eligible = sum(counts.column("eligible").to_pylist())
        assert rows == eligible == cli_eligible, (rows, eligible, cli_eligible)

    def rate(sec: float) -> str:
        return f"{sec:8.2f} s  {pairs_n / sec:10.3e} pairs/s"

    print(f"{args.count} enterprises × {args.policies} policies ({pairs_n:.3e} pairs), {rows} eligible pairs, {os.cpu_count()} cores")
    print(f"huiqi bulk (store file → pairs CSV) {rate(cli_s)}")
    print(f"bulk_arrow import (store_from_arrow) {import_s:8.2f} s")
    print(f"prepare (Engine.prepare)            {prepare_s:8.2f} s")
    print(f"bulk_arrow counts (bulk)            {rate(counts_s)}")
    print(f"bulk_arrow pairs (bulk + Arrow export, read) {rate(pairs_s)}")
    print(f"prepare + counts                    {rate(prepare_s + counts_s)}")
    print(f"prepare + pairs                     {rate(prepare_s + pairs_s)}")
    print(f"import + prepare + pairs            {rate(import_s + prepare_s + pairs_s)}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
