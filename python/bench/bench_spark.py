"""Spark local[2] vs `huiqi bulk` on the same generated enterprises × the bundled
policies, as (enterprise, policy) pairs per second, with a breakdown of where the Spark
job's time goes.

    python3 python/bench/bench_spark.py 200000
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
# Spark workers import huiqi too.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT / "python"), os.environ.get("PYTHONPATH", "")] if p)
HUIQI = ROOT / "target" / "release" / "huiqi"
AS_OF = "2026-06-30"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    from pyspark.sql import SparkSession

    import huiqi
    from huiqi.spark import match_dataframe, match_rows

    tmp = Path(tempfile.mkdtemp())
    src = tmp / "e.jsonl"
    src.write_text(subprocess.run([str(HUIQI), "gen", "enterprises", "--count", str(n), "--seed", "5"], check=True, capture_output=True, text=True).stdout)
    engine = huiqi.Engine.bundled()
    policies = len(engine.match({}, as_of=AS_OF)["policies"])
    pairs = n * policies

    t = time.perf_counter()
    subprocess.run([str(HUIQI), "bulk", "--enterprises", str(src), "--out", str(tmp / "b.csv"), "--as-of", AS_OF], check=True, capture_output=True)
    bulk = time.perf_counter() - t

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    spark.read.json(str(src)).write.parquet(str(tmp / "in.parquet"))
    df = spark.read.parquet(str(tmp / "in.parquet"))
    t = time.perf_counter()
    match_dataframe(df, as_of=AS_OF).write.mode("overwrite").parquet(str(tmp / "out.parquet"))
    job = time.perf_counter() - t

    # Breakdown on one core: Arrow→Python rows, profile JSON, engine (C ABI), result rows.
    sample = df.limit(min(n, 20_000)).toArrow()
    t = time.perf_counter()
    rows = sample.to_pylist()
    to_py = time.perf_counter() - t
    texts = [json.dumps({k: v for k, v in r.items() if v is not None}, default=str) for r in rows]
    t = time.perf_counter()
    lines = list(engine.match_many_json(texts, as_of=AS_OF))
    eng = time.perf_counter() - t
    t = time.perf_counter()
    match_rows(rows, engine, AS_OF, "uscc")
    whole = time.perf_counter() - t
    k = len(rows)
    print(f"## Spark local[2] vs huiqi bulk, {n} enterprises × {policies} policies in force\n")
    print(f"- huiqi bulk (JSON lines in, CSV out, 2 threads): {bulk:.1f} s = {pairs / bulk:.2e} pairs/s")
    print(f"- Spark job (Parquet in, Parquet out, local[2]): {job:.1f} s = {pairs / job:.2e} pairs/s → bulk is {job / bulk:.1f}× faster")
    print(f"- per enterprise on one core ({k} measured): Arrow→Python rows {to_py / k * 1e6:.0f} µs, engine via C ABI (match_many, JSON envelope) {eng / k * 1e6:.0f} µs, whole partition function {whole / k * 1e6:.0f} µs")
    spark.stop()
    del lines


if __name__ == "__main__":
    main()
