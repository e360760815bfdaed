"""The Python binding on the bundled data: answers identical to the CLI, known verdicts of the
sample enterprises, errors raised with the engine's messages, streaming match_many."""

from __future__ import annotations

import copy
import datetime
import itertools
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import huiqi
from conftest import AS_OF, ROOT, SAMPLES, cli


def verdicts(result: dict) -> dict[str, str]:
    return {p["id"]: p["verdict"] for p in result["policies"]}


def by_id(result: dict, policy_id: str) -> dict:
    return next(p for p in result["policies"] if p["id"] == policy_id)


# --- the library and the package ----------------------------------------------------------


def test_version_is_the_workspace_version() -> None:
    cargo = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    m = re.search(r'\[workspace\.package\][^\[]*?version = "([^"]+)"', cargo)
    assert m and huiqi.version() == m.group(1)


@pytest.mark.skipif(not os.environ.get("HUIQI_EXPECT_WHEEL"), reason="only when testing the installed wheel")
def test_the_installed_wheel_carries_the_library() -> None:
    package = Path(huiqi.__file__).resolve().parent
    assert package != (ROOT / "python" / "huiqi").resolve(), "testing the source tree, not the wheel"
    assert huiqi.LIBRARY_PATH.resolve().parent == package
    assert (package / "py.typed").is_file()


