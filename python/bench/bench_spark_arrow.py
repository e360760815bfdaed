#!/usr/bin/env python3
"""The columnar Spark job end to end, Parquet in → Parquet out, against ``huiqi bulk`` on
the same generated enterprises and policies, as policy × enterprise pairs per second.

    python3 python/bench/bench_spark_arrow.py [--count 1000000] [--policies 1000] [--master spark://127.0.0.1:7077]

Default master ``local[2]``. For a standalone cluster start a master and workers first
(as scripts/test-spark does) and pass its URL; executors get this checkout's package on
PYTHONPATH. The job is ``huiqi.spark.bulk_dataframe`` (``--output``: pairs, eligible and
undetermined, by default) written to Parquet;
the enterprises Parquet is written by Spark from the generated JSON lines before the
clock starts. Numbers, not assertions.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT / "python"), os.environ.get("PYTHONPATH", "")] if p)
HUIQI = ROOT / "target" / "release" / "huiqi"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--policies", type=int, default=1000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--as-of", default="2026-06-30")
    ap.add_argument("--output", default="pairs", choices=["pairs", "lists", "counts"], help="result shape (pairs: eligible and undetermined)")
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from huiqi.spark import bulk_dataframe

    tmp = Path(tempfile.mkdtemp())
    ent, pol = tmp / "e.jsonl", tmp / "p.jsonl"
    with ent.open("w", encoding="utf-8") as f:
        subprocess.run([str(HUIQI), "gen", "enterprises", "--count", str(args.count), "--seed", "1"], check=True, stdout=f)
    with pol.open("w", encoding="utf-8") as f:
        subprocess.run([str(HUIQI), "gen", "policies", "--count", str(args.policies), "--seed", "2"], check=True, stdout=f)
    pairs_n = args.count * args.policies

    t = time.perf_counter()
    line = subprocess.run(
        [str(HUIQI), "bulk", "--enterprises", str(ent), "--policies", str(pol), "--out", str(tmp / "b.parquet"), "--as-of", args.as_of],
        check=True, capture_output=True, text=True,
    ).stdout
    bulk = time.perf_counter() - t
    written = int(m.group(1)) if (m := re.search(r"\((\d+) pairs written\)", line)) else -1

    spark = (
        SparkSession.builder.master(args.master)
        .config("spark.ui.enabled", "false")
        .config("spark.executorEnv.PYTHONPATH", os.environ["PYTHONPATH"])
        .config("spark.pyspark.python", sys.executable)
        .getOrCreate()
    )
    spark.read.json(str(ent)).repartition(args.partitions).write.parquet(str(tmp / "in.parquet"))
    policies = [("p.jsonl", pol.read_text(encoding="utf-8"))]
    t = time.perf_counter()
    df = spark.read.parquet(str(tmp / "in.parquet"))
    bulk_dataframe(df, as_of=args.as_of, output=args.output, policies=policies, undetermined=True).write.mode("overwrite").parquet(str(tmp / "out.parquet"))
    job = time.perf_counter() - t
    rows = spark.read.parquet(str(tmp / "out.parquet")).count()
    spark.stop()

    print(f"{args.count} enterprises × {args.policies} policies = {pairs_n:.3e} pairs; {rows} {args.output} rows written by Spark, {written} pairs by huiqi bulk")
    print(f"huiqi bulk (JSON lines in, Parquet out; load and prepare included) {bulk:8.2f} s  {pairs_n / bulk:.3e} pairs/s")
    print(f"Spark {args.master} bulk_dataframe output={args.output} (Parquet in, Parquet out)   {job:8.2f} s  {pairs_n / job:.3e} pairs/s")
    return 0 if args.output != "pairs" or rows == written else 1


if __name__ == "__main__":
    sys.exit(main())
