#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` gives a P/bin/trnsim that runs on its own: it finds its presets in
# P/share/trnsim/configs, not in the source tree (shown by a preset name it cannot find), runs an
# installed example config, and under mpirun (MPIEXEC) sweeps through the MPI helper installed beside it.
set -euo pipefail
build=$1
mpiexec=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
exe="$prefix/bin/trnsim"
test -x "$exe"
"$exe" --version
cat >"$prefix/missing.json" <<'JSON'
{"kernel": "floor_nisa_kernel", "params": {"p_size": 4, "f_size": 8}, "hardware": "no_such_chip", "mode": "functional"}
JSON
if "$exe" run "$prefix/missing.json" --out "$prefix/out_missing" 2>"$prefix/err.txt"; then
  echo "a missing preset ran" >&2
  exit 1
fi
grep -F "cannot open $prefix/share/trnsim/configs/hw/no_such_chip.json" "$prefix/err.txt"
config="$prefix/share/trnsim/configs/runs/floor_nisa_kernel.json"
"$exe" run "$config" --out "$prefix/out" >"$prefix/run.txt"
grep -F "numerics     PASS" "$prefix/run.txt"
grep -F '"name": "trn2"' "$prefix/out/summary.json" >/dev/null
test -x "$prefix/bin/trnsim-sweep-mpi"
cat >"$prefix/sweep.json" <<JSON
{"base": "$config", "product": {"params.f_size": [8, 16]}}
JSON
timeout -k 10 120 "$mpiexec" --allow-run-as-root --oversubscribe -np 1 "$exe" sweep "$prefix/sweep.json" \
  --out "$prefix/sweep" >"$prefix/sweep.txt"
grep -F "2 points: 2 passed, 0 failed" "$prefix/sweep.txt"
grep -F "1 rank on 1 host: rank 0 ran 2 points" "$prefix/sweep.txt"
# The report page is compiled in: the installed binary writes it with no source tree.
"$exe" report "$prefix/out" >"$prefix/report.txt"
grep -F "wrote        $prefix/out/report.html" "$prefix/report.txt"
grep -F '<script type="application/json" id="report-data">' "$prefix/out/report.html" >/dev/null
echo "installed trnsim runs from $prefix"