# --- identical to the CLI's --json ------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_match_is_byte_identical_to_the_cli(engine: huiqi.Engine, path: Path) -> None:
    want = cli("match", "--profile", str(path), "--as-of", AS_OF, "--json")
    text = path.read_text(encoding="utf-8")
    assert engine.match_json(text, AS_OF) == want
    # A dict goes through json.dumps and gives the same result.
    assert engine.match(json.loads(text), as_of=AS_OF) == json.loads(want)["result"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_explain_is_byte_identical_to_the_cli(engine: huiqi.Engine, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for policy in ("hitech-eit-15pct-rate", "small-low-profit-eit"):
        want = cli("explain", "--profile", str(path), "--policy", policy, "--as-of", AS_OF, "--json")
        assert engine.explain_json(text, policy, AS_OF) == want


def test_match_many_is_byte_identical_to_the_cli(engine: huiqi.Engine, tmp_path: Path) -> None:
    lines = [json.dumps(json.loads(p.read_text(encoding="utf-8")), ensure_ascii=False) for p in SAMPLES]
    lines.insert(3, "{not json")
    jsonl = tmp_path / "profiles.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    want = cli("match", "--profiles", str(jsonl), "--as-of", AS_OF, "--json").split("\n")
    assert list(engine.match_many_json(lines, AS_OF, chunk_size=4)) == want


@pytest.mark.parametrize("path", SAMPLES[:3], ids=lambda p: p.stem)
def test_a_policy_folder_is_byte_identical_to_the_cli(path: Path) -> None:
    want = cli("match", "--policies", "data/policies", "--profile", str(path), "--as-of", AS_OF, "--json")
    with huiqi.Engine.from_dir(ROOT / "data" / "policies") as from_dir:
        assert from_dir.match_json(path.read_text(encoding="utf-8"), AS_OF) == want


# --- known verdicts of the sample enterprises -----------------------------------------------


def test_quanzhi_software(engine: huiqi.Engine, samples: dict) -> None:
    r = engine.match(samples["01-quanzhi-software"], AS_OF)
    assert r["as_of"] == AS_OF
    assert r["enterprise"] == "济南泉智云图软件科技有限公司（91370100MA3D7K2N8B）"
    # Decided from its records (hires, purchases, lists): few policies stay undetermined.
    assert r["summary"] == {"eligible": 11, "undetermined": 3, "ineligible": 32, "not_in_force": 16}
    v = verdicts(r)
    assert v["hitech-eit-15pct-rate"] == "eligible"
    assert v["rd-super-deduction-100pct"] == "eligible"
    # Two graduates hired in 2026 with three months of insurance: 1500元 each.
    assert v["job-expansion-subsidy-2026"] == "eligible"
    assert by_id(r, "job-expansion-subsidy-2026")["benefit"]["amount_yuan"] == "3000"
    # The 2019 高新区 trial reward ended in 2020: not matched in 2026.
    assert "jnhz-hitech-certification-reward" not in verdicts(engine.match(samples["01-quanzhi-software"], AS_OF, all=True))
    # Eligible first, then undetermined, then ineligible.
    order = [p["verdict"] for p in r["policies"]]
    assert order == sorted(order, key=["eligible", "undetermined", "ineligible"].index)


def test_restaurant_is_a_small_low_profit_enterprise(engine: huiqi.Engine, samples: dict) -> None:
    r = engine.match(samples["03-laojiefang-restaurant"], AS_OF, all=True)
    p = by_id(r, "small-low-profit-eit")
    assert p["verdict"] == "eligible" and p["score"] == "1"
    assert p["benefit"]["amount_yuan"] == "6200"
    assert verdicts(r)["hitech-eit-15pct-rate"] == "ineligible"


def test_missing_fields_leave_policies_undetermined(engine: huiqi.Engine, samples: dict) -> None:
    r = engine.match(samples["08-hengzhu-construction"], AS_OF)
    p = by_id(r, "small-low-profit-eit")
    assert p["verdict"] == "undetermined"
    assert [f["name"] for f in p["missing_fields"]] == ["total_assets"]
    assert "total_assets" in [q["field"] for q in r["next_questions"]]


def test_abnormal_operation_list(engine: huiqi.Engine, samples: dict) -> None:
    r = engine.match(samples["05-xincheng-hardware"], AS_OF, all=True)
    p = by_id(r, "tech-sme-evaluation")
    assert p["verdict"] == "ineligible"
    assert any("abnormal_operation_list" in u["message_en"] for u in p["unmet"])
    assert [f["name"] for f in by_id(r, "small-low-profit-eit")["missing_fields"]] == ["taxable_income"]


def test_expired_and_renewed_qualifications(engine: huiqi.Engine, samples: dict) -> None:
    v = verdicts(engine.match(samples["07-huadai-pharma"], AS_OF, all=True))
    assert v["hitech-eit-15pct-rate"] == "eligible"
    assert v["small-low-profit-eit"] == "ineligible"
    # The 2022 专精特新 rules ended 2026-03-31; the 2026 version is the one matched, and
    # it needs a 科技/创新型 title the pharma sample does not hold.
    assert "specialized-sme" not in v and v["specialized-sme-2026"] == "ineligible"


def test_a_wrong_uscc_check_character_warns(engine: huiqi.Engine, samples: dict) -> None:
    r = engine.match(samples["09-meicheng-realestate"], AS_OF)
    assert any(w.startswith("$.uscc:") for w in r["warnings"])
    assert verdicts(engine.match(samples["09-meicheng-realestate"], AS_OF, all=True))["hitech-eit-15pct-rate"] == "ineligible"


def test_restructured_company(engine: huiqi.Engine, samples: dict) -> None:
    # The restructuring subsidy is matched up to 2018 only (no text of its later rounds).
    r = engine.match(samples["02-mingchuan-hydraulics"], "2018-06-30")
    # Restructured; whether the subsidy was already received is the field that decides.
    p = by_id(r, "jinan-company-restructuring-subsidy")
    assert p["verdict"] == "undetermined" and not p.get("manual_review")
    assert [f["name"] for f in p["missing_fields"]] == ["restructuring_subsidy_received"]
    assert "jinan-company-restructuring-subsidy" not in verdicts(engine.match(samples["02-mingchuan-hydraulics"], AS_OF, all=True))


def test_explain_gives_the_tree(engine: huiqi.Engine, samples: dict) -> None:
    r = engine.explain(samples["03-laojiefang-restaurant"], "hitech-eit-15pct-rate", AS_OF)
    assert r["policy"]["verdict"] == "ineligible"
    assert r["condition"] == r["explanation"]["text"]
    leaves = r["explanation"]["children"]
    assert [c["status"] for c in leaves] == ["met", "unmet"]
    # Holds no certificate, and none granted in fy3 (which would allow the expiry year).
    assert leaves[1]["children"][0]["message_zh"] == "未持有有效的高新技术企业"


def test_dates(engine: huiqi.Engine, samples: dict) -> None:
    p = samples["01-quanzhi-software"]
    assert engine.match(p, datetime.date(2026, 6, 30)) == engine.match(p, AS_OF)
    assert engine.match(p)["as_of"] == datetime.date.today().isoformat()


# --- errors -------------------------------------------------------------------------------------


def test_bad_json_profile(engine: huiqi.Engine) -> None:
    with pytest.raises(huiqi.HuiqiError, match="not valid JSON") as e:
        engine.match("{not json", AS_OF)
    assert e.value.kind == "json"
    assert e.value.errors[0]["path"] == "$"


def test_ill_typed_field_names_its_path(engine: huiqi.Engine) -> None:
    with pytest.raises(huiqi.HuiqiError, match=r"\$\.registered_capital: .*not a number") as e:
        engine.match({"registered_capital": "lots"}, AS_OF)
    assert e.value.errors[0]["path"] == "$.registered_capital"


def test_bad_as_of(engine: huiqi.Engine) -> None:
    with pytest.raises(huiqi.HuiqiError, match="as_of") as e:
        engine.match({}, "2026-02-30")
    assert e.value.kind == "request"


def test_unknown_policy_suggests_the_nearest(engine: huiqi.Engine) -> None:
    with pytest.raises(huiqi.HuiqiError, match='did you mean "hitech-eit-15pct-rate"') as e:
        engine.explain({}, "hitech-eit-15pct-rat", AS_OF)
    assert e.value.kind == "unknown_policy"


def test_nul_character(engine: huiqi.Engine) -> None:
    with pytest.raises(huiqi.HuiqiError, match="NUL"):
        engine.match('{"name": "a\0b"}', AS_OF)


BROKEN = {
    "policies": [
        {
            "id": "broken",
            "title": "Broken",
            "issuer": "test",
            "doc_no": "test",
            "year": 2024,
            "level": "national",
            "condition": "registered_capital >= >= 500万",
            "benefit": {"kind": "none", "description": "test"},
            "source": {"document": "test"},
        }
    ]
}


def fixed(doc: dict) -> dict:
    """BROKEN with its condition repaired."""
    good = copy.deepcopy(doc)
    good["policies"][0]["condition"] = "registered_capital >= 500万"
    return good


def test_bad_policy_set_reports_line_and_column() -> None:
    with pytest.raises(huiqi.HuiqiError) as e:
        huiqi.Engine(policies=BROKEN)
    err = e.value.errors[0]
    assert err["kind"] == "policy" and err["policy"] == "broken" and err["origin"] == "policies.json"
    assert err["line"] == 1 and err["column"] > 1
    assert "broken" in str(e.value)


def test_check() -> None:
    summary = huiqi.check()
    assert summary["policies"] == len(summary["ids"]) > 10
    assert "hitech-eit-15pct-rate" in summary["ids"]
    good = fixed(BROKEN)
    checked = huiqi.check(good)
    assert checked["policies"] == 1 and checked["ids"] == ["broken"]
    # No definitions of its own: only the schema's derived fields.
    schema = json.loads((ROOT / "data" / "schema" / "enterprise.json").read_text(encoding="utf-8"))
    assert checked["definitions"] == len(schema["derived"]) < summary["definitions"]
    with pytest.raises(huiqi.HuiqiError, match="broken"):
        huiqi.check(BROKEN)
    with pytest.raises(huiqi.HuiqiError) as e:
        huiqi.check(schema="{}")
    assert e.value.kind == "schema"


def test_own_policies_with_and_without_the_bundled_set(samples: dict) -> None:
    good = fixed(BROKEN)
    with huiqi.Engine(policies=good) as own:
        r = own.match({"registered_capital": 800}, AS_OF)
        assert verdicts(r) == {"broken": "eligible"}
    with huiqi.Engine(policies=good, include_bundled=True) as both:
        with huiqi.Engine.bundled() as bundled:
            n = len(bundled.match(samples["01-quanzhi-software"], AS_OF, all=True)["policies"])
        assert len(both.match(samples["01-quanzhi-software"], AS_OF, all=True)["policies"]) == n + 1
    with huiqi.Engine.from_sources({"a.json": good}) as e:
        assert e.explain({"registered_capital": 100}, "broken", AS_OF)["policy"]["verdict"] == "ineligible"


def test_missing_policy_folder() -> None:
    with pytest.raises(huiqi.HuiqiError, match="cannot read policy folder /nonexistent") as e:
        huiqi.Engine.from_dir("/nonexistent")
    assert e.value.kind == "file"


def test_closed_engine(samples: dict) -> None:
    with huiqi.Engine.bundled() as e:
        assert not e.closed
    assert e.closed
    e.close()  # idempotent
    with pytest.raises(huiqi.HuiqiError, match="closed"):
        e.match(samples["01-quanzhi-software"], AS_OF)


# --- match_many ----------------------------------------------------------------------------------


def test_match_many_keeps_order_and_reports_bad_lines(engine: huiqi.Engine, samples: dict) -> None:
    profiles: list = list(samples.values())
    profiles.insert(2, "{not json")
    profiles.insert(5, {"registered_capital": "lots"})
    profiles.insert(7, "   ")
    for chunk_size in (1, 3, 256):
        out = list(engine.match_many(profiles, AS_OF, chunk_size=chunk_size))
        assert len(out) == len(profiles)
        errors = [i for i, r in enumerate(out) if isinstance(r, huiqi.HuiqiError)]
        assert errors == [2, 5, 7]
        assert "not valid JSON" in str(out[2]) and out[5].errors[0]["path"] == "$.registered_capital"
        for p, r in zip(profiles, out):
            if not isinstance(r, huiqi.HuiqiError):
                assert r == engine.match(p, AS_OF)


def test_match_many_accepts_pretty_printed_text(engine: huiqi.Engine) -> None:
    text = SAMPLES[0].read_text(encoding="utf-8")
    assert "\n" in text
    out = list(engine.match_many_json([text, text], AS_OF))
    assert out == [engine.match_json(text, AS_OF)] * 2


def test_a_bad_pretty_printed_profile_in_a_batch_names_its_line(engine: huiqi.Engine) -> None:
    bad = '{\n  "registered_capital": "lots"\n}'
    one = json.loads(engine.match_json(bad, AS_OF))
    assert one["type"] == "failure" and "line" not in one["errors"][0]
    out = list(engine.match_many_json(['{"name": "a"}', bad], AS_OF))
    got = json.loads(out[1])
    assert got["errors"][0]["line"] == 2
    assert {k: v for k, v in got["errors"][0].items() if k != "line"} == one["errors"][0]
    # The keys in the library's order: line after path, as in the lines it matches itself.
    keys = list(got["errors"][0])
    assert keys.index("line") > keys.index("message")


def test_match_many_streams(engine: huiqi.Engine, samples: dict) -> None:
    pulled = 0

    def endless():
        nonlocal pulled
        for p in itertools.cycle(samples.values()):
            pulled += 1
            yield p

    first = list(itertools.islice(engine.match_many(endless(), AS_OF, chunk_size=8), 20))
    assert len(first) == 20 and pulled <= 24
    n = len(samples)
    assert [r["enterprise"] for r in first[:n]] == [engine.match(p, AS_OF)["enterprise"] for p in samples.values()]


def test_match_many_can_raise(engine: huiqi.Engine) -> None:
    with pytest.raises(huiqi.HuiqiError, match="not valid JSON"):
        list(engine.match_many([{}, "{bad"], AS_OF, errors="raise"))


# --- threads ------------------------------------------------------------------------------------


def test_one_engine_many_threads(engine: huiqi.Engine, samples: dict) -> None:
    profiles = list(samples.values()) * 4
    want = [engine.match_json(p, AS_OF) for p in profiles]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda p: engine.match_json(p, AS_OF), profiles))
    assert got == want


