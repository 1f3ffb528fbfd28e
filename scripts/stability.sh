#!/usr/bin/env bash
# The stability check: the tests that wait on network and process timing, repeated until one fails, while
# CPU hogs keep every core busy (CI shares its 2 cores with other work; a test that passes only on an idle
# machine is a defect). Builds first if needed; stops the hogs on any exit.
#   scripts/stability.sh                       # ctest -L 'fleet|serve' --repeat until-fail:10, one hog per core
#   scripts/stability.sh --repeat 20 --hogs 2 -L fleet -- -R Malformed
# Options: --repeat N (default 10), --hogs N (default: number of cores; 0 = no load), -L REGEX (ctest labels,
# default 'fleet|serve'), anything after -- goes to ctest. Environment: BUILD_DIR (default build).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
repeat=10
hogs=$(nproc)
labels='fleet|serve'
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat="$2"; shift 2 ;;
    --hogs) hogs="$2"; shift 2 ;;
    -L) labels="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stability.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$repeat" in ''|*[!0-9]*) echo "stability.sh: --repeat: '$repeat' is not a number (e.g. --repeat 10)" >&2; exit 2 ;; esac
case "$hogs" in ''|*[!0-9]*) echo "stability.sh: --hogs: '$hogs' is not a number (e.g. --hogs 2)" >&2; exit 2 ;; esac

if [ ! -f "$build/CTestTestfile.cmake" ]; then
  "$here/scripts/setup.sh"
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc)"

pids=()
stop_hogs() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_hogs EXIT
for _ in $(seq 1 "$hogs"); do
  yes >/dev/null &
  pids+=($!)
done
echo "stability: $hogs CPU hog(s) running; ctest -L '$labels' --repeat until-fail:$repeat ${extra[*]:-}"
start=$(date +%s)
cd "$build"
status=0
ctest --output-on-failure -L "$labels" -LE bench --repeat "until-fail:$repeat" --timeout 900 "${extra[@]}" || status=$?
echo "stability: $(( $(date +%s) - start )) s, ctest exit $status"
exit "$status"
