#!/usr/bin/env python3
"""What users run, end to end: the match envelope from the CLI, C and Python at each detail
level, for the bundled set and generated sets of 1k and 10k policies, against the same
calls of an earlier build ("before": the envelope that listed and explained every policy)
and against the reference evaluator, all in one run. Prints markdown tables for
benches/RESULTS.md.

    python3 benches/bench_envelope.py [--base REV] [--profiles 1000] [--sizes bundled,1000,10000]

Needs `cargo build --release -p huiqi-cli -p huiqi-ffi` and `make -C examples/c bench`
(the script runs both). `--base` builds the CLI of that revision in target/bench-base
(default: the last commit before detail levels; `--base none` skips it). The earlier
build costs ~300 ms per profile at 10k policies, so it runs on fewer profiles there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HUIQI = ROOT / "target" / "release" / "huiqi"
AS_OF = "2026-06-30"
BASE = "37f11ed"


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    return time.perf_counter() - t, len(out)


def build_base(rev: str) -> Path | None:
    if rev == "none":
        return None
    tree = ROOT / "target" / "bench-base" / "tree"
    if not tree.exists():
        run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev])
    run(["cargo", "build", "--release", "-q", "-p", "huiqi-cli"], cwd=tree, env={**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target" / "bench-base" / "target")})
    return ROOT / "target" / "bench-base" / "target" / "release" / "huiqi"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default=BASE)
    ap.add_argument("--profiles", type=int, default=1000)
    ap.add_argument("--sizes", default="bundled,1000,10000")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not a.no_build:
        run(["cargo", "build", "--release", "-q", "-p", "huiqi-cli", "-p", "huiqi-ffi"], cwd=ROOT)
        run(["make", "-s", "-C", str(ROOT / "examples" / "c"), "bench"])
    base = build_base(a.base)
    sys.path.insert(0, str(ROOT / "python"))
    import huiqi  # noqa: E402  (the source tree's package over target/release/libhuiqi.so)

    tmp = Path(tempfile.mkdtemp(prefix="huiqi-bench-envelope-"))
    ents = tmp / "e.jsonl"
    ents.write_text(run([str(HUIQI), "gen", "enterprises", "--count", str(a.profiles), "--seed", "12"], stdout=subprocess.PIPE, text=True).stdout)
    profiles = [l for l in ents.read_text().splitlines() if l.strip()]
    cli_rows, c_rows, py_rows = [], [], []
    for size in a.sizes.split(","):
        if size == "bundled":
            pol_args: list[str] = []
            count = len(json.loads(run([str(HUIQI), "call", "policies"], stdout=subprocess.PIPE, text=True).stdout)["result"]["policies"])
            label = f"{count} (bundled)"
            pol_file = None
        else:
            pol_file = tmp / f"p{size}.jsonl"
            pol_file.write_text(run([str(HUIQI), "gen", "policies", "--count", size, "--seed", "11"], stdout=subprocess.PIPE, text=True).stdout)
            pol_args = ["--policies", str(pol_file)]
            label = size
        one = tmp / "one.jsonl"
        one.write_text(profiles[0] + "\n")
        startup, _ = timed([str(HUIQI), "match", *pol_args, "--profiles", str(one), "--as-of", AS_OF, "--detail", "verdicts"])

        def per_profile(binary: Path, extra: list[str], file: Path, n: int) -> tuple[float, float]:
            secs, size_out = timed([str(binary), "match", *pol_args, "--profiles", str(file), "--as-of", AS_OF, *extra])
            return (secs - startup) / n * 1000, size_out / n / 1000

        row = {"policies": label, "startup_ms": startup * 1000}
        for detail in ("verdicts", "summary", "full"):
            row[detail] = per_profile(HUIQI, ["--detail", detail], ents, len(profiles))
        row["reference_verdicts"] = per_profile(HUIQI, ["--detail", "verdicts", "--engine", "reference"], ents, len(profiles))
        row["process_ratio"] = timed([str(HUIQI), "match", *pol_args, "--profiles", str(ents), "--as-of", AS_OF, "--detail", "verdicts", "--engine", "reference"])[0] / timed(
            [str(HUIQI), "match", *pol_args, "--profiles", str(ents), "--as-of", AS_OF, "--detail", "verdicts"]
        )[0]
        if base is not None:
            n = len(profiles) if size in ("bundled", "1000") else min(len(profiles), 50)
            few = tmp / "few.jsonl"
            few.write_text("\n".join(profiles[:n]) + "\n")
            row["before"] = per_profile(base, ["--json"], few, n)
        cli_rows.append(row)

        if pol_file is not None:
            lat = run([str(ROOT / "target" / "c" / "latency"), str(pol_file), str(ents), AS_OF], stdout=subprocess.PIPE, text=True).stdout
            c_rows.append((label, [json.loads(l) for l in lat.splitlines() if l.strip()]))
        engine = huiqi.Engine.from_dir(pol_file) if pol_file is not None else huiqi.Engine.bundled()
        py = {}
        for detail in ("verdicts", "summary", "full"):
            for threads in (1, 0):
                t = time.perf_counter()
                n = sum(1 for _ in engine.match_many(profiles, AS_OF, detail=detail, threads=threads))
                py[(detail, threads)] = n / (time.perf_counter() - t)
        t = time.perf_counter()
        for p in profiles[:200]:
            engine.verdicts(p, AS_OF)
        py["verdicts_call_us"] = (time.perf_counter() - t) / min(200, len(profiles)) * 1e6
        engine.close()
        py_rows.append((label, py))

    print(f"`huiqi match --profiles` over {len(profiles)} generated profiles, ms per profile (process start-up and policy compile subtracted; KB of JSON per profile):\n")
    print("| policies | start-up | verdicts | summary | full (default) | reference, verdicts | whole process, reference / index (verdicts) | before (every policy explained) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in cli_rows:
        f = lambda k: f"{r[k][0]:.3f} ms ({r[k][1]:.1f} KB)" if k in r else "—"
        print(f"| {r['policies']} | {r['startup_ms']:.0f} ms | {f('verdicts')} | {f('summary')} | {f('full')} | {f('reference_verdicts')} | {r['process_ratio']:.1f}× | {f('before')} |")
    print("\nC ABI (examples/c/latency.c), per call:\n")
    print("| policies | call | p50 | p99 | mean | JSON |")
    print("|---|---|---:|---:|---:|---:|")
    for label, rows in c_rows:
        for r in rows:
            print(f"| {label} | `{r['call']}` | {r['p50_us']:.0f} µs | {r['p99_us']:.0f} µs | {r['mean_us']:.0f} µs | {r['bytes_per_profile'] / 1000:.1f} KB |")
    print("\nPython `Engine.match_many` throughput, profiles/s (1 thread; every core), and one `Engine.verdicts` call:\n")
    print("| policies | verdicts | summary | full | `verdicts()` per call |")
    print("|---|---:|---:|---:|---:|")
    for label, py in py_rows:
        cell = lambda d: f"{py[(d, 1)]:,.0f}; {py[(d, 0)]:,.0f}"
        print(f"| {label} | {cell('verdicts')} | {cell('summary')} | {cell('full')} | {py['verdicts_call_us']:.0f} µs |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
