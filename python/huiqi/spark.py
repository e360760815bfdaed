"""Huiqi on Apache Spark: every enterprise of a DataFrame against a policy set, as an
ordinary Spark job.

    from huiqi.spark import match_dataframe
    results = match_dataframe(enterprises_df, as_of="2026-06-30")
    results.write.parquet("results.parquet")

Design:

- The input is a DataFrame of enterprise profiles. Columns map to schema fields by name
  (English names or Chinese labels); per-year fields are struct or map columns keyed by
  year (``{"2024": 1200, "2025": 1500}``), as ``spark.read.json`` produces from profile
  JSON; tags are arrays; qualifications arrays of structs. Null means unknown.
- Partitions are processed with ``mapInArrow``: each Arrow batch becomes JSON lines and
  goes through the C ABI's ``huiqi_match_many_opts`` in one call (summary detail).
- The engine is built once per executor process, from the policy set shipped with the
  job (the policy texts travel in the task closure; the compiled engine is cached in the
  worker process, keyed by a digest of the texts).
- One output row per (enterprise, policy in force): verdict, score, benefit estimate and
  missing fields. A row that fails to decode yields one row with ``verdict = "error"`` and
  the engine's message — never a dropped row or a failed job.
"""

from __future__ import annotations

import hashlib
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


def reach(results: Any, policy_id: str) -> tuple[Any, Any]:
    """The reverse question for one policy (免申即享 / 精准推送): the eligible and the
    undetermined enterprises, from the results of :func:`match_dataframe`."""
    from pyspark.sql import functions as F

    mine = results.where(F.col("policy_id") == policy_id)
    return (
        mine.where(F.col("verdict") == "eligible").select("enterprise_id"),
        mine.where(F.col("verdict") == "undetermined").select("enterprise_id", "missing_fields"),
    )