# --- detail levels, verdicts, bad items ------------------------------------------------------


@pytest.mark.parametrize("detail", ["verdicts", "summary", "full"])
def test_detail_levels_are_byte_identical_to_the_cli(engine: huiqi.Engine, detail: str) -> None:
    path = SAMPLES[0]
    for extra, kwargs in ([], {}), (["--all"], {"all": True}), (["--limit", "2"], {"limit": 2}):
        want = cli("match", "--profile", str(path), "--as-of", AS_OF, "--json", "--detail", detail, *extra)
        assert engine.match_json(path.read_text(encoding="utf-8"), AS_OF, detail=detail, **kwargs) == want


def test_default_lists_eligible_and_undetermined_only(engine: huiqi.Engine, samples: dict) -> None:
    r = engine.match(samples["01-quanzhi-software"], AS_OF)
    assert {p["verdict"] for p in r["policies"]} == {"eligible", "undetermined"}
    assert len(r["policies"]) == r["summary"]["eligible"] + r["summary"]["undetermined"]
    everything = engine.match(samples["01-quanzhi-software"], AS_OF, all=True)
    s = r["summary"]
    assert len(everything["policies"]) == s["eligible"] + s["undetermined"] + s["ineligible"]  # not_in_force: not matched
    summary = engine.match(samples["01-quanzhi-software"], AS_OF, detail="summary")
    assert [p["id"] for p in summary["policies"]] == [p["id"] for p in r["policies"]]
    assert all("unmet" not in p and "undetermined" not in p for p in summary["policies"])
    assert summary["next_questions"] == r["next_questions"]
    assert len(engine.match(samples["01-quanzhi-software"], AS_OF, limit=1)["policies"]) == 1


