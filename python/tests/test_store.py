"""Enterprise stores through Python: reverse identical to the CLI's ``reverse --json`` on a
generated store (saved file and JSON lines), bulk counts equal to ``huiqi bulk --format
counts``, load reports, and errors for missing and corrupt files, unknown policies, bad
arguments, closed handles and a store of another schema."""

from __future__ import annotations

import csv
import datetime
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

import huiqi
from conftest import run_ok, AS_OF, CLI, ROOT, cli

COUNT = 500
POLICY = "six-taxes-two-fees-halved"  # one with both eligible and undetermined enterprises here


run = run_ok


class Files:
    """500 synthetic enterprises as JSON lines, and the store the CLI built from them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.jsonl = folder / "f.jsonl"
        self.store = folder / "f.store"
        self.jsonl.write_text(run("gen", "enterprises", "--count", str(COUNT), "--seed", "7"), encoding="utf-8")
        self.build_report = run("store", "build", "--enterprises", str(self.jsonl), "--out", str(self.store))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    return Files(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def store(engine: huiqi.Engine, files: Files) -> Iterator[huiqi.Store]:
    with engine.open_store(files.store) as s:
        yield s


@pytest.fixture(scope="module")
def jsonl_store(engine: huiqi.Engine, files: Files) -> Iterator[huiqi.Store]:
    with engine.open_store(files.jsonl) as s:
        yield s


def cli_reverse(path: Path, policy: str, *extra: str) -> str:
    return cli("reverse", "--policy", policy, "--enterprises", str(path), "--as-of", AS_OF, "--json", *extra)


# --- identical to the CLI ------------------------------------------------------------------------


def test_reverse_is_byte_identical_to_the_cli_for_every_policy(engine: huiqi.Engine, store: huiqi.Store, files: Files) -> None:
    ids = huiqi.check()["ids"]
    assert POLICY in ids and len(ids) > 10
    for policy in ids:
        want = cli_reverse(files.store, policy, "--list", "5")
        assert want.startswith('{"type":"success"')
        assert engine.reverse_json(store, policy, AS_OF, list=5) == want
        assert engine.reverse(store, policy, AS_OF, list=5) == json.loads(want)["result"]


@pytest.mark.parametrize("list_", [0, 1, 7, 1000])
def test_reverse_lists_as_many_ids_as_asked(engine: huiqi.Engine, jsonl_store: huiqi.Store, files: Files, list_: int) -> None:
    want = cli_reverse(files.jsonl, POLICY, "--list", str(list_))
    assert engine.reverse_json(jsonl_store, POLICY, AS_OF, list=list_) == want
    r = engine.reverse(jsonl_store, POLICY, AS_OF, list=list_)
    assert r["policy"] == POLICY and r["as_of"] == AS_OF and r["enterprises"] == COUNT
    assert r["eligible"] > 0 and r["undetermined"] > 0
    assert len(r["eligible_ids"]) == min(list_, r["eligible"])
    assert len(r["undetermined_ids"]) == min(list_, r["undetermined"])
    assert not set(r["eligible_ids"]) & set(r["undetermined_ids"])
    assert all(re.fullmatch(r"[0-9A-Z]{18}", i) for i in r["eligible_ids"] + r["undetermined_ids"])


def test_the_default_list_is_the_cli_default(engine: huiqi.Engine, store: huiqi.Store, files: Files) -> None:
    assert engine.reverse_json(store, POLICY, AS_OF) == cli_reverse(files.store, POLICY)
    r = engine.reverse(store, POLICY, datetime.date(2026, 6, 30))
    assert len(r["eligible_ids"]) == min(20, r["eligible"])


def test_a_store_file_and_its_json_lines_agree(engine: huiqi.Engine, store: huiqi.Store, jsonl_store: huiqi.Store) -> None:
    assert engine.reverse_json(store, POLICY, AS_OF, 50) == engine.reverse_json(jsonl_store, POLICY, AS_OF, 50)
    assert engine.bulk_counts(store, AS_OF) == engine.bulk_counts(jsonl_store, AS_OF)


def test_bulk_counts_are_those_of_huiqi_bulk(engine: huiqi.Engine, store: huiqi.Store, files: Files) -> None:
    out = files.folder / "counts.csv"
    run("bulk", "--enterprises", str(files.store), "--out", str(out), "--format", "counts", "--as-of", AS_OF)
    with out.open(encoding="utf-8", newline="") as f:
        want = [{"policy": row["policy_id"], "eligible": int(row["eligible"]), "undetermined": int(row["undetermined"])} for row in csv.DictReader(f)]
    counts = engine.bulk_counts(store, AS_OF)
    assert counts == want
    assert len(counts) > 10 and any(c["eligible"] for c in counts) and any(c["undetermined"] for c in counts)
    # The same numbers as one reverse per policy.
    for c in counts:
        r = engine.reverse(store, c["policy"], AS_OF, list=0)
        assert (r["eligible"], r["undetermined"]) == (c["eligible"], c["undetermined"])
    assert json.loads(engine.bulk_counts_json(store, AS_OF)) == {"type": "success", "result": want}


# --- load reports --------------------------------------------------------------------------------


def test_info_reports_the_load(store: huiqi.Store, jsonl_store: huiqi.Store, files: Files) -> None:
    assert store.info == {"enterprises": COUNT, "report": {"loaded": COUNT, "skipped": 0, "warnings": 0, "errors": []}}
    assert len(store) == COUNT
    # JSON lines are checked row by row: the warnings are those `huiqi store build` counted.
    m = re.search(r"loaded (\d+) enterprises, skipped (\d+) bad rows, (\d+) with warnings", files.build_report)
    assert m, files.build_report
    report = jsonl_store.info["report"]
    assert (report["loaded"], report["skipped"], report["warnings"]) == tuple(int(g) for g in m.groups())
    assert report["warnings"] > 0


def test_bad_rows_are_skipped_and_reported(engine: huiqi.Engine, files: Files, tmp_path: Path) -> None:
    lines = files.jsonl.read_text(encoding="utf-8").splitlines()[:3]
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join([lines[0], "{not json", lines[1], '{"registered_capital": "lots"}', lines[2]]) + "\n", encoding="utf-8")
    with engine.open_store(rows) as s:
        info = s.info
        assert info["enterprises"] == 3
        assert info["report"]["loaded"] == 3 and info["report"]["skipped"] == 2
        assert [e["line"] for e in info["report"]["errors"]] == [2, 4]
        assert "registered_capital" in info["report"]["errors"][1]["reason"]
        assert engine.reverse(s, POLICY, AS_OF)["enterprises"] == 3


# --- errors --------------------------------------------------------------------------------------


def test_missing_file(engine: huiqi.Engine, tmp_path: Path) -> None:
    missing = tmp_path / "missing.store"
    with pytest.raises(huiqi.HuiqiError, match="cannot read") as e:
        engine.open_store(missing)
    assert e.value.kind == "store"
    assert e.value.errors[0]["path"] == str(missing)


def test_corrupt_store_file(engine: huiqi.Engine, files: Files, tmp_path: Path) -> None:
    data = files.store.read_bytes()
    truncated = tmp_path / "truncated.store"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(huiqi.HuiqiError) as e:
        engine.open_store(truncated)
    assert e.value.kind == "store"
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.store"
    damaged.write_bytes(bytes(flipped))
    with pytest.raises(huiqi.HuiqiError) as e:
        engine.open_store(damaged)
    assert e.value.kind == "store"


def test_empty_short_and_retagged_store_files_are_errors(engine: huiqi.Engine, files: Files, tmp_path: Path) -> None:
    # None of these may load as "0 enterprises" (a short or empty file is not an empty store).
    data = files.store.read_bytes()
    flipped = bytearray(data)
    flipped[2] ^= 0x08
    for name, content, message in [
        ("empty.store", b"", "is empty"),
        ("short.store", data[:5], "truncated"),
        ("flipped.store", bytes(flipped), "header tag is damaged"),
        ("trailing.store", data + b"xx", "follow the end of the data"),
    ]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(huiqi.HuiqiError, match=message) as e:
            engine.open_store(path)
        assert e.value.kind == "store"


def test_unknown_policy_suggests_the_nearest(engine: huiqi.Engine, store: huiqi.Store, files: Files) -> None:
    with pytest.raises(huiqi.HuiqiError, match=f'did you mean "{POLICY}"') as e:
        engine.reverse(store, POLICY[:-1], AS_OF)
    assert e.value.kind == "unknown_policy"
    # The CLI refuses the same id with the same suggestion.
    done = subprocess.run([str(CLI), "reverse", "--policy", POLICY[:-1], "--enterprises", str(files.store), "--as-of", AS_OF, "--json"],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
    # … and prints the very failure envelope the binding gets.
    assert done.returncode == 1
    assert done.stdout.strip() == engine.reverse_json(store, POLICY[:-1], AS_OF).strip()
    assert json.loads(done.stdout)["errors"][0]["hint"] == f'did you mean "{POLICY}"?'



def test_bad_arguments(engine: huiqi.Engine, store: huiqi.Store) -> None:
    with pytest.raises(huiqi.HuiqiError, match="as_of") as e:
        engine.reverse(store, POLICY, "2026-02-30")
    assert e.value.kind == "request"
    with pytest.raises(huiqi.HuiqiError, match="as_of") as e:
        engine.bulk_counts(store, "June")
    assert e.value.kind == "request"
    with pytest.raises(huiqi.HuiqiError, match="NUL"):
        engine.reverse(store, "a\0b", AS_OF)
    with pytest.raises(ValueError, match="list"):
        engine.reverse(store, POLICY, AS_OF, list=-1)
    with pytest.raises(TypeError, match="huiqi.Store"):
        engine.reverse(engine, POLICY, AS_OF)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="huiqi.Store"):
        engine.bulk_counts("f.store", AS_OF)  # type: ignore[arg-type]
    # A huge list is a whole list, not an overflow.
    assert engine.reverse(store, POLICY, AS_OF, list=2**70)["eligible_ids"] == engine.reverse(store, POLICY, AS_OF, list=COUNT)["eligible_ids"]


def test_closed_store_and_engine(files: Files) -> None:
    with huiqi.Engine.bundled() as e:
        with e.open_store(files.store) as s:
            assert not s.closed and "f.store" in repr(s)
        assert s.closed and "closed" in repr(s)
        s.close()  # idempotent
        with pytest.raises(huiqi.HuiqiError, match="the store is closed"):
            e.reverse(s, POLICY, AS_OF)
        with pytest.raises(huiqi.HuiqiError, match="the store is closed"):
            s.info
    with pytest.raises(huiqi.HuiqiError, match="the engine is closed"):
        e.open_store(files.store)


def test_a_store_outlives_its_engine(files: Files) -> None:
    with huiqi.Engine.bundled() as first:
        s = first.open_store(files.store)
    with s, huiqi.Engine.bundled() as second:
        assert second.reverse(s, POLICY, AS_OF, 3)["enterprises"] == COUNT


OWN = {
    "policies": [
        {
            "id": "big-capital",
            "title": "Big capital",
            "issuer": "test",
            "doc_no": "test",
            "year": 2024,
            "level": "national",
            "condition": "registered_capital >= 500万",
            "benefit": {"kind": "none", "description": "test"},
            "source": {"document": "test"},
        }
    ]
}


def test_any_policy_set_over_the_same_schema(store: huiqi.Store) -> None:
    with huiqi.Engine(policies=OWN) as own:
        counts = own.bulk_counts(store, AS_OF)
        assert [c["policy"] for c in counts] == ["big-capital"]
        r = own.reverse(store, "big-capital", AS_OF)
        assert r["eligible"] == counts[0]["eligible"] > 0


def test_a_store_of_another_schema_is_refused(engine: huiqi.Engine, jsonl_store: huiqi.Store, files: Files) -> None:
    schema = json.loads((ROOT / "data" / "schema" / "enterprise.json").read_text(encoding="utf-8"))
    schema["fields"].pop()
    with huiqi.Engine(policies=OWN, schema=schema) as narrow:
        with pytest.raises(huiqi.HuiqiError, match="another schema") as e:
            narrow.reverse(jsonl_store, "big-capital", AS_OF)
        assert e.value.kind == "store"
        with pytest.raises(huiqi.HuiqiError, match="another schema"):
            narrow.bulk_counts(jsonl_store, AS_OF)
        with pytest.raises(huiqi.HuiqiError) as e:
            narrow.open_store(files.store)  # a saved store is checked when opened
        assert e.value.kind == "store"


# --- threads -------------------------------------------------------------------------------------


def test_one_store_many_threads(engine: huiqi.Engine, store: huiqi.Store) -> None:
    ids = huiqi.check()["ids"] * 2
    want = [engine.reverse_json(store, p, AS_OF, 10) for p in ids]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda p: engine.reverse_json(store, p, AS_OF, 10), ids))
        counts = list(pool.map(lambda _: engine.bulk_counts_json(store, AS_OF), range(4)))
    assert got == want
    assert len(set(counts)) == 1
