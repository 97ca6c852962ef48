#!/usr/bin/env bash
# Builds trnsim with AddressSanitizer (leak checking included) and UndefinedBehaviorSanitizer
# (-DTRNSIM_SANITIZE, cmake/Sanitizers.cmake) and runs every unit-test binary and a sample of the CLI tests
# under them. Fails if a test fails or if any process, including the trnsim children the CLI tests start,
# wrote a sanitizer report.
#   tools/sanitizer_tests.sh [BUILD_DIR]      (default: build-asan in the checkout)
# Set CMAKE_CXX_COMPILER_LAUNCHER=ccache in the environment to cache the objects.
# GCC 12, the default compiler: it builds the code as it is (Clang 14 cannot, e.g. it lacks C++20's capture
# of structured bindings in lambdas, which isa/validator.cpp uses), and Debian's libsystemc links unchanged
# (sim/sc runs only SC_METHODs on the main stack: no QuickThreads stack switches for ASan to misread).
# GCC links ASan and UBSan as two shared runtimes, and UBSan's call to set its report file binds to ASan's
# exported __sanitizer_set_report_path, so only ASan and LSan honour log_path below; UBSan writes to stderr
# and ends the process (exit 1), and the CLI harness fails a test whose trnsim wrote a report to its stderr.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build-asan}")

# The CLI sample: every error path of run, check, disasm, sweep and report, and one run of every kernel
# (the kernels' examples, functional and timed) without the slow multi-rank and whole-folder cases the
# normal suite already runs. doctest splits -tc filters at commas, so names holding one end in '*'.
cli_cases=(
  "harness: *"
  "cli errors: *"
  "bad values: *"
  "cli run: a case that expects the kernel to refuse it passes*"
  "cli check: one line per config*"
  "check: PASS only when numbers were compared*"
  "cli: every command has --help*"
  "cli: run writes summary*"
  "cli: inputs from .npy files replace the seeded ones"
  "cli: disasm lists every stream with waits and kernel source lines"
  "npy bits: *"
  "kernels: the examples run and pass their numeric check"
  "kernels: bad names and parameters are refused with the reason"
  "program: bad programs*"
  "cli ranks: launch errors name their JSON path"
  "sweep: spec errors are named by JSON path"
  "sweep: a failing point is recorded*"
  "report: bad input is refused naming the file*"
  "timing_only stops at a bad runtime value*"
)
unit_binaries=(sim/numerics/tn_numerics_tests sim/io/tn_io_tests traces/tn_trace_tests
  kernels/reference/tn_reference_tests sim/func/tn_func_tests sim/timing/tn_timing_tests kernels/tn_kernel_tests
  tests/tn_unit_tests tools/tn_cli_unit_tests)

start=$(date +%s)
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" \
  -DTRNSIM_SANITIZE=address,undefined
targets=(tn_sim_sc_tests trnsim tn_cli_tests)
for b in "${unit_binaries[@]}"; do
  targets+=("$(basename "$b")")
done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
built=$(date +%s)

# ASan's and LSan's reports go to files, one per process, so that a report in a trnsim child whose failure a
# CLI test expects (an error path exits non-zero anyway), or whose stderr a parent drops, is still seen.
reports=$build/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
# No suppressions: no report so far came from libsystemc or libstdc++ (a report inside them would need one,
# with the reason it is not ours); ours get fixed.
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=()
# run DIR COMMAND...: runs COMMAND in DIR (where CTest would run it), recording a failure and going on.
run() {
  local dir=$1
  shift
  echo "== $*"
  (cd "$dir" && "$@") || failed+=("$*")
}
for b in "${unit_binaries[@]}"; do
  run "$build/$(dirname "$b")" "./$(basename "$b")" --no-intro
done
# SystemC cannot restart in a process: one process per case, as CTest runs them.
run "$build" ctest --test-dir "$build" -R '^sim_sc:' -j"$(nproc)" --output-on-failure --timeout 300
filter=$(IFS=,; echo "${cli_cases[*]}")
run "$build/tools" ./tn_cli_tests --no-intro "-tc=$filter"
finished=$(date +%s)

echo "sanitizer tests: build $((built - start)) s, tests $((finished - built)) s"
status=0
if compgen -G "$reports/*" >/dev/null; then
  echo "sanitizer reports:"
  for f in "$reports"/*; do
    echo "---- $f"
    cat "$f"
  done
  status=1
fi
if ((${#failed[@]})); then
  printf 'failed: %s\n' "${failed[@]}"
  status=1
fi
exit $status
