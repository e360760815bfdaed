#!/usr/bin/env bash
# `huiqi diff` of two 10k-policy sets over 1M enterprises against one reverse over every
# policy of one set (`huiqi bulk --format counts`, the store's reach of every policy), whole
# processes on the same saved store, alternated bulk / diff / bulk / diff.
#   benches/diff_bench.sh [ENTERPRISES] [POLICIES]      # default 1000000 10000
# The new set is the old one with every tenth policy changed (a bound halved, or a part
# added): about a thousand changed policies. Reported: seconds of each run, the ratio of
# the best diff to the best bulk, with and without benefit estimates.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
p=${2:-10000}
cargo build --release -q -p huiqi-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
huiqi=target/release/huiqi
$huiqi gen enterprises --count "$n" --seed 1 > "$tmp/e.jsonl"
$huiqi store build --enterprises "$tmp/e.jsonl" --out "$tmp/e.store" > /dev/null
rm "$tmp/e.jsonl"
$huiqi gen policies --count "$p" --seed 2 > "$tmp/old.jsonl"
python3 - "$tmp/old.jsonl" "$tmp/new.jsonl" <<'PY'
import json, sys
out = open(sys.argv[2], "w", encoding="utf-8")
changed = 0
for k, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    p = json.loads(line)
    if k % 10 == 0:
        c = p["condition"]
        moved = c.replace(">= 10", ">= 5", 1).replace("<= 1000万", "<= 500万", 1)
        p["condition"] = moved if moved != c else f"({c}) and registered_capital >= 100万"
        changed += 1
    out.write(json.dumps(p, ensure_ascii=False) + "\n")
print(f"{changed} of {k + 1} policies changed", file=sys.stderr)
PY
t() { local s=$EPOCHREALTIME; "$@" > "$tmp/out" 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }; python3 -c "print(round($EPOCHREALTIME - $s, 2))"; }
for round in 1 2; do
  b=$(t $huiqi bulk --enterprises "$tmp/e.store" --policies "$tmp/old.jsonl" --format counts --out "$tmp/counts.csv" --as-of 2026-06-30)
  d=$(t $huiqi diff "$tmp/old.jsonl" "$tmp/new.jsonl" --enterprises "$tmp/e.store" --as-of 2026-06-30 --json)
  changed=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"]; print(r["changed"], sum(1 for p in r["policies"] if p.get("reach", {}).get("benefit")))' "$tmp/out")
  z=$(t $huiqi diff "$tmp/old.jsonl" "$tmp/new.jsonl" --enterprises "$tmp/e.store" --as-of 2026-06-30 --json --estimate-limit 0)
  echo "round $round: bulk counts $b s; diff $d s (changed, estimated: $changed); diff without estimates $z s"
  echo "$b $d $z" >> "$tmp/times"
done
python3 - "$tmp/times" <<'PY'
import sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
b, d, z = (min(r[i] for r in rows) for i in range(3))
print(f"best: bulk {b:.2f} s, diff {d:.2f} s = {d / b:.2f}x, diff without estimates {z:.2f} s = {z / b:.2f}x (goal <= 3x)")
PY
