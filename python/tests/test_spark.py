"""huiqi.spark in local mode: the job's results equal `huiqi bulk` on the same input, row
for row, and a row that fails to decode becomes an error row, not a dropped row."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is installed by scripts/test-bindings")
from pyspark.sql import SparkSession  # noqa: E402

from huiqi.spark import match_dataframe, reach  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HUIQI = ROOT / "target" / "release" / "huiqi"
AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    s = (
        SparkSession.builder.master("local[2]")
        .appName("huiqi-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def enterprises(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spark") / "enterprises.jsonl"
    out = subprocess.run([str(HUIQI), "gen", "enterprises", "--count", "400", "--seed", "21"], check=True, capture_output=True, text=True).stdout
    path.write_text(out, encoding="utf-8")
    return path


def bulk_pairs(path: Path, tmp: Path) -> list[tuple[str, str, str]]:
    out = tmp / "bulk.csv"
    subprocess.run([str(HUIQI), "bulk", "--enterprises", str(path), "--out", str(out), "--as-of", AS_OF], check=True, capture_output=True)
    with out.open(encoding="utf-8") as f:
        return sorted((r["enterprise_id"], r["policy_id"], r["verdict"]) for r in csv.DictReader(f))


def test_results_equal_huiqi_bulk_row_for_row(spark, enterprises, tmp_path):
    parquet = tmp_path / "enterprises.parquet"
    spark.read.json(str(enterprises)).write.parquet(str(parquet))
    df = spark.read.parquet(str(parquet)).repartition(3)
    results = match_dataframe(df, as_of=AS_OF).cache()
    rows = results.collect()
    assert all(r["verdict"] != "error" for r in rows), [r["error"] for r in rows if r["error"]][:3]
    mine = sorted((r["enterprise_id"], r["policy_id"], r["verdict"]) for r in rows if r["verdict"] in ("eligible", "undetermined"))
    assert mine == bulk_pairs(enterprises, tmp_path)
    assert len(mine) > 400  # generated enterprises are far from empty results
    # Every enterprise has one row per policy in force.
    per = {}
    for r in rows:
        per[r["enterprise_id"]] = per.get(r["enterprise_id"], 0) + 1
    assert len(per) == 400 and len(set(per.values())) == 1
    # The reverse helper agrees with the rows.
    eligible, undetermined = reach(results, "six-taxes-two-fees-halved")
    want_e = {r["enterprise_id"] for r in rows if r["policy_id"] == "six-taxes-two-fees-halved" and r["verdict"] == "eligible"}
    assert {r["enterprise_id"] for r in eligible.collect()} == want_e and want_e
    assert undetermined.count() == sum(1 for r in rows if r["policy_id"] == "six-taxes-two-fees-halved" and r["verdict"] == "undetermined")


def test_bad_rows_become_error_rows(spark, tmp_path):
    path = tmp_path / "mixed.jsonl"
    rows = [
        {"uscc": "914403001922038216", "registered_capital": "600", "is_legal_person": True},
        {"uscc": "91440300708461136T", "registered_capital": "lots"},
        {"uscc": "914403001922038217", "registered_capital": "100", "registration_date": "2023-02-29"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    results = match_dataframe(spark.read.json(str(path)), as_of=AS_OF).collect()
    errors = {r["enterprise_id"]: r["error"] for r in results if r["verdict"] == "error"}
    assert set(errors) == {"91440300708461136T", "914403001922038217"}
    assert "$.registered_capital" in errors["91440300708461136T"]
    assert "no such day" in errors["914403001922038217"]
    ok = [r for r in results if r["enterprise_id"] == "914403001922038216"]
    assert ok and all(r["error"] is None for r in ok)


def test_example_job_runs_with_spark_submit(enterprises, tmp_path, spark):
    parquet = tmp_path / "in.parquet"
    spark.read.json(str(enterprises)).write.parquet(str(parquet))
    out = tmp_path / "out.parquet"
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYTHONPATH=os.pathsep.join([str(ROOT / "python"), os.environ.get("PYTHONPATH", "")]))
    subprocess.run(
        [str(submit), "--master", "local[2]", "--conf", "spark.ui.enabled=false", str(ROOT / "examples" / "spark" / "match_job.py"), "--input", str(parquet), "--output", str(out), "--as-of", AS_OF],
        check=True,
        env=env,
        capture_output=True,
    )
    written = spark.read.parquet(str(out))
    pairs = sorted((r["enterprise_id"], r["policy_id"], r["verdict"]) for r in written.collect() if r["verdict"] in ("eligible", "undetermined"))
    assert pairs == bulk_pairs(enterprises, tmp_path)
