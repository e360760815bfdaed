#!/usr/bin/env python3
"""match_many throughput: native Rust vs the C ABI vs Python, on the same profiles, same
engine (the bundled policies), same evaluation date, one thread, in one run.

    python3 python/bench/bench_match_many.py [--count 2000] [--seed 5] [--reps 5]

The profiles come from `huiqi gen enterprises --count N --seed S`. The three runs:

- native: `huiqi::ops::match_lines` called from Rust (ffi/examples/native_match_many.rs);
- C ABI:  `huiqi_match_many` on the whole batch from C (examples/c/bench.c, static library);
- Python: `Engine.match_many_json` (JSON lines in, envelope strings out) and
          `Engine.match_many` (dicts in, dicts out: json.dumps and json.loads included),
          streamed in chunks of --chunk-size profiles.

All runs must give byte-identical answers (checked). Reported: the best of --reps runs,
profiles per second, and time relative to native (1.00× = as fast as native Rust).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sh(*cmd: str | Path, **kw) -> str:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True, capture_output=True, text=True, **kw).stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--as-of", default="2026-06-30")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--chunk-size", type=int, default=256)
    ap.add_argument("--no-build", action="store_true", help="use the binaries already in target/")
    ap.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = ap.parse_args()

    if not args.no_build:
        sh("cargo", "build", "--release", "-p", "huiqi-cli", "-p", "huiqi-ffi", "--example", "native_match_many")
        sh("make", "-C", "examples/c", "bench")

    out = ROOT / "target" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    profiles_path = out / f"profiles-{args.count}-{args.seed}.jsonl"
    profiles_path.write_text(sh(ROOT / "target/release/huiqi", "gen", "enterprises", "--count", args.count, "--seed", args.seed), encoding="utf-8")
    lines = [line for line in profiles_path.read_text(encoding="utf-8").split("\n") if line.strip()]
    dicts = [json.loads(line) for line in lines]

    results: dict[str, list[float]] = {}
    answers: dict[str, str] = {}
    for name, cmd in (
        ("native Rust (match_lines)", [ROOT / "target/release/examples/native_match_many"]),
        ("C ABI (huiqi_match_many)", [ROOT / "target/c/bench"]),
    ):
        answer_path = out / f"answers-{name.split()[0].lower()}.jsonl"
        r = json.loads(sh(*cmd, profiles_path, args.as_of, args.reps, answer_path))
        assert r["profiles"] == len(lines), r
        results[name] = r["seconds"]
        answers[name] = answer_path.read_text(encoding="utf-8")

    sys.path.insert(0, str(ROOT / "python"))  # the source package: it loads target/release/libhuiqi.so
    import huiqi

    with huiqi.Engine.bundled() as engine:
        raw, parsed = [], []
        for _ in range(args.reps):
            t = time.perf_counter()
            got = list(engine.match_many_json(lines, args.as_of, chunk_size=args.chunk_size))
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            items = list(engine.match_many(dicts, args.as_of, chunk_size=args.chunk_size))
            parsed.append(time.perf_counter() - t)
        answers["Python raw"] = "".join(line + "\n" for line in got)
        assert len(items) == len(dicts) and not any(isinstance(i, huiqi.HuiqiError) for i in items)
    results[f"Python match_many_json (str → str, chunks of {args.chunk_size})"] = raw
    results[f"Python match_many (dict → dict, chunks of {args.chunk_size})"] = parsed

    native_answer = answers["native Rust (match_lines)"]
    for name, a in answers.items():
        assert a == native_answer, f"{name} answers differ from native"

    native = min(results["native Rust (match_lines)"])
    report = {
        "profiles": len(lines),
        "seed": args.seed,
        "as_of": args.as_of,
        "reps": args.reps,
        "answer_bytes": len(native_answer.encode("utf-8")),
        "library": str(huiqi.LIBRARY_PATH),
        "runs": [
            {
                "name": name,
                "best_s": round(min(s), 4),
                "median_s": round(statistics.median(s), 4),
                "profiles_per_s": round(len(lines) / min(s)),
                "relative_to_native": round(min(s) / native, 2),
            }
            for name, s in results.items()
        ],
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"match_many: {len(lines)} profiles (huiqi gen enterprises --seed {args.seed}), bundled policies, as of {args.as_of}, "
          f"best of {args.reps}; answers {report['answer_bytes'] / 1e6:.1f} MB, identical across runs")
    print(f"{'run':<58} {'best s':>8} {'median s':>9} {'profiles/s':>11} {'× native':>9}")
    for r in report["runs"]:
        print(f"{r['name']:<58} {r['best_s']:>8.3f} {r['median_s']:>9.3f} {r['profiles_per_s']:>11} {r['relative_to_native']:>8.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
