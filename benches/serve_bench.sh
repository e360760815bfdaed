#!/usr/bin/env bash
# The decision service against in-process calls, on this machine, loopback, bounded in time.
# The service runs on core 0 (taskset), the load generator (wrk, from Debian) on core 1; the
# in-process baseline (`--bin inproc`: the same request through huiqi::ops::call in a loop)
# on core 0, in the same run. POST /v1/match on the bundled library, one sample profile,
# at the default and the verdicts detail, 8 / 32 / 256 connections.
#   benches/serve_bench.sh [SECONDS per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
secs=${1:-10}
command -v wrk >/dev/null || apt_install wrk
cargo build --release -q -p huiqi-serve -p huiqi-bench --bin huiqi-serve --bin inproc
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
profile=$(cat data/enterprises/01-quanzhi-software.json)
printf '{"profile": %s, "as_of": "2026-06-30"}' "$profile" > "$tmp/full.json"
printf '{"profile": %s, "as_of": "2026-06-30", "options": {"detail": "verdicts"}}' "$profile" > "$tmp/verdicts.json"
taskset -c 0 target/release/huiqi-serve serve --addr 127.0.0.1:0 --no-watch --concurrency 1024 > "$tmp/out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$tmp/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/out")
for _ in $(seq 300); do python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/health/ready", timeout=2)' "$url" 2>/dev/null && break; sleep 0.1; done
echo "service $url (core 0), wrk on core 1, ${secs} s per run, $(date -u +%F\ %H:%M) UTC, load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| detail | in-process calls/s (core 0) | connections | service requests/s | p50 | p99 | service / in-process |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for detail in full verdicts; do
  cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$tmp/$detail.json", "r"); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d\\n", summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
  base=$(taskset -c 0 target/release/inproc "$tmp/$detail.json" "$secs" | sed -n 's/.*"calls_per_second": \([0-9.]*\).*/\1/p')
  for c in 8 32 256; do
    line=$(taskset -c 1 wrk -t1 -c"$c" -d"${secs}s" --latency -s "$tmp/post.lua" "$url/v1/match" | grep '^RESULT')
    read -r _ n dur p50 p99 errors <<< "$line"
    rps=$(python3 -c "print(f'{$n/$dur:.0f}')")
    ratio=$(python3 -c "print(f'{$n/$dur/$base:.2f}')")
    [ "$errors" = 0 ] || echo "($errors errors at $c connections)"
    echo "| $detail | $base | $c | $rps | ${p50} ms | ${p99} ms | ${ratio}× |"
  done
done
