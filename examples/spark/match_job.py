"""Spark job: read enterprises from Parquet, match them against a policy set with Huiqi,
write one row per (enterprise, policy) to Parquet.

Local mode:

    spark-submit --master 'local[2]' examples/spark/match_job.py \
        --input enterprises.parquet --output results.parquet --as-of 2026-06-30

On a cluster the executors need the huiqi package with its compiled library. Pack a
virtual environment that has the wheel installed and ship it with the job:

    python -m venv venv && venv/bin/pip install huiqi-0.1.0-*.whl pyarrow venv-pack
    venv/bin/venv-pack -o huiqi_env.tar.gz
    PYSPARK_PYTHON=./env/bin/python spark-submit --master yarn --deploy-mode cluster \
        --archives huiqi_env.tar.gz#env examples/spark/match_job.py \
        --input hdfs:///data/enterprises.parquet --output hdfs:///out/huiqi --as-of 2026-06-30

Policies: ``--policies DIR`` ships the JSON files of DIR with the job (read on the
driver); without it the bundled real policies are used.
"""

from __future__ import annotations

import argparse
import pathlib

from pyspark.sql import SparkSession

from huiqi.spark import match_dataframe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", required=True, help="Parquet (or JSON lines with --json) of enterprise profiles")
    ap.add_argument("--output", required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--policies", help="folder of policy JSON files; default: the bundled policies")
    ap.add_argument("--id-column", default="uscc")
    ap.add_argument("--json", action="store_true", help="the input is JSON lines")
    args = ap.parse_args()

    spark = SparkSession.builder.appName("huiqi-match").getOrCreate()
    df = spark.read.json(args.input) if args.json else spark.read.parquet(args.input)
    policies = None
    if args.policies:
        policies = [(str(p), p.read_text(encoding="utf-8")) for p in sorted(pathlib.Path(args.policies).glob("*.json"))]
    results = match_dataframe(df, as_of=args.as_of, policies=policies, id_column=args.id_column)
    results.write.mode("overwrite").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
