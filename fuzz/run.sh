#!/usr/bin/env bash
# Runs each fuzz target for a given time and fails if any target finds a crash.
#
#   fuzz/run.sh SECONDS [TARGET ...]      (default: every target)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); on the stable toolchain it runs with
# RUSTC_BOOTSTRAP=1. Each target's corpus grows in fuzz/corpus/TARGET (ignored by git),
# starting from fuzz/seeds/TARGET; a crash is saved in fuzz/artifacts/TARGET. Jobs are
# run one after another on one core (FUZZ_JOBS=n runs n workers per target).
# The summary lines (target, seconds, runs, corpus, exit) go to stdout and to
# fuzz/runs.log, for the table in fuzz/README.md.
set -u
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET ...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi
declare -A max_len=([parse_check]=2048 [tree_json]=4096 [profile_decode]=4096 [policy_file]=16384
                    [store_file]=65536 [saved_set]=65536 [loaders]=8192 [c_abi]=8192
                    [arrow_stream]=512 [parquet_read]=16384 [code_tables]=16384)
failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  log=$(mktemp)
  jobs=()
  if [ -n "${FUZZ_JOBS:-}" ]; then jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"); fi
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -max_len="${max_len[$t]:-4096}" "${jobs[@]}" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
  corpus=$(find "corpus/$t" -type f | wc -l)
  line="$(date -u +%F) $t ${secs}s runs=$runs corpus=$corpus exit=$rc"
  echo "$line" | tee -a runs.log
  if [ $rc -ne 0 ]; then
    failed=1
    echo "--- $t failed; the end of its log:" >&2
    tail -40 "$log" >&2
  fi
  rm -f "$log"
done
exit $failed
