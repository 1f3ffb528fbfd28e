#!/usr/bin/env bash
# Builds and runs every benchmark (ctest label "bench") and prints their figures.
# Speed goals live here, never in the test suite.
#   scripts/bench.sh [ctest args...]      e.g. scripts/bench.sh -R vision
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
build="${BUILD_DIR:-$here/build}"
./scripts/setup.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}"
cd "$build"
# One at a time (-j1): benchmarks share 2 cores and must not disturb each other.
ctest -L bench -V -j1 --timeout 1800 "$@"
