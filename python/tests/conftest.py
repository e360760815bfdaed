"""Shared fixtures: the repository root, the bundled engine, the sample enterprises and the
CLI (target/release/huiqi) whose --json output the binding must reproduce byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

import huiqi

ROOT = Path(os.environ.get("HUIQI_ROOT", Path(__file__).resolve().parents[2]))
AS_OF = "2026-06-30"
SAMPLES = sorted((ROOT / "data" / "enterprises").glob("*.json"))
CLI = ROOT / "target" / "release" / "huiqi"


@pytest.fixture(scope="session")
def engine() -> Iterator[huiqi.Engine]:
    with huiqi.Engine.bundled() as e:
        yield e


@pytest.fixture(scope="session")
def samples() -> dict[str, dict]:
    """Sample enterprises by file stem."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in SAMPLES}


def run_ok(*args: str) -> str:
    """Stdout of a CLI command that must succeed (exit status 0)."""
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: cargo build --release -p huiqi-cli")
    done = subprocess.run([str(CLI), *args], cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    return done.stdout


def cli(*args: str) -> str:
    """Stdout of the CLI (exit status 0 or 1 = an answer), without the final newline."""
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: cargo build --release -p huiqi-cli")
    run = subprocess.run([str(CLI), *args], cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
    assert run.returncode in (0, 1), run.stderr
    return run.stdout.removesuffix("\n")
