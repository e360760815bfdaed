#!/usr/bin/env bash
# The Java binding against Rust through the operation layer, in one run: the same calls
# (match with the default envelope, verdicts) on the same profiles, one thread each,
# alternated Rust / Java / Rust / Java so that the machine's noise falls on both.
#   benches/java_bench.sh [SECONDS]      # default 3 s per measurement
# Two workloads: the bundled library (62 policies) over the 15 sample enterprises, and
# 10,000 generated policies (seed 2) over 200 generated enterprises (seed 7).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3}
jar=$(./scripts/build-java)
cargo build --release -q -p huiqi-bench --bin ops_calls -p huiqi-cli
mkdir -p target/java/bench
javac -encoding UTF-8 -cp "$jar" -d target/java/bench java/bench/JavaBench.java
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in data/enterprises/*.json; do python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), ensure_ascii=False))' "$f"; done > "$tmp/samples.jsonl"
target/release/huiqi gen enterprises --count 200 --seed 7 > "$tmp/gen.jsonl"
target/release/huiqi gen policies --count 10000 --seed 2 > "$tmp/p10k.jsonl"
run() { # NAME PROFILES [POLICIES]
  for round in 1 2; do
    echo "$1 rust $round $(target/release/ops_calls "$2" 2026-06-30 "$secs" ${3:+"$3"})"
    echo "$1 java $round $(java -Xmx2g -cp "$jar:target/java/bench" JavaBench "$2" 2026-06-30 "$secs" ${3:+"$3"})"
  done
}
{ run bundled "$tmp/samples.jsonl"; run gen10k "$tmp/gen.jsonl" "$tmp/p10k.jsonl"; } | tee "$tmp/out"
python3 - "$tmp/out" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    name, lang, rnd, js = line.split(" ", 3)
    rows.setdefault((name, lang), []).append(json.loads(js))
for name in ("bundled", "gen10k"):
    rust, java = rows[(name, "rust")], rows[(name, "java")]
    best = lambda rs, k: min(r[k] for r in rs)
    print(f"{name}: match (default envelope) Rust {best(rust, 'match_us'):.1f} µs, Java {best(java, 'match_us'):.1f} µs "
          f"= {best(java, 'match_us') / best(rust, 'match_us'):.2f}x (read into maps {best(java, 'match_maps_us'):.1f} µs = "
          f"{best(java, 'match_maps_us') / best(rust, 'match_us'):.2f}x); verdicts Rust {best(rust, 'verdicts_us'):.1f} µs, "
          f"Java {best(java, 'verdicts_us'):.1f} µs = {best(java, 'verdicts_us') / best(rust, 'verdicts_us'):.2f}x")
PY
