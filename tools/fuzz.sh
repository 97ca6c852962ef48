#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]: the fuzz campaign. Builds the libFuzzer targets of
# tests/fuzz in build-fuzz (clang-16, ASan and UBSan; an existing folder is reused), writes their seeds from
# configs/ and the project's writers (tn_fuzz_seeds), then runs each target (all, or those named: run_config,
# hw_config, program_json, npy, perfetto_trace) for SECONDS_PER_TARGET (default 60), one job at a time.
# Fails on any crash, sanitizer report, leak, an input that takes over FUZZ_TIMEOUT seconds (default 10) or
# a process over FUZZ_RSS_MB MiB (default 2048); the input is kept in build-fuzz/fuzz-findings/.
# Each target's corpus grows in build-fuzz/fuzz-corpus/<target> and is reused by the next run. Prints one
# line per target: executions, coverage (cov: edges, ft: features), corpus size.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
timeout_s=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
all_targets=(run_config hw_config program_json npy perfetto_trace)
targets=("${all_targets[@]}")
(($#)) && targets=("$@")

if [[ ! -f $build/CMakeCache.txt ]]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # clang 15 or later (cmake/Fuzzing.cmake): Debian 12's clang-16 unless FUZZ_CXX names another.
  CC=${FUZZ_CC:-clang-16} CXX=${FUZZ_CXX:-clang++-16} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRNSIM_FUZZ=ON "${launcher[@]}"
fi
cmake --build "$build" --target trnsim_fuzz -j"${FUZZ_BUILD_JOBS:-2}"

seeds=$build/fuzz-seeds
"$build"/tests/fuzz/tn_fuzz_seeds . "$seeds"
mkdir -p "$build/fuzz-findings" "$build/fuzz-logs"
failed=()
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t
  log=$build/fuzz-logs/$t.log
  mkdir -p "$corpus"
  dict=()
  [[ -s $seeds/$t.dict ]] && dict=(-dict="$seeds/$t.dict")
  status=0
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-findings/$t-" "${dict[@]}" "$corpus" "$seeds/$t" \
    >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
  printf '%-15s %s executions, %s, corpus %s inputs%s\n' "$t" "${execs:-?}" "${cov:-no coverage line}" \
    "$(find "$corpus" -type f | wc -l)" "$( ((status)) && echo ", FAILED (exit $status, see $log)")"
  if ((status)); then
    failed+=("$t")
    grep -m1 -A25 '==ERROR\|fuzz finding\|ALARM\|out-of-memory\|Leak' "$log" || tail -30 "$log"
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]} (inputs in $build/fuzz-findings/)" >&2
  exit 1
fi
