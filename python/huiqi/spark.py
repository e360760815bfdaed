"""Huiqi on Apache Spark: every enterprise of a DataFrame against a policy set, as an
ordinary Spark job.

Columnar: each partition's Arrow batches go through ``mapInArrow`` into
an enterprise store (the Arrow C stream interface: no JSON, no Python object per row),
and the store's bulk results come back as Arrow.

    from huiqi.spark import bulk_dataframe, bulk_parquet, reach
    pairs = bulk_dataframe(enterprises_df, as_of="2026-06-30")             # eligible pairs
    counts = bulk_dataframe(enterprises_df, as_of="2026-06-30", output="counts")
    eligible, undetermined = reach(enterprises_df, "hitech-certification", as_of="2026-06-30")
    pairs = bulk_parquet(spark, "s3://lake/enterprises/", as_of="2026-06-30")  # fastest

From Parquet (fastest): :func:`bulk_parquet` has each task read its row groups with
pyarrow straight into a store, so rows never take Spark's row format on the way in.

Explained (slower; scores, benefits and missing fields per pair): :func:`match_dataframe`.

Design:

- The input is a DataFrame of enterprises. Columns map to schema fields by name (English
  names or Chinese labels); a per-year field is one column per year (``rd_expense_2025``),
  or a struct column keyed by year (``{"2024": 1200, "2025": 1500}``, as
  ``spark.read.json`` reads profile JSON), flattened by :func:`columnar`; tags are
  arrays; qualifications arrays of structs. Null means unknown. docs/arrow.md has the
  types.
- The engine is built once per executor process, from the policy set shipped with the
  job (the policy texts travel in the task closure; the compiled engine is cached in the
  worker process, keyed by a digest of the texts).
- Only the columns the policies read travel (:func:`columnar`, from the engine's
  :meth:`~huiqi.Engine.fields_read`, and the id columns): Spark's hand-over of rows to
  Python costs per column, and an unread column changes no answer.
- :func:`bulk_dataframe`: one store per partition; output ``pairs`` (enterprise_id,
  policy_id, verdict), ``lists`` (enterprise_id, eligible[, undetermined] policy ids) or
  ``counts`` (per policy, summed over partitions in Spark).
- :func:`bulk_parquet`: the same outputs, the Parquet row groups cut into tasks on the
  driver (from the files' footers) and read by each task with pyarrow.
- :func:`reach`: the store's reverse query for one policy, per partition.
- :func:`match_dataframe`: one output row per (enterprise, policy in force) with verdict,
  score, benefit estimate and missing fields, through JSON lines and the explained match;
  a row that fails to decode yields one row with ``verdict = "error"`` and the engine's
  message. (The columnar path fails the task instead, naming the column and row.)
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any, Iterator, Optional, Sequence

from . import Engine

#: The output schema (Spark DDL).
RESULT_SCHEMA = (
    "enterprise_id string, policy_id string, verdict string, score double, "
    "benefit_yuan string, missing_fields array<string>, error string"
)

_ENGINES: dict[str, Engine] = {}


def _engine(sources: Optional[Sequence[tuple[str, str]]], schema: Optional[str]) -> Engine:
    """The engine for these policy texts, built once per process."""
    digest = hashlib.sha256(json.dumps([sources, schema], ensure_ascii=False).encode("utf-8")).hexdigest()
    engine = _ENGINES.get(digest)
    if engine is None:
        engine = Engine.bundled() if sources is None and schema is None else Engine.from_sources(list(sources or []), schema=schema, include_bundled=sources is None)
        _ENGINES[digest] = engine
    return engine


def _clean(value: Any) -> Any:
    """Arrow/Spark values to profile JSON: drop nulls (unknown), maps as objects."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        # A Spark map column arrives as a list of (key, value) pairs.
        if value and all(isinstance(x, tuple) and len(x) == 2 for x in value):
            return {str(k): _clean(v) for k, v in value if v is not None}
        return [_clean(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def match_rows(rows: Sequence[dict[str, Any]], engine: Engine, as_of: str, id_column: str) -> list[dict[str, Any]]:
    """Matches decoded rows; one output dict per (enterprise, policy), or one error row."""
    profiles = [json.dumps(_clean({k: v for k, v in r.items() if v is not None}), ensure_ascii=False) for r in rows]
    out: list[dict[str, Any]] = []
    # Every policy in force (all=True), without the conditions in words (summary): the
    # columns below are all that is kept.
    for row, line in zip(rows, engine.match_many_json(profiles, as_of=as_of, detail="summary", all=True)):
        ident = row.get(id_column)
        ident = None if ident is None else str(ident)
        env = json.loads(line)
        if env.get("type") != "success":
            message = "; ".join(f"{e.get('path', '')}: {e.get('message', '')}".strip(": ") for e in env.get("errors", []))
            out.append({"enterprise_id": ident, "policy_id": None, "verdict": "error", "score": None, "benefit_yuan": None, "missing_fields": None, "error": message})
            continue
        for p in env["result"]["policies"]:
            out.append(
                {
                    "enterprise_id": ident,
                    "policy_id": p["id"],
                    "verdict": p["verdict"],
                    "score": float(p["score"]),
                    "benefit_yuan": p["benefit"].get("amount_yuan"),
                    "missing_fields": [f["name"] for f in p.get("missing_fields", [])],
                    "error": None,
                }
            )
    return out


def match_dataframe(
    df: Any,
    *,
    as_of: str,
    policies: Optional[Sequence[tuple[str, str]]] = None,
    schema: Optional[str] = None,
    id_column: str = "uscc",
) -> Any:
    """Matches every enterprise row of ``df`` against the policy set.

    ``policies``: (origin, JSON text) pairs of policy files, shipped to the executors;
    ``None`` uses the bundled real policies. ``schema``: schema JSON text, or ``None``
    for the bundled schema. Returns a DataFrame with :data:`RESULT_SCHEMA`.
    """
    import pyarrow as pa  # type: ignore[import-untyped]  # (no stubs)

    sources = [(str(o), str(t)) for o, t in policies] if policies is not None else None

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        engine = _engine(sources, schema)
        for batch in batches:
            rows = batch.to_pylist()
            yield pa.RecordBatch.from_pylist(match_rows(rows, engine, as_of, id_column), schema=_arrow_schema())

    return df.mapInArrow(run, RESULT_SCHEMA)


def _arrow_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("enterprise_id", pa.string()),
            ("policy_id", pa.string()),
            ("verdict", pa.string()),
            ("score", pa.float64()),
            ("benefit_yuan", pa.string()),
            ("missing_fields", pa.list_(pa.string())),
            ("error", pa.string()),
        ]
    )


