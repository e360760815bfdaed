"""huiqi.spark: the columnar job's pairs, lists and counts, the reverse query and the
explained job equal `huiqi bulk` on the same input, row for row; a row that fails to
decode becomes an error row in the explained job. Local mode by default; with
HUIQI_SPARK_MASTER (spark://host:port, set by scripts/test-spark) on a standalone
cluster."""

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

from huiqi.spark import bulk_dataframe, bulk_parquet, match_dataframe, reach  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HUIQI = ROOT / "target" / "release" / "huiqi"
AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    master = os.environ.get("HUIQI_SPARK_MASTER", "local[2]")
    builder = SparkSession.builder.master(master).appName("huiqi-test").config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
    if not master.startswith("local"):
        # Executors of a standalone cluster: this interpreter, this checkout's package and
        # library, small and one core each.
        pythonpath = os.pathsep.join([str(ROOT / "python"), os.environ.get("PYTHONPATH", "")])
        builder = (
            builder.config("spark.executorEnv.PYTHONPATH", pythonpath)
            .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
            .config("spark.pyspark.python", sys.executable)
            .config("spark.executor.memory", "1g")
            .config("spark.executor.cores", "1")
        )
    s = builder.getOrCreate()
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


@pytest.fixture(scope="module")
def parquet(spark, enterprises, tmp_path_factory) -> Path:
    """The enterprises as Parquet, as Spark writes profile JSON (per-year fields as
    structs keyed by year), in 3 files."""
    path = tmp_path_factory.mktemp("parquet") / "enterprises.parquet"
    spark.read.json(str(enterprises)).repartition(3).write.parquet(str(path))
    return path


def bulk_counts(path: Path, tmp: Path) -> list[tuple[str, int, int]]:
    out = tmp / "counts.csv"
    subprocess.run([str(HUIQI), "bulk", "--enterprises", str(path), "--out", str(out), "--format", "counts", "--as-of", AS_OF], check=True, capture_output=True)
    with out.open(encoding="utf-8") as f:
        return sorted((r["policy_id"], int(r["eligible"]), int(r["undetermined"])) for r in csv.DictReader(f))


def test_columnar_pairs_lists_and_counts_equal_huiqi_bulk(spark, enterprises, parquet, tmp_path):
    assert spark.sparkContext.master == os.environ.get("HUIQI_SPARK_MASTER", "local[2]")
    df = spark.read.parquet(str(parquet))
    want = bulk_pairs(enterprises, tmp_path)
    assert len(want) > 400
    pairs = bulk_dataframe(df, as_of=AS_OF, undetermined=True).collect()
    assert sorted((r["enterprise_id"], r["policy_id"], r["verdict"]) for r in pairs) == want
    eligible = bulk_dataframe(df, as_of=AS_OF).collect()
    assert sorted((r["enterprise_id"], r["policy_id"], r["verdict"]) for r in eligible) == [p for p in want if p[2] == "eligible"]
    lists = bulk_dataframe(df, as_of=AS_OF, output="lists", undetermined=True).collect()
    assert len(lists) == 400
    assert sorted((r["enterprise_id"], p, v) for r in lists for v in ("eligible", "undetermined") for p in r[v]) == want
    counts = bulk_dataframe(df, as_of=AS_OF, output="counts").collect()
    assert sorted((r["policy_id"], r["eligible"], r["undetermined"]) for r in counts) == bulk_counts(enterprises, tmp_path)


def test_columnar_from_parquet_files_equals_huiqi_bulk(spark, enterprises, parquet, tmp_path):
    # The tasks read the files themselves: several tasks, each whole row groups.
    want = bulk_pairs(enterprises, tmp_path)
    pairs = bulk_parquet(spark, str(parquet), as_of=AS_OF, undetermined=True, tasks=3).collect()
    assert sorted((r["enterprise_id"], r["policy_id"], r["verdict"]) for r in pairs) == want
    lists = bulk_parquet(spark, str(parquet), as_of=AS_OF, output="lists").collect()
    assert len(lists) == 400
    assert sorted((r["enterprise_id"], p, "eligible") for r in lists for p in r["eligible"]) == [p for p in want if p[2] == "eligible"]
    counts = bulk_parquet(spark, str(parquet), as_of=AS_OF, output="counts").collect()
    assert sorted((r["policy_id"], r["eligible"], r["undetermined"]) for r in counts) == bulk_counts(enterprises, tmp_path)
    # Only the columns read are read; a misspelt column is an error on the driver.
    bad = tmp_path / "bad.parquet"
    spark.createDataFrame([("a", 1)], "uscc string, registerd_capital long").write.parquet(str(bad))
    with pytest.raises(Exception, match='did you mean "registered_capital"'):
        bulk_parquet(spark, str(bad), as_of=AS_OF)


def test_reach_is_the_store_reverse_query(spark, enterprises, parquet, tmp_path):
    policy = "six-taxes-two-fees-halved"
    eligible, undetermined = reach(spark.read.parquet(str(parquet)), policy, as_of=AS_OF)
    want = bulk_pairs(enterprises, tmp_path)
    want_e = sorted(e for e, p, v in want if p == policy and v == "eligible")
    want_u = sorted(e for e, p, v in want if p == policy and v == "undetermined")
    assert want_e and want_u
    assert sorted(r["enterprise_id"] for r in eligible.collect()) == want_e
    assert sorted(r["enterprise_id"] for r in undetermined.collect()) == want_u


def test_columnar_errors_name_the_column_and_the_row(spark, tmp_path):
    df = spark.createDataFrame([("a", "100"), ("b", "lots")], "name string, employees_2025 string").coalesce(1)
    with pytest.raises(Exception, match='column "employees_2025", row 1'):
        bulk_dataframe(df, as_of=AS_OF).collect()
    # A column no policy reads is not moved, so not read: it changes no answer.
    unread = spark.createDataFrame([("a", "100"), ("b", "lots")], "name string, registered_capital string").coalesce(1)
    assert bulk_dataframe(unread, as_of=AS_OF, output="counts").count() > 0


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


def test_columnar_example_job_reads_and_writes_parquet(enterprises, parquet, tmp_path, spark):
    out = tmp_path / "pairs.parquet"
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYTHONPATH=os.pathsep.join([str(ROOT / "python"), os.environ.get("PYTHONPATH", "")]))
    subprocess.run(
        [str(submit), "--master", "local[2]", "--conf", "spark.ui.enabled=false", str(ROOT / "examples" / "spark" / "bulk_job.py"), "--input", str(parquet), "--output", str(out), "--as-of", AS_OF, "--undetermined"],
        check=True,
        env=env,
        capture_output=True,
    )
    written = spark.read.parquet(str(out))
    assert sorted((r["enterprise_id"], r["policy_id"], r["verdict"]) for r in written.collect()) == bulk_pairs(enterprises, tmp_path)


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