def test_verdicts(engine: huiqi.Engine, samples: dict) -> None:
    full = engine.match(samples["01-quanzhi-software"], AS_OF)
    v = engine.verdicts(samples["01-quanzhi-software"], AS_OF)
    assert v["summary"] == full["summary"]
    assert {p["id"]: p["verdict"] for p in v["policies"]} == verdicts(full)
    assert all(set(p) == {"id", "verdict"} for p in v["policies"])
    assert v == engine.match(samples["01-quanzhi-software"], AS_OF, detail="verdicts")


def test_verdict_bytes_are_the_verdicts_in_the_sets_order(engine: huiqi.Engine, samples: dict) -> None:
    ids = engine.policy_ids()
    assert len(ids) == len(set(ids)) >= 10
    for name, profile in samples.items():
        for as_of in (AS_OF, "2019-01-01"):
            b = engine.verdict_bytes(profile, as_of)
            assert isinstance(b, bytes) and len(b) == len(ids)
            v = engine.verdicts(profile, as_of)
            codes = [huiqi.VERDICT_CODES[x] for x in b]
            listed = {p["id"]: p["verdict"] for p in v["policies"]}
            assert {i: c for i, c in zip(ids, codes) if c in ("eligible", "undetermined")} == listed, name
            assert codes.count("not_in_force") == v["summary"]["not_in_force"], name
            assert codes.count("ineligible") == v["summary"]["ineligible"], name
    with pytest.raises(huiqi.HuiqiError) as e:
        engine.verdict_bytes({"employees": "many"}, AS_OF)
    assert e.value.errors[0]["kind"] == "profile"
    with pytest.raises(huiqi.HuiqiError, match="as_of"):
        engine.verdict_bytes({}, "30/06/2026")
    closed = huiqi.Engine()
    closed.close()
    with pytest.raises(huiqi.HuiqiError, match="closed"):
        closed.verdict_bytes({}, AS_OF)


