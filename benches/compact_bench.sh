#!/usr/bin/env bash
# The compact verdicts through every binding against the Rust index, in one run:
# one byte per policy for one enterprise given as JSON text, at 1k and 10k generated
# policies (seed 11) over the same 300 generated enterprises (seed 12), as-of 2026-06-30.
#   Rust    ops::answers::verdict_bytes with a kept matcher (benches/src/bin/ops_calls.rs)
#   C       huiqi_verdict_bytes into one buffer (examples/c/latency.c, mean)
#   Python  Engine.verdict_bytes (ctypes)
#   WASM    engine.verdictBytes in Node (the package's node build: wasm/build.sh first)
#   Java    Engine.verdictBytes through JNI (java/bench/JavaBench.java, after a second of JIT warm-up)
# Prints µs per call and the ratio to Rust (goal: within 1.5×).
#   benches/compact_bench.sh [SECONDS_PER_CALL=3]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER=${1:-3}
OUT=$ROOT/target/compact-bench
mkdir -p "$OUT"
# Two builds: `--bin` selects targets in every package named, so one command with
# `-p huiqi-ffi --bin ops_calls` left the C library (and Python's) as it was.
cargo build --release -q -p huiqi-cli -p huiqi-ffi
cargo build --release -q -p huiqi-bench --bin ops_calls
make -s -C examples/c bench >/dev/null
JAR=$(./scripts/build-java)
mkdir -p target/java/bench
javac -encoding UTF-8 -cp "$JAR" -d target/java/bench java/bench/JavaBench.java
HUIQI=$ROOT/target/release/huiqi
"$HUIQI" gen enterprises --count 300 --seed 12 > "$OUT/profiles.jsonl"
PY=${PYTHON:-$ROOT/target/venv/bin/python}
[ -x "$PY" ] || PY=python3

for n in 1000 10000; do
  mkdir -p "$OUT/p$n"
  "$HUIQI" gen policies --count "$n" --seed 11 > "$OUT/p$n/policies.jsonl"
  rust=$("$ROOT/target/release/ops_calls" "$OUT/profiles.jsonl" 2026-06-30 "$SECONDS_PER" "$OUT/p$n" | sed -n 's/.*"verdict_bytes_us": \([0-9.]*\).*/\1/p')
  c=$("$ROOT/target/c/latency" "$OUT/p$n" "$OUT/profiles.jsonl" 2026-06-30 | sed -n 's/.*"call":"huiqi_verdict_bytes".*"mean_us":\([0-9.]*\).*/\1/p')
  py=$(PYTHONPATH=$ROOT/python HUIQI_LIBRARY=$ROOT/target/release/libhuiqi.so "$PY" - "$OUT/p$n" "$OUT/profiles.jsonl" "$SECONDS_PER" <<'EOF'
import sys, time, huiqi
folder, profiles, seconds = sys.argv[1], open(sys.argv[2]).read().splitlines(), float(sys.argv[3])
e = huiqi.Engine.from_dir(folder)
for p in profiles:
    e.verdict_bytes(p, "2026-06-30")
calls, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds:
    for p in profiles:
        e.verdict_bytes(p, "2026-06-30")
    calls += len(profiles)
print(f"{(time.perf_counter() - start) * 1e6 / calls:.2f}")
EOF
)
  wasm=$(node --input-type=module - "$OUT/p$n/policies.jsonl" "$OUT/profiles.jsonl" "$SECONDS_PER" <<EOF
import fs from "node:fs";
import { createRequire } from "node:module";
const huiqi = createRequire("$ROOT/wasm/package.json")("$ROOT/wasm/pkg/huiqi/node/index.js");
const [policies, profilesFile, seconds] = process.argv.slice(2);
const e = new huiqi.Engine([{ name: "policies.jsonl", text: fs.readFileSync(policies, "utf8") }]);
const profiles = fs.readFileSync(profilesFile, "utf8").trim().split("\n");
for (const p of profiles) e.verdictBytes(p, "2026-06-30");
let calls = 0;
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  for (const p of profiles) e.verdictBytes(p, "2026-06-30");
  calls += profiles.length;
}
console.log(((performance.now() - start) * 1000 / calls).toFixed(2));
EOF
)
  java=$(java -Xmx2g -cp "$JAR:target/java/bench" JavaBench "$OUT/profiles.jsonl" 2026-06-30 "$SECONDS_PER" "$OUT/p$n/policies.jsonl" verdict-bytes | sed -n 's/.*"verdict_bytes_us": \([0-9.]*\).*/\1/p')
  ratio() { awk -v a="$1" -v b="$rust" 'BEGIN { if (a ~ /^[0-9.]+$/) printf "%.2f×", a / b; else printf "—" }'; }
  echo "policies $n: Rust $rust µs; C $c µs ($(ratio "$c")); Python $py µs ($(ratio "$py")); WASM $wasm µs ($(ratio "$wasm")); Java $java µs ($(ratio "$java"))"
done
