#!/usr/bin/env bash
# The decision service under load for a long time, on this machine, loopback, bounded in time:
#
# 1. Reload under load: wrk posts /v1/match for RELOAD_SECS (default 60) on 32 connections
#    while the policy folder is changed and SIGHUP sent 20 times. Reported: requests, any
#    non-200 answer, and every revision an answer carried, each of which must be one the
#    service had loaded (old or new, never a mix or none).
# 2. Soak: SOAK_SECS (default 600) of mixed load (a full match, a verdicts match, a reach
#    over a store of 20,000 generated enterprises, a batch of 20 lines), resident memory
#    sampled every 10 s; growth after the first minute (warm-up) is reported.
#
#   benches/serve_soak.sh [RELOAD_SECS [SOAK_SECS]]
# Not part of CI (it takes 11 minutes); the figures are in benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
reload_secs=${1:-60}
soak_secs=${2:-600}
command -v wrk >/dev/null || apt_install wrk
cargo build --release -q -p huiqi-serve -p huiqi-cli
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

mkdir "$tmp/policies"
cp data/policies/*.json "$tmp/policies/"
target/release/huiqi gen enterprises --count 20000 --seed 7 > "$tmp/e.jsonl"
target/release/huiqi store build --enterprises "$tmp/e.jsonl" --out "$tmp/e.store" > /dev/null
target/release/huiqi-serve serve --policies "$tmp/policies" --enterprises "$tmp/e.store" --addr 127.0.0.1:0 --no-watch \
  --concurrency 1024 > "$tmp/out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$tmp/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/out")
revision() { python3 -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/v1/ruleset", timeout=10))["result"]["revision"])' "$url"; }
for _ in $(seq 300); do revision > /dev/null 2>&1 && break; sleep 0.1; done
echo "service $url, $(date -u +%F\ %H:%M) UTC, load $(cut -d' ' -f1 /proc/loadavg)"

profile=$(cat data/enterprises/01-quanzhi-software.json)
printf '{"profile": %s, "as_of": "2026-06-30"}' "$profile" > "$tmp/full.json"
printf '{"profile": %s, "as_of": "2026-06-30", "options": {"detail": "verdicts"}}' "$profile" > "$tmp/verdicts.json"
head -20 "$tmp/e.jsonl" > "$tmp/batch.jsonl"

# 1. Reload under load.
cat > "$tmp/reload.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$tmp/full.json", "r"); wrk.body = f:read("*a"); f:close()
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function() seen = {}; bad = 0 end
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
  local r = headers["huiqi-revision"] or "none"
  seen[r] = (seen[r] or 0) + 1
end
done = function(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    for r, n in pairs(t:get("seen")) do io.write(string.format("SEEN %s %d\n", r, n)) end
  end
  io.write(string.format("RESULT %d %d %d\n", summary.requests, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status))
end
LUA
revisions=("$(revision)")
wrk -t2 -c32 -d"${reload_secs}s" -s "$tmp/reload.lua" "$url/v1/match" > "$tmp/wrk1" &
wrk_pid=$!
step=$(python3 -c "print($reload_secs / 21)")
for i in $(seq 20); do
  sleep "$step"
  # Alternate between two versions of an extra policy file: every reload is a new revision.
  sed "s/\"title\": \"/\"title\": \"(v$((i % 2))) /" data/policies/hitech.json > "$tmp/policies/zz-extra.json.tmp"
  python3 - "$tmp/policies/zz-extra.json.tmp" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
ps = d["policies"] if isinstance(d, dict) and "policies" in d else (d if isinstance(d, list) else [d])
for x in ps:
    x["id"] = "zz-" + x["id"]
    x.pop("superseded_by", None)
    x["requires"] = [r for r in x.get("requires", []) if False]
    x["excludes"] = []
json.dump({"policies": ps} if isinstance(d, dict) else ps, open(p, "w"), ensure_ascii=False)
PY
  mv "$tmp/policies/zz-extra.json.tmp" "$tmp/policies/zz-extra.json"
  kill -HUP "$pid"
  for _ in $(seq 100); do
    r=$(revision)
    [ "$r" != "${revisions[-1]}" ] && break
    sleep 0.05
  done
  revisions+=("$r")
done
wait "$wrk_pid"
read -r _ requests bad errors <<< "$(grep '^RESULT' "$tmp/wrk1")"
unknown=0
while read -r _ r n; do
  printf '%s\n' "${revisions[@]}" | grep -qx "$r" || { echo "revision $r ($n answers) was never loaded"; unknown=$((unknown + n)); }
done < <(grep '^SEEN' "$tmp/wrk1")
distinct=$(printf '%s\n' "${revisions[@]}" | sort -u | wc -l)
echo
echo "reload under load: ${reload_secs} s, 32 connections, 20 reloads ($distinct revisions loaded):"
echo "  $requests requests, $bad non-200, $errors socket errors, $unknown answers with a revision never loaded, $(grep '^SEEN' "$tmp/wrk1" | awk '{print $2}' | sort -u | wc -l) revisions seen in answers"

# 2. Soak.
cat > "$tmp/soak.lua" <<LUA
local function read(p) local f = io.open(p, "r"); local s = f:read("*a"); f:close(); return s end
local reqs = {
  wrk.format("POST", "/v1/match", {["Content-Type"] = "application/json"}, read("$tmp/full.json")),
  wrk.format("POST", "/v1/match", {["Content-Type"] = "application/json"}, read("$tmp/verdicts.json")),
  wrk.format("POST", "/v1/policies/six-taxes-two-fees-halved/reach", {["Content-Type"] = "application/json"}, '{"as_of": "2026-06-30", "list": 20}'),
  wrk.format("POST", "/v1/match/batch?as_of=2026-06-30&detail=verdicts", {["Content-Type"] = "application/x-ndjson"}, read("$tmp/batch.jsonl")),
}
local i = 0
request = function() i = i + 1; return reqs[(i % #reqs) + 1] end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function() bad = 0 end
response = function(status) if status ~= 200 then bad = bad + 1 end end
done = function(summary)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("RESULT %d %d\n", summary.requests, b))
end
LUA
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
wrk -t2 -c16 -d"${soak_secs}s" -s "$tmp/soak.lua" "$url" > "$tmp/wrk2" &
wrk_pid=$!
samples=()
for _ in $(seq $((soak_secs / 10))); do
  sleep 10
  samples+=("$(rss)")
done
wait "$wrk_pid"
read -r _ requests bad <<< "$(grep '^RESULT' "$tmp/wrk2")"
warm=${samples[5]:-${samples[0]}}
last=${samples[-1]}
peak=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
growth=$(python3 -c "print(f'{($last - $warm) / $warm * 100:+.1f}')")
echo
echo "soak: ${soak_secs} s, 16 connections, mixed (full match, verdicts, reach over 20,000, batch of 20):"
echo "  $requests requests, $bad non-200; resident memory after 1 min ${warm} KB, at the end ${last} KB (${growth}%), peak ${peak} KB"
echo "  samples (KB, every 10 s): ${samples[*]}"
