#!/usr/bin/env bash
# Sets everything up, builds, and runs the test suite (ctest). Exits non-zero if anything fails.
#   scripts/test.sh [ctest args...]     e.g. scripts/test.sh -R vision   or   scripts/test.sh -L e2e
# Environment: BUILD_DIR (default build), JOBS (default: number of cores).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
build="${BUILD_DIR:-$here/build}"
jobs="${JOBS:-$(nproc)}"

./scripts/setup.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs"
# Benchmarks are built (so they cannot rot) but run by scripts/bench.sh, not here: speed is not a test.
cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 900 -LE bench "$@"
