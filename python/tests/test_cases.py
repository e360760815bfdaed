"""The shared conformance cases (data/cases/*.toml) through the C ABI, with the semantics of
the Rust runner (core/tests/cases.rs): for each case an engine of the bundled policies (plus
the case's own policy when it gives a `condition`), then explain, and the verdict, message
fragments, missing fields, benefit and score must be exactly as expected. The cases of one
bundled policy are kept beside it (its `tests`) and run by the `test` operation."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

import huiqi
from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CASE_FILES = sorted((ROOT / "data" / "cases").glob("*.toml"))
FIELDS = {"name", "as_of", "policy", "condition", "definitions", "benefit", "profile", "profile_file", "verdict", "messages", "missing", "benefit_yuan", "score"}


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for f in CASE_FILES:
        parsed = tomllib.loads(f.read_text(encoding="utf-8"))
        assert set(parsed) <= {"description", "case"}, f"{f.name}: unknown keys"
        for c in parsed["case"]:
            assert set(c) <= FIELDS, f"{f.name} :: {c.get('name')}: unknown keys {set(c) - FIELDS}"
            cases.append((f.name, c))
    return cases


CASES = load_cases()


# The counts of core/tests/oracle/cases.rs: a case that disappears fails the run.
MIN_TOML_CASES = 295
MIN_POLICY_CASES = 267


def test_no_case_has_disappeared() -> None:
    assert len(CASES) >= MIN_TOML_CASES


def profile_text(c: dict[str, Any]) -> str:
    if ("profile" in c) == ("profile_file" in c):
        raise AssertionError("give exactly one of profile, profile_file")
    if "profile_file" in c:
        return (ROOT / c["profile_file"]).read_text(encoding="utf-8")
    p = c["profile"]
    # A string is JSON text; a table is encoded as JSON.
    return p if isinstance(p, str) else json.dumps(p, ensure_ascii=False)


def messages(e: dict[str, Any]) -> Iterator[str]:
    yield e["message_zh"]
    yield e["message_en"]
    for child in e.get("children", []):
        yield from messages(child)


@pytest.fixture(scope="module")
def bundled() -> Iterator[huiqi.Engine]:
    with huiqi.Engine.bundled() as e:
        yield e


@pytest.mark.parametrize("file,case", CASES, ids=[f"{f}::{c['name']}" for f, c in CASES])
def test_case(bundled: huiqi.Engine, file: str, case: dict[str, Any]) -> None:
    as_of = case.get("as_of", "2026-06-30")
    text = profile_text(case)
    if ("policy" in case) == ("condition" in case):
        raise AssertionError("give exactly one of policy, condition")
    if "policy" in case:
        engine, policy_id, own = bundled, case["policy"], False
    else:
        doc = {
            "definitions": case.get("definitions", {}),
            "policies": [
                {
                    "id": "case",
                    "title": case["name"],
                    "issuer": "test",
                    "doc_no": "test",
                    "year": 2024,
                    "level": "national",
                    "condition": case["condition"],
                    "benefit": case.get("benefit", {"kind": "none", "description": "test"}),
                    "source": {"document": "test case"},
                }
            ],
        }
        engine, policy_id, own = huiqi.Engine.from_sources({"case.json": doc}, include_bundled=True), "case", True
    try:
        r = engine.explain(text, policy_id, as_of)
        problems = []
        policy = r["policy"]
        if policy["verdict"] != case["verdict"]:
            problems.append(f"verdict {policy['verdict']} (expected {case['verdict']})")
        # The index (match) must agree with explain (the reference evaluator) on the verdict.
        matched = {p["id"]: p["verdict"] for p in engine.match(text, as_of)["policies"]}
        if policy_id in matched and matched[policy_id] != policy["verdict"]:
            problems.append(f"match says {matched[policy_id]}, explain says {policy['verdict']}")
        found = list(messages(r["explanation"]))
        for m in case.get("messages", []):
            if not any(m in x for x in found):
                problems.append(f"no message contains {m!r}; messages:\n      " + "\n      ".join(found))
        if "missing" in case:
            got = sorted(f["name"] for f in policy.get("missing_fields", []))
            if got != sorted(case["missing"]):
                problems.append(f"missing fields {got} (expected {sorted(case['missing'])})")
        if "benefit_yuan" in case and policy["benefit"].get("amount_yuan") != case["benefit_yuan"]:
            problems.append(f"benefit {policy['benefit'].get('amount_yuan')!r} (expected {case['benefit_yuan']})")
        if "score" in case and policy["score"] != case["score"]:
            problems.append(f"score {policy['score']} (expected {case['score']})")
        assert not problems, f"{file} :: {case['name']}\n    " + "\n    ".join(problems)
    finally:
        if own:
            engine.close()


def test_every_bundled_policy_test_passes(bundled: huiqi.Engine) -> None:
    """The test cases kept beside the bundled policies, through the `test` operation: every
    one passes (a case marked ``known_issue`` is a known disagreement, counted apart)."""
    r = bundled.call("test", {})
    failed = [
        f"{p['policy']} :: {c['name']}: {json.dumps(c, ensure_ascii=False)}"
        for p in r["policies"]
        for c in p["results"]
        if c["status"] == "failed"
    ]
    assert not failed, "\n".join(failed)
    assert r["failed"] == 0
    assert r["cases"] >= MIN_POLICY_CASES
    assert r["cases"] == r["passed"] + r["known_issues"]
    assert r["known_issues_passing"] == 0
