#!/usr/bin/env bash
# Installs what trnsim needs to build and test on Debian 12, if it is missing. Run as root (or with sudo).
set -euo pipefail
# libopenblas-dev: the benchmarks' sgemm baseline only; libxml2-utils (xmllint) and python3-jsonschema: the
# tests validate `trnsim check --junit` reports and the JSON schemas of configs/schemas/ with them;
# python3-numpy, python3-pytest and python3-pip: the Python package (python/) and its tests;
# libboost-mpi-dev, libopenmpi-dev and openmpi-bin (mpirun): `trnsim sweep` under MPI (trnsim-sweep-mpi) and its test;
# chromium: the report_browser test loads `trnsim report` pages in headless Chromium (console errors, charts drawn,
# screenshot);
# clang-16 and libclang-rt-16-dev (libFuzzer, ASan and UBSan runtimes): the fuzz targets of tests/fuzz (tools/fuzz.sh);
# clang 14, Debian 12's default, cannot compile libstdc++'s std::source_location, which the kernels use.
packages=(build-essential cmake pkg-config libsystemc-dev nlohmann-json3-dev doctest-dev libboost-program-options-dev
  libboost-mpi-dev libopenmpi-dev openmpi-bin libopenblas-dev libxml2-utils python3-jsonschema python3-numpy python3-pytest
  python3-pip python3-setuptools chromium clang-16 libclang-rt-16-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi
