#!/usr/bin/env python3
"""The columnar Spark job end to end, Parquet in → Parquet out, against ``huiqi bulk`` on
the same generated enterprises and policies, as policy × enterprise pairs per second.

    python3 python/bench/bench_spark_arrow.py [--count 1000000] [--policies 1000] [--master spark://127.0.0.1:7077]

Default master ``local[2]``. For a standalone cluster start a master and workers first
(as scripts/test-spark does) and pass its URL; executors get this checkout's package on
PYTHONPATH. The jobs: ``huiqi.spark.bulk_parquet`` (tasks read the Parquet files) and
``bulk_dataframe`` (Spark reads them), each output shape (``--output``; pairs and lists
with the undetermined ones), written to Parquet by Spark, each run ``--repeat`` times in
one session (the first run starts the Python workers). The enterprises Parquet is written
by Spark from the generated JSON lines before the clock starts. ``--stages`` times the
DataFrame job cut short after each stage. The exit status checks that the lanes wrote the
same row counts and the pairs equal ``huiqi bulk``'s; the times are numbers, not
assertions.
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


def stages(spark: object, parquet: Path, policies: list[tuple[str, str]], as_of: str) -> None:
    """The job cut short after each stage, each timed end to end (so a stage's cost is the
    difference to the one before): the Parquet scan alone; the batches handed to Python and
    dropped; the store imported; counts (prepare and bulk) returned."""
    import pyarrow as pa

    from huiqi.spark import _engine, _reader, columnar

    def timed(what: str, run: object) -> None:
        t = time.perf_counter()
        n = columnar(spark.read.parquet(str(parquet)), _engine(policies, None)).mapInArrow(run, "n long").groupBy().sum("n").collect()  # type: ignore[attr-defined]
        print(f"  stage {what:<34} {time.perf_counter() - t:8.2f} s  ({n[0][0]} rows)")

    def one(n: int) -> object:
        return pa.RecordBatch.from_arrays([pa.array([n], pa.int64())], names=["n"])

    def to_python(batches):  # type: ignore[no-untyped-def]
        yield one(sum(b.num_rows for b in batches))

    def imported(batches):  # type: ignore[no-untyped-def]
        engine = _engine(policies, None)
        reader = _reader(batches)
        if reader is not None:
            with engine.store_from_arrow(reader) as store:
                yield one(len(store))

    def counted(batches):  # type: ignore[no-untyped-def]
        engine = _engine(policies, None)
        reader = _reader(batches)
        if reader is not None:
            with engine.store_from_arrow(reader) as store:
                c = engine.bulk_arrow(store, as_of=as_of, output="counts")
                yield one(len(store) + 0 * len(c))

    t = time.perf_counter()
    n = columnar(spark.read.parquet(str(parquet)), _engine(policies, None)).count()  # type: ignore[attr-defined]
    print(f"  stage {'Parquet scan (count)':<34} {time.perf_counter() - t:8.2f} s  ({n} rows)")
    timed("batches to Python", to_python)
    timed("batches to Python (again)", to_python)
    timed("+ engine, store_from_arrow", imported)
    timed("+ bulk counts (prepare, bulk)", counted)


def java_job(args: argparse.Namespace, tmp: Path, policies: Path, mode: str, pairs_n: int) -> bool:
    """The Java job (counts) through spark-submit on the same master and Parquet, each run
    ``--repeat`` times in one session, as the Python jobs; its counts checked against the
    Python job's. True when they agree."""
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    jar = subprocess.run([str(ROOT / "scripts" / "build-java")], check=True, capture_output=True, text=True).stdout.strip()
    classes = ROOT / "target" / "java" / "spark"
    classes.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "--release", "17", "-encoding", "UTF-8", "-cp", f"{jar}:{spark_home}/jars/*", "-d", str(classes), str(ROOT / "examples" / "spark" / "JavaBulkJob.java")], check=True)
    job = ROOT / "target" / "java" / "spark-job.jar"
    subprocess.run(["jar", "--create", "--file", str(job), "-C", str(classes), "."], check=True)
    folder = tmp / "java-policies"
    folder.mkdir(exist_ok=True)
    (folder / "p.jsonl").write_text(policies.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp / f"out-java-{mode}.parquet"
    cmd = [str(spark_home / "bin" / "spark-submit"), "--master", args.master, "--conf", "spark.ui.enabled=false",
           "--conf", "spark.executor.memory=2500m", "--class", "JavaBulkJob", "--jars", jar, str(job),
           "--input", str(tmp / "in.parquet"), "--as-of", args.as_of, "--policies", str(folder), "--mode", mode,
           "--output", str(out), "--counts", str(tmp / f"java-{mode}.csv"), "--repeat", str(args.repeat), "--pairs-per-run", str(pairs_n)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    runs = [line for line in run.stdout.splitlines() if line.startswith("java ")]
    for line in runs:
        print(f"Spark Java {line}")
    if run.returncode != 0 or not runs:
        print(run.stderr[-3000:], file=sys.stderr)
        return False
    python_counts = tmp / "out-parquet-counts.parquet"
    if not python_counts.exists():
        return True
    import pyarrow.parquet as pq

    want = sorted(tuple(r.values()) for r in pq.read_table(python_counts).to_pylist())
    got = sorted((p, int(e), int(u)) for p, e, u in (line.split(",") for line in (tmp / f"java-{mode}.csv").read_text().splitlines()[1:]))
    if want != got:
        print(f"the Java job ({mode}) counts differ from the Python job's", file=sys.stderr)
        return False
    print(f"Spark Java {mode}: counts equal the Python bulk_parquet job's ({len(got)} policies)")
    return True


class Standalone:
    """A Spark standalone cluster on 127.0.0.1, as scripts/test-spark starts it: a master
    and ``workers`` workers of one core each, each its own JVM, stopped on exit."""

    def __init__(self, workers: int, port: int = 7078) -> None:
        import pyspark

        self.url = f"spark://127.0.0.1:{port}"
        self.logs = Path(tempfile.mkdtemp())
        spark_class = str(Path(pyspark.__file__).parent / "bin" / "spark-class")
        os.environ.update(SPARK_LOCAL_IP="127.0.0.1", SPARK_LOCAL_HOSTNAME="127.0.0.1")
        self.procs = [self._start([spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port), "--webui-port", "0"], "master")]
        self._wait("master", "I have been elected leader")
        for w in range(workers):
            cmd = [spark_class, "org.apache.spark.deploy.worker.Worker", self.url, "--host", "127.0.0.1", "--cores", "1", "--memory", "3g", "--webui-port", "0", "--work-dir", str(self.logs / f"work{w}")]
            self.procs.append(self._start(cmd, f"worker{w}"))
        for w in range(workers):
            self._wait(f"worker{w}", "Successfully registered with master")

    def _start(self, cmd: list[str], name: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as log:
            return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

    def _wait(self, name: str, line: str) -> None:
        for _ in range(240):
            if line in (self.logs / f"{name}.log").read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{name} did not start: see {self.logs}")

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--policies", type=int, default=1000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--standalone", type=int, default=0, metavar="WORKERS", help="start a standalone cluster of this many 1-core workers and run on it")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--as-of", default="2026-06-30")
    ap.add_argument("--output", default="counts,lists,pairs", help="result shapes, comma-separated: pairs (eligible and undetermined), lists, counts")
    ap.add_argument("--lane", default="parquet,dataframe", help="bulk_parquet (tasks read the files), bulk_dataframe (Spark reads them), or both")
    ap.add_argument("--stages", action="store_true", help="also time the job cut short after each stage (scan, to Python, import, bulk counts)")
    ap.add_argument("--repeat", type=int, default=2, help="run each job this many times (the first is reported; later runs reuse the Python workers)")
    ap.add_argument("--skip-cli", action="store_true", help="do not run huiqi bulk")
    ap.add_argument("--java", default="", help="also run the Java job (examples/spark/JavaBulkJob.java, counts) these ways, comma-separated: files, dataframe; on the same cluster, after the Python session stops")
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from huiqi.spark import bulk_dataframe, bulk_parquet

    tmp = Path(tempfile.mkdtemp())
    ent, pol = tmp / "e.jsonl", tmp / "p.jsonl"
    with ent.open("w", encoding="utf-8") as f:
        subprocess.run([str(HUIQI), "gen", "enterprises", "--count", str(args.count), "--seed", "1"], check=True, stdout=f)
    with pol.open("w", encoding="utf-8") as f:
        subprocess.run([str(HUIQI), "gen", "policies", "--count", str(args.policies), "--seed", "2"], check=True, stdout=f)
    pairs_n = args.count * args.policies

    t = time.perf_counter()
    line = "" if args.skip_cli else subprocess.run(
        [str(HUIQI), "bulk", "--enterprises", str(ent), "--policies", str(pol), "--out", str(tmp / "b.parquet"), "--as-of", args.as_of],
        check=True, capture_output=True, text=True,
    ).stdout
    bulk = time.perf_counter() - t
    written = int(m.group(1)) if (m := re.search(r"\((\d+) pairs written\)", line)) else -1

    cluster = Standalone(args.standalone) if args.standalone else None
    if cluster is not None:
        args.master = cluster.url
    spark = (
        SparkSession.builder.master(args.master)
        .config("spark.ui.enabled", "false")
        .config("spark.executorEnv.PYTHONPATH", os.environ["PYTHONPATH"])
        .config("spark.pyspark.python", sys.executable)
        .config("spark.executor.memory", "2500m")
        .getOrCreate()
    )
    spark.read.json(str(ent)).repartition(args.partitions).write.parquet(str(tmp / "in.parquet"))
    policies = [("p.jsonl", pol.read_text(encoding="utf-8"))]
    print(f"{args.count} enterprises × {args.policies} policies = {pairs_n:.3e} pairs, {args.master}, {args.partitions} Parquet files")
    if not args.skip_cli:
        print(f"huiqi bulk (JSON lines in, Parquet pairs out; load and prepare included): {bulk:.2f} s = {pairs_n / bulk:.3e} pairs/s, {written} pairs")
    rows: dict[tuple[str, str], int] = {}
    for output in args.output.split(","):
        for lane in args.lane.split(","):
            out = tmp / f"out-{lane}-{output}.parquet"
            runs = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                if lane == "parquet":
                    job_df = bulk_parquet(spark, str(tmp / "in.parquet"), as_of=args.as_of, output=output, policies=policies, undetermined=True)
                else:
                    job_df = bulk_dataframe(spark.read.parquet(str(tmp / "in.parquet")), as_of=args.as_of, output=output, policies=policies, undetermined=True)
                job_df.write.mode("overwrite").parquet(str(out))
                runs.append(time.perf_counter() - t)
            rows[(lane, output)] = spark.read.parquet(str(out)).count()
            each = ", ".join(f"{r:.2f}" for r in runs)
            print(f"Spark bulk_{lane} output={output:<6} Parquet → Parquet: {runs[0]:7.2f} s = {pairs_n / runs[0]:.3e} pairs/s (runs: {each} s; {rows[(lane, output)]} rows)")
    if args.stages:
        stages(spark, tmp / "in.parquet", policies, args.as_of)
    spark.stop()
    java_ok = True
    for mode in [m for m in args.java.split(",") if m]:
        java_ok &= java_job(args, tmp, pol, mode, pairs_n)
    if cluster is not None:
        cluster.stop()
    lanes = args.lane.split(",")
    same = all(rows[(lane, o)] == rows[(lanes[0], o)] for lane in lanes for o in args.output.split(","))
    if not same:
        print("the lanes wrote different row counts", file=sys.stderr)
    pairs_ok = args.skip_cli or all(n == written for (_, o), n in rows.items() if o == "pairs")
    return 0 if same and pairs_ok and java_ok else 1


if __name__ == "__main__":
    sys.exit(main())
