"""Columnar bulk matching: stores filled from Arrow data and bulk results as Arrow, equal
to ``huiqi bulk`` on the same enterprises as JSON lines, from pyarrow, pandas, Polars and
DuckDB; errors naming the column and the row."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import huiqi
from conftest import run_ok, AS_OF, CLI, ROOT

pa = pytest.importorskip("pyarrow")

COUNT = 400


run = run_ok


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """A profile as one row of columns: per-year fields one column per year."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k.startswith("$"):
            continue
        if isinstance(v, dict):
            out.update({f"{k}_{year}": x for year, x in v.items()})
        else:
            out[k] = v
    return out


class Data:
    def __init__(self, folder: Path):
        self.jsonl = folder / "e.jsonl"
        self.jsonl.write_text(run("gen", "enterprises", "--count", str(COUNT), "--seed", "21"), encoding="utf-8")
        rows = [flatten(json.loads(line)) for line in self.jsonl.read_text(encoding="utf-8").splitlines()]
        names = sorted({k for r in rows for k in r})
        self.table = pa.Table.from_pylist([{k: r.get(k) for k in names} for r in rows])
        pairs_csv = folder / "pairs.csv"
        run("bulk", "--enterprises", str(self.jsonl), "--out", str(pairs_csv), "--as-of", AS_OF)
        self.pairs = [tuple(r) for r in list(csv.reader(io.StringIO(pairs_csv.read_text(encoding="utf-8"))))[1:]]
        counts_csv = folder / "counts.csv"
        run("bulk", "--enterprises", str(self.jsonl), "--out", str(counts_csv), "--format", "counts", "--as-of", AS_OF)
        self.counts = [(p, int(e), int(u)) for p, e, u in list(csv.reader(io.StringIO(counts_csv.read_text(encoding="utf-8"))))[1:]]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    return Data(tmp_path_factory.mktemp("arrow"))


def pairs_of(table: Any) -> list[tuple[str, str, str]]:
    cols = table.to_pydict()
    return list(zip(cols["enterprise_id"], cols["policy_id"], cols["verdict"]))


def test_pairs_equal_huiqi_bulk(engine: huiqi.Engine, data: Data) -> None:
    assert len(data.pairs) > 1000
    got = engine.bulk_arrow(data.table, as_of=AS_OF, undetermined=True)
    assert got.schema.names == ["enterprise_id", "policy_id", "verdict"]
    assert pairs_of(got) == data.pairs
    eligible_only = engine.bulk_arrow(data.table, as_of=AS_OF)
    assert pairs_of(eligible_only) == [p for p in data.pairs if p[2] == "eligible"]


def test_counts_equal_huiqi_bulk_and_the_store_path(engine: huiqi.Engine, data: Data) -> None:
    got = engine.bulk_arrow(data.table, as_of=AS_OF, output="counts").to_pydict()
    assert list(zip(got["policy_id"], got["eligible"], got["undetermined"])) == data.counts
    with engine.open_store(data.jsonl) as store:
        assert [(c["policy"], c["eligible"], c["undetermined"]) for c in engine.bulk_counts(store, as_of=AS_OF)] == data.counts


def test_lists_hold_the_pairs_per_enterprise(engine: huiqi.Engine, data: Data) -> None:
    got = engine.bulk_arrow(data.table, as_of=AS_OF, output="lists", undetermined=True)
    assert got.num_rows == COUNT
    cols = got.to_pydict()
    assert cols["enterprise_id"] == data.table.column("uscc").to_pylist()
    from_lists = {(e, p, v) for v in ("eligible", "undetermined") for e, ps in zip(cols["enterprise_id"], cols[v]) for p in ps}
    assert from_lists == set(data.pairs)


def test_missing_fields_of_undetermined_pairs_are_those_of_match(engine: huiqi.Engine, data: Data) -> None:
    sample = data.table.slice(0, 40)
    got = engine.bulk_arrow(sample, as_of=AS_OF, undetermined=True, missing=True).to_pydict()
    assert set(got) == {"enterprise_id", "policy_id", "verdict", "missing_fields"}
    rows = [json.loads(line) for line in data.jsonl.read_text(encoding="utf-8").splitlines()[:40]]
    want = {}
    for r in rows:
        for p in engine.match(r, as_of=AS_OF, detail="summary")["policies"]:
            if p["verdict"] == "undetermined":
                want[(r["uscc"], p["id"])] = [f["name"] for f in p.get("missing_fields", [])]
    seen = 0
    for e, p, v, m in zip(got["enterprise_id"], got["policy_id"], got["verdict"], got["missing_fields"]):
        if v == "eligible":
            assert m is None
        else:
            assert m == want[(e, p)]
            seen += 1
    assert seen == len(want) > 0
    assert any(want.values())
    with pytest.raises(huiqi.HuiqiError, match="missing fields come with the pairs of undetermined verdicts"):
        engine.bulk_arrow(sample, as_of=AS_OF, missing=True)