def test_bad_options(engine: huiqi.Engine, samples: dict) -> None:
    with pytest.raises(huiqi.HuiqiError, match="detail"):
        engine.match(samples["01-quanzhi-software"], AS_OF, detail="everything")  # type: ignore[arg-type]
    with pytest.raises(huiqi.HuiqiError, match="limit"):
        engine.match(samples["01-quanzhi-software"], AS_OF, limit=-1)
    with pytest.raises(huiqi.HuiqiError, match="as_of"):
        engine.match(samples["01-quanzhi-software"], as_of=123)  # type: ignore[arg-type]


def test_match_many_yields_an_error_for_each_bad_item_and_loses_nothing(engine: huiqi.Engine, samples: dict) -> None:
    good = list(samples.values())[:3]
    items: list = [good[0], None, b'{"name": "\xff"}', good[1], "\ud800", {"x": {1, 2}}, "", good[2]]
    for chunk_size in (1, 2, 256):
        for detail in ("verdicts", "full"):
            out = list(engine.match_many(items, AS_OF, chunk_size=chunk_size, detail=detail))
            assert len(out) == len(items)
            bad = [i for i, r in enumerate(out) if isinstance(r, huiqi.HuiqiError)]
            assert bad == [1, 2, 4, 5, 6], (chunk_size, detail, out)
            # Each failure names its item as the line, counted from 1.
            assert [out[i].errors[0]["line"] for i in bad] == [i + 1 for i in bad]
            for i in (0, 3, 7):
                assert out[i] == engine.match(items[i], AS_OF, detail=detail)