def _is_year(name: str) -> bool:
    return len(name) == 4 and name.isdigit()


def columnar(df: Any, engine: Optional[Engine] = None) -> Any:
    """``df`` with the columns the columnar path reads: struct columns keyed by year
    flattened to one column per year (``employees.2024`` → ``employees_2024``), columns
    named ``$…`` dropped, and with ``engine`` only the columns its policies read
    (:meth:`huiqi.Engine.columns_read`: the fields read and the id columns), so Spark
    moves no column that changes no answer."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    cols = []
    for f in df.schema.fields:
        if f.name.startswith("$"):
            continue
        dt = f.dataType
        if isinstance(dt, StructType) and dt.fields and all(_is_year(x.name) for x in dt.fields):
            cols += [(F.col(f"`{f.name}`.`{x.name}`").alias(f"{f.name}_{x.name}"), f"{f.name}_{x.name}") for x in dt.fields]
        else:
            cols.append((F.col(f"`{f.name}`"), f.name))
    if engine is not None:
        keep = set(engine.columns_read([name for _, name in cols]))
        cols = [c for c in cols if c[1] in keep]
    return df.select(*[c for c, _ in cols])


def _reader(batches: Iterator[Any]) -> Any:
    """A partition's batches as one ``pyarrow.RecordBatchReader`` (None when empty)."""
    import pyarrow as pa

    it = iter(batches)
    first = next(it, None)
    if first is None:
        return None
    return pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], it))


