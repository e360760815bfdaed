"""The operation layer's conformance cases (data/cases/ops/cases.json) through
``Engine.call_json``: byte for byte the envelopes recorded in data/cases/ops/expected/,
which the Rust core, the CLI (``huiqi call``) and WASM (``Engine.call``) are checked
against too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import huiqi

from conftest import AS_OF, ROOT

CASES = json.loads((ROOT / "data" / "cases" / "ops" / "cases.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def store(engine: huiqi.Engine):  # type: ignore[no-untyped-def]
    with engine.open_store(ROOT / "data" / "enterprises") as s:
        yield s


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_call_gives_the_recorded_envelope(engine: huiqi.Engine, store: huiqi.Store, case: dict) -> None:
    want = (ROOT / "data" / "cases" / "ops" / "expected" / f"{case['name']}.json").read_text(encoding="utf-8").removesuffix("\n")
    request = json.dumps(case["request"], ensure_ascii=False)
    got = engine.call_json(case["op"], request, store if case.get("store") else None)
    assert got == want


def test_call_parses_and_raises(engine: huiqi.Engine, samples: dict) -> None:
    summary = engine.call("summary", {"profile": samples["01-quanzhi-software"], "as_of": AS_OF})
    assert summary == engine.match(samples["01-quanzhi-software"], AS_OF)["summary"]
    with pytest.raises(huiqi.HuiqiError, match='did you mean "match"') as e:
        engine.call("mach")
    assert e.value.kind == "request"
    with pytest.raises(huiqi.HuiqiError, match="open one and pass it"):
        engine.call("bulk_counts", {"as_of": AS_OF})


def test_every_error_kind_is_listed() -> None:
    text = (ROOT / "core" / "src" / "ops" / "error.rs").read_text(encoding="utf-8")
    for kind in huiqi.ERROR_KINDS:
        assert f'=> "{kind}"' in text, kind


def test_a_path_given_as_policies_says_what_to_call(tmp_path: Path) -> None:
    with pytest.raises(huiqi.HuiqiError, match="Engine.from_dir") as e:
        huiqi.Engine(str(ROOT / "data" / "policies"))
    assert e.value.kind == "request"
    with pytest.raises(huiqi.HuiqiError, match="Engine.from_dir"):
        huiqi.Engine(tmp_path)


def test_a_bad_item_of_a_batch_is_named_as_an_item_not_a_line(engine: huiqi.Engine, samples: dict) -> None:
    out = engine.call("match_many", {"profiles": [samples["01-quanzhi-software"], {"registered_capital": "lots"}], "as_of": AS_OF})
    assert out[0]["type"] == "success"
    error = huiqi.HuiqiError(out[1]["errors"])
    assert out[1]["errors"][0]["item"] == 1
    assert "item 1" in str(error) and ":0" not in str(error)
