"""Spark job, columnar: read enterprises from Parquet, run every policy against them with
Huiqi (one enterprise store per task, Arrow in and out), write the results to Parquet.

    spark-submit --master 'local[2]' examples/spark/bulk_job.py \
        --input enterprises.parquet --output pairs.parquet --as-of 2026-06-30 [--output-shape pairs|lists|counts] [--undetermined] [--dataframe]

By default the tasks read their Parquet row groups themselves (``bulk_parquet``: only the
columns the policies read, straight into a store); ``--dataframe`` has Spark read the
files and hand each partition's rows over (``bulk_dataframe``, for any DataFrame source).

Input columns are schema fields by name or label; a per-year field is one column per year
(``rd_expense_2025``) or a struct keyed by year (as ``spark.read.json`` reads profiles);
see docs/arrow.md. On a cluster the executors need the huiqi package with its compiled
library (see match_job.py for shipping a packed environment).
"""

from __future__ import annotations

import argparse
import pathlib

from pyspark.sql import SparkSession

from huiqi.spark import bulk_dataframe, bulk_parquet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", required=True, help="Parquet of enterprises")
    ap.add_argument("--output", required=True, help="Parquet to write")
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--output-shape", default="pairs", choices=["pairs", "lists", "counts"])
    ap.add_argument("--undetermined", action="store_true", help="also the undetermined pairs")
    ap.add_argument("--policies", help="folder of policy JSON files; default: the bundled policies")
    ap.add_argument("--dataframe", action="store_true", help="Spark reads the Parquet (bulk_dataframe) instead of the tasks")
    args = ap.parse_args()

    spark = SparkSession.builder.appName("huiqi-bulk").getOrCreate()
    policies = None
    if args.policies:
        policies = [(str(p), p.read_text(encoding="utf-8")) for p in sorted(pathlib.Path(args.policies).glob("*.json"))]
    if args.dataframe:
        df = spark.read.parquet(args.input)
        results = bulk_dataframe(df, as_of=args.as_of, output=args.output_shape, undetermined=args.undetermined, policies=policies)
    else:
        results = bulk_parquet(spark, args.input, as_of=args.as_of, output=args.output_shape, undetermined=args.undetermined, policies=policies)
    results.write.mode("overwrite").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