def _sources(policies: Optional[Sequence[tuple[str, str]]]) -> Optional[list[tuple[str, str]]]:
    return [(str(o), str(t)) for o, t in policies] if policies is not None else None


def bulk_dataframe(
    df: Any,
    *,
    as_of: str,
    output: str = "pairs",
    undetermined: bool = False,
    policies: Optional[Sequence[tuple[str, str]]] = None,
    schema: Optional[str] = None,
) -> Any:
    """Every enterprise of ``df`` against every policy version in force on ``as_of``, one
    enterprise store per partition (columnar, see the module documentation).

    ``output``: ``pairs`` (``enterprise_id, policy_id, verdict``: eligible pairs, and
    undetermined ones with ``undetermined=True``), ``lists`` (``enterprise_id, eligible``
    and with ``undetermined=True`` ``undetermined``: arrays of policy ids) or ``counts``
    (``policy_id, eligible, undetermined``, summed in Spark). ``policies`` and ``schema``
    as for :func:`match_dataframe`."""
    import pyarrow as pa

    if output not in ("pairs", "lists", "counts"):
        raise ValueError("output is one of 'pairs', 'lists', 'counts'")
    sources = _sources(policies)
    data = columnar(df, _engine(sources, schema))
    if output == "pairs":
        ddl = "enterprise_id string, policy_id string, verdict string"
    elif output == "lists":
        ddl = "enterprise_id string, eligible array<string>" + (", undetermined array<string>" if undetermined else "")
    else:
        ddl = "policy_id string, eligible long, undetermined long"
    counts_schema = pa.schema([("policy_id", pa.string()), ("eligible", pa.int64()), ("undetermined", pa.int64())])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        reader = _reader(batches)
        if reader is None:
            return
        engine = _engine(sources, schema)
        if output == "counts":
            # Spark has no unsigned integers.
            yield from engine.bulk_arrow(reader, as_of=as_of, output="counts").cast(counts_schema).to_batches()
            return
        yield from engine.bulk_arrow(reader, as_of=as_of, output=output, undetermined=undetermined, reader=True)

    results = data.mapInArrow(run, ddl)
    if output != "counts":
        return results
    from pyspark.sql import functions as F

    return results.groupBy("policy_id").agg(F.sum("eligible").alias("eligible"), F.sum("undetermined").alias("undetermined"))