def test_a_store_from_arrow_answers_as_the_json_lines_store(engine: huiqi.Engine, data: Data) -> None:
    with engine.store_from_arrow(data.table) as a, engine.open_store(data.jsonl) as b:
        assert len(a) == COUNT
        for policy in ("six-taxes-two-fees-halved", "hitech-certification"):
            assert engine.reverse(a, policy, as_of=AS_OF, list=COUNT) == engine.reverse(b, policy, as_of=AS_OF, list=COUNT)
        # A store is reusable: several outputs from one load.
        assert pairs_of(engine.bulk_arrow(a, as_of=AS_OF, undetermined=True)) == data.pairs


def test_only_the_columns_read_give_the_same_answers(engine: huiqi.Engine, data: Data) -> None:
    read = engine.fields_read()
    assert read["ids"] == ["uscc", "name"]
    names = {f["name"] for f in read["fields"]}
    assert {"industry", "qualifications", "tax_credit", "employees"} <= names
    assert "business_scope" not in names and "tags" not in names  # no bundled policy reads them
    kept = engine.columns_read(data.table.column_names)
    assert "uscc" in kept and "tax_credit_2025" in kept and "business_scope" not in kept
    assert len(kept) < len(data.table.column_names)
    assert pairs_of(engine.bulk_arrow(data.table.select(kept), as_of=AS_OF, undetermined=True)) == data.pairs
    # A label and a year column by label resolve too; a misspelt column is an error.
    assert engine.columns_read(["所属行业", "纳税信用等级@2025", "经营范围"]) == ["所属行业", "纳税信用等级@2025"]
    with pytest.raises(huiqi.HuiqiError, match='did you mean "registered_capital"'):
        engine.columns_read(["registerd_capital"])


def test_a_prepared_store_answers_as_an_unprepared_one(engine: huiqi.Engine, data: Data) -> None:
    policy = "six-taxes-two-fees-halved"
    with engine.store_from_arrow(data.table) as fresh:
        cold_reverse = engine.reverse(fresh, policy, as_of=AS_OF, list=COUNT)
    with engine.store_from_arrow(data.table) as s:
        first = engine.prepare(s, as_of=AS_OF)
        assert first["enterprises"] == COUNT and first["as_of"] == AS_OF
        again = engine.prepare(s, as_of=AS_OF)
        assert again["seconds"] <= first["seconds"]  # kept: no second preparation
        assert engine.reverse(s, policy, as_of=AS_OF, list=COUNT) == cold_reverse
        assert pairs_of(engine.bulk_arrow(s, as_of=AS_OF, undetermined=True)) == data.pairs
        counts = [(c["policy"], c["eligible"], c["undetermined"]) for c in engine.bulk_counts(s, as_of=AS_OF)]
        assert counts == data.counts
        # Another date prepares again; back on the first date the answers are the first's.
        later = engine.bulk_counts(s, as_of="2030-01-01")
        assert later != engine.bulk_counts(s, as_of=AS_OF)  # other fiscal years, other answers
        assert engine.reverse(s, policy, as_of=AS_OF, list=COUNT) == cold_reverse
        # Another engine on the same store never answers from the first engine's sets.
        other = huiqi.Engine.from_sources([("o.json", json.dumps({"policies": [{
            "id": policy, "title": "t", "issuer": "t", "doc_no": "t", "year": 2024, "level": "national",
            "condition": "employees@fy1 >= 0", "benefit": {"kind": "none", "description": "t"}, "source": {"document": "t"}}]}))], include_bundled=False)
        engine.prepare(s, as_of=AS_OF)
        mine = other.reverse(s, policy, as_of=AS_OF, list=COUNT)
        assert mine != cold_reverse
        assert mine["eligible"] + mine["undetermined"] == COUNT
        with pytest.raises(huiqi.HuiqiError, match="as_of"):
            engine.prepare(s, as_of="2026-02-30")


def test_a_reader_streams_in_batches(engine: huiqi.Engine, data: Data) -> None:
    batches = data.table.to_batches(max_chunksize=64)
    assert len(batches) > 1
    reader = engine.bulk_arrow(pa.RecordBatchReader.from_batches(data.table.schema, batches), as_of=AS_OF, undetermined=True, reader=True)
    assert isinstance(reader, pa.RecordBatchReader)
    assert pairs_of(reader.read_all()) == data.pairs


def test_pandas_dataframe(engine: huiqi.Engine, data: Data) -> None:
    pd = pytest.importorskip("pandas")
    df = data.table.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert pairs_of(engine.bulk_arrow(df, as_of=AS_OF, undetermined=True)) == data.pairs