def test_match_many_threads_do_not_change_answers(engine: huiqi.Engine, samples: dict) -> None:
    profiles = list(samples.values()) * 5
    one = list(engine.match_many_json(profiles, AS_OF, detail="summary", threads=1))
    assert list(engine.match_many_json(profiles, AS_OF, detail="summary", threads=4)) == one


ZONE_POLICY = {
    "policies": [
        {
            "id": "zone-test",
            "title": "t",
            "issuer": "test",
            "doc_no": "test",
            "year": 2024,
            "level": "district",
            "condition": "registered_zone under test_zone",
            "benefit": {"kind": "none", "description": "test"},
            "source": {"document": "test"},
        }
    ]
}
# A platform-local zone list (synthetic, for these tests only).
ZONE_TABLE = {
    "system": "zone",
    "standard": "test zones (synthetic)",
    "nodes": [{"code": "test_zone", "name": "test zone", "districts": ["370102"]}],
}


def test_code_tables_replace_the_bundled_ones(tmp_path: Path) -> None:
    """``codes=`` is ``huiqi --codes DIR``: a folder, or tables in memory."""
    with pytest.raises(huiqi.HuiqiError, match="test_zone"):
        huiqi.Engine(ZONE_POLICY)
    (tmp_path / "zones.json").write_text(json.dumps(ZONE_TABLE), encoding="utf-8")
    profile = {"name": "z", "registered_zone": "test_zone"}
    for codes in (tmp_path, str(tmp_path), {"zones.json": ZONE_TABLE}, [("zones.json", json.dumps(ZONE_TABLE).encode())]):
        with huiqi.Engine(ZONE_POLICY, codes=codes) as e:
            assert verdicts(e.match(profile, as_of=AS_OF)) == {"zone-test": "eligible"}, codes
    with huiqi.Engine.from_sources({"z.json": ZONE_POLICY}, codes={"zones.json": ZONE_TABLE}) as e:
        assert verdicts(e.match(profile, as_of=AS_OF)) == {"zone-test": "eligible"}
    # Replaced zones are all the zones: the bundled policies' 高新区 test no longer checks.
    with pytest.raises(huiqi.HuiqiError, match="370176"):
        huiqi.Engine(codes={"zones.json": ZONE_TABLE})
    # No policies: the bundled ones, here on the full GB/T 2260 region table; same verdicts
    # as the CLI's --codes for a sample.
    full = ROOT / "data" / "codes" / "region-full.json"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "region-full.json").write_bytes(full.read_bytes())
    with huiqi.Engine(codes=tmp_path / "full") as e:
        got = e.match_json(SAMPLES[0].read_text(encoding="utf-8"), as_of=AS_OF, detail="verdicts")
    want = cli("match", "--profile", str(SAMPLES[0]), "--as-of", AS_OF, "--json", "--detail", "verdicts", "--codes", str(tmp_path / "full"))
    assert got == want.strip()
    # A bad table names itself, and a folder that cannot be read is an error.
    with pytest.raises(huiqi.HuiqiError) as bad:
        huiqi.Engine(codes={"industry.json": {"system": "industry", "nodes": []}})
    assert bad.value.errors[0]["kind"] == "codes" and "industry.json" in bad.value.errors[0]["message"]
    with pytest.raises(huiqi.HuiqiError, match="code-table folder"):
        huiqi.Engine(codes=tmp_path / "missing")
    with pytest.raises(huiqi.HuiqiError, match="UTF-8"):
        huiqi.Engine(codes={"zones.json": b"\xff"})