def _parquet_units(path: Any, tasks: int) -> tuple[Any, Any, list[tuple[str, list[int]]]]:
    """The Parquet files under ``path`` (a file, a directory, a list of files; any
    filesystem pyarrow reads), their schema, and the work cut into about
    ``tasks`` units of whole row groups of one file, of about equal rows."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    dataset = ds.dataset(path, format="parquet")
    fs = dataset.filesystem
    groups: list[tuple[str, int, int]] = []  # (file, row group, rows)
    for f in dataset.files:
        meta = pq.ParquetFile(f, filesystem=fs).metadata
        groups += [(f, g, meta.row_group(g).num_rows) for g in range(meta.num_row_groups)]
    total = sum(n for _, _, n in groups)
    target = max(1, -(-total // max(1, tasks)))
    units: list[tuple[str, list[int]]] = []
    rows = 0
    for f, g, n in groups:
        if units and units[-1][0] == f and rows + n <= target:
            units[-1][1].append(g)
            rows += n
        else:
            units.append((f, [g]))
            rows = n
    return fs, dataset.schema, units


def bulk_parquet(
    spark: Any,
    path: Any,
    *,
    as_of: str,
    output: str = "pairs",
    undetermined: bool = False,
    policies: Optional[Sequence[tuple[str, str]]] = None,
    schema: Optional[str] = None,
    tasks: Optional[int] = None,
) -> Any:
    """:func:`bulk_dataframe` for enterprises in Parquet files, read by the tasks
    themselves: each task reads its row groups with pyarrow straight into an enterprise
    store (only the columns the policies read), so the rows never pass through Spark's
    row format, the bulk of a DataFrame job's time. Spark schedules the tasks and takes
    the results: the returned DataFrame (same ``output`` shapes and columns as
    :func:`bulk_dataframe`) is written, joined or aggregated as any other.

    ``path``: a Parquet file, a directory of them, or a list of files, on any filesystem
    pyarrow reads (local, HDFS, S3 …) from the driver and the executors alike. Columns
    are named as for :func:`bulk_dataframe` (a struct column keyed by year is read as is).
    ``tasks``: how many tasks (units of whole row groups; default twice Spark's default
    parallelism). ``policies`` and ``schema`` as for :func:`match_dataframe`."""
    import pyarrow as pa

    if output not in ("pairs", "lists", "counts"):
        raise ValueError("output is one of 'pairs', 'lists', 'counts'")
    sources = _sources(policies)
    engine = _engine(sources, schema)
    fs, arrow_schema, units = _parquet_units(path, tasks or 2 * spark.sparkContext.defaultParallelism)
    columns = engine.columns_read(arrow_schema)
    if output == "pairs":
        ddl = "enterprise_id string, policy_id string, verdict string"
    elif output == "lists":
        ddl = "enterprise_id string, eligible array<string>" + (", undetermined array<string>" if undetermined else "")
    else:
        ddl = "policy_id string, eligible long, undetermined long"
    counts_schema = pa.schema([("policy_id", pa.string()), ("eligible", pa.int64()), ("undetermined", pa.int64())])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow.parquet as pq

        engine = _engine(sources, schema)
        for batch in batches:
            for unit in batch.column(0).to_pylist():
                file, groups = units[unit]
                table = pq.ParquetFile(file, filesystem=fs).read_row_groups(groups, columns=columns)
                if output == "counts":
                    yield from engine.bulk_arrow(table, as_of=as_of, output="counts").cast(counts_schema).to_batches()
                else:
                    yield from engine.bulk_arrow(table, as_of=as_of, output=output, undetermined=undetermined, reader=True)

    # One task per unit: a range of one row per partition.
    results = spark.range(0, len(units), 1, max(1, len(units))).mapInArrow(run, ddl)
    if output != "counts":
        return results
    from pyspark.sql import functions as F

    return results.groupBy("policy_id").agg(F.sum("eligible").alias("eligible"), F.sum("undetermined").alias("undetermined"))


def reach(
    df: Any,
    policy_id: str,
    *,
    as_of: str,
    policies: Optional[Sequence[tuple[str, str]]] = None,
    schema: Optional[str] = None,
) -> tuple[Any, Any]:
    """The reverse question for one policy (免申即享 / 精准推送): the eligible and the
    undetermined enterprises of ``df`` (two DataFrames of ``enterprise_id``), by the
    store's reverse query, one store per partition."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    sources = _sources(policies)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        reader = _reader(batches)
        if reader is None:
            return
        engine = _engine(sources, schema)
        with engine.store_from_arrow(reader) as store:
            r = engine.reverse(store, policy_id, as_of=as_of, list=len(store))
        ids = r["eligible_ids"] + r["undetermined_ids"]
        verdicts = ["eligible"] * len(r["eligible_ids"]) + ["undetermined"] * len(r["undetermined_ids"])
        yield pa.RecordBatch.from_arrays([pa.array(ids, pa.string()), pa.array(verdicts, pa.string())], names=["enterprise_id", "verdict"])

    found = columnar(df, _engine(sources, schema)).mapInArrow(run, "enterprise_id string, verdict string")
    return (
        found.where(F.col("verdict") == "eligible").select("enterprise_id"),
        found.where(F.col("verdict") == "undetermined").select("enterprise_id"),
    )