def test_polars_dataframe(engine: huiqi.Engine, data: Data) -> None:
    pl = pytest.importorskip("polars")
    df = pl.from_arrow(data.table)
    assert isinstance(df, pl.DataFrame)
    assert pairs_of(engine.bulk_arrow(df, as_of=AS_OF, undetermined=True)) == data.pairs


def test_duckdb_query_result(engine: huiqi.Engine, data: Data) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.register("enterprises", data.table)
    result = con.sql("select * from enterprises")
    assert pairs_of(engine.bulk_arrow(result, as_of=AS_OF, undetermined=True)) == data.pairs
    # A query that renames and filters: columns by label, fewer rows.
    q = con.sql('select uscc, registered_capital as "注册资本" from enterprises where registered_capital >= 500')
    counts = engine.bulk_arrow(q, as_of=AS_OF, output="counts").to_pydict()
    assert len(counts["policy_id"]) == len(data.counts)


def test_typed_columns_mean_what_the_profile_values_mean(engine: huiqi.Engine) -> None:
    import datetime
    import decimal

    table = pa.table(
        {
            "name": ["a", "b"],
            "registered_capital": pa.array([decimal.Decimal("600.00"), None], pa.decimal128(10, 2)),
            "registration_date": pa.array([datetime.date(2015, 3, 1), None], pa.date32()),
            "industry": pa.array(["I6513", "C3911"]).dictionary_encode(),
        }
    )
    profile = {"name": "a", "registered_capital": 600, "registration_date": "2015-03-01", "industry": "I6513"}
    verdicts = {p["id"]: p["verdict"] for p in engine.verdicts(profile, as_of=AS_OF)["policies"]}
    assert "undetermined" in verdicts.values()
    lists = engine.bulk_arrow(table, as_of=AS_OF, output="lists", undetermined=True).to_pydict()
    assert set(lists["eligible"][0]) == {p for p, v in verdicts.items() if v == "eligible"}
    assert set(lists["undetermined"][0]) == {p for p, v in verdicts.items() if v == "undetermined"}


def test_errors_name_the_column_and_the_row(engine: huiqi.Engine) -> None:
    bad = pa.table({"name": ["a", "b", "c"], "registered_capital": ["100", "200", "lots"]})
    with pytest.raises(huiqi.HuiqiError) as e:
        engine.bulk_arrow(bad, as_of=AS_OF)
    assert e.value.kind == "store"
    assert str(e.value).endswith('column "registered_capital", row 2: "lots" is not a number with an optional unit (e.g. 500, "500万", "12%")')
    with pytest.raises(huiqi.HuiqiError, match='column "capital" is not a schema field'):
        engine.store_from_arrow(pa.table({"capital": [1]}))
    with pytest.raises(huiqi.HuiqiError, match='column "entity_type", row 0: expected one of .*found a number'):
        engine.store_from_arrow(pa.table({"entity_type": [1]}))
    with pytest.raises(ValueError):
        engine.bulk_arrow(bad, as_of=AS_OF, output="wide")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.store_from_arrow([1, 2, 3])


def test_cli_reads_and_writes_parquet(data: Data, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pj = pytest.importorskip("pyarrow.json")
    flat = tmp_path / "flat.parquet"
    pq.write_table(data.table, flat)
    # As Spark writes profile JSON: per-year fields as structs keyed by year, `$comment` kept.
    nested = tmp_path / "nested.parquet"
    pq.write_table(pj.read_json(data.jsonl), nested, compression="snappy")
    for source in (flat, nested):
        out = tmp_path / f"{source.stem}-pairs.parquet"
        run("bulk", "--enterprises", str(source), "--out", str(out), "--as-of", AS_OF)
        assert pairs_of(pq.read_table(out)) == data.pairs
        counts = pq.read_table(run_counts(source, tmp_path)).to_pydict()
        assert list(zip(counts["policy_id"], counts["eligible"], counts["undetermined"])) == data.counts
    store = tmp_path / "from-parquet.store"
    assert "saved 400 enterprises" in run("store", "build", "--enterprises", str(nested), "--out", str(store))
    csv_out = tmp_path / "from-store.csv"
    run("bulk", "--enterprises", str(store), "--out", str(csv_out), "--as-of", AS_OF)
    assert [tuple(r) for r in list(csv.reader(io.StringIO(csv_out.read_text(encoding="utf-8"))))[1:]] == data.pairs
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"name": ["a", "b"], "registered_capital": ["1", "lots"]}), bad)
    done = subprocess.run([str(CLI), "store", "build", "--enterprises", str(bad), "--out", str(tmp_path / "bad.store")], capture_output=True, text=True)
    assert done.returncode == 2
    assert 'column "registered_capital", row 1: "lots" is not a number' in done.stderr


def run_counts(source: Path, tmp_path: Path) -> Path:
    out = tmp_path / f"{source.stem}-counts.parquet"
    run("bulk", "--enterprises", str(source), "--out", str(out), "--format", "counts", "--as-of", AS_OF)
    return out
