#!/usr/bin/env bash
# Runs a command with a private SP-API + LWA simulator on 127.0.0.1 (a free port), and stops the simulator
# when the command ends, however it ends.
#   scripts/with-spapi-sim.sh [--sim PATH] [SIMULATOR OPTIONS...] -- COMMAND [ARGS...]
# Exports DOCKHAND_SPAPI_SIM_URL (http://127.0.0.1:PORT; LWA is at $DOCKHAND_SPAPI_SIM_URL/auth/o2/token)
# and DOCKHAND_SPAPI_SIM_PID. The simulator is found with --sim, $DOCKHAND_SPAPI_SIM, or in build/.
# Simulator options: see `dockhand-spapi-sim --help` (--fault, --token-ttl, --rate, --state, ...).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sim="${DOCKHAND_SPAPI_SIM:-}"
sim_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sim) sim="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) sim_args+=("$1"); shift ;;
  esac
done
[ $# -gt 0 ] || { echo "with-spapi-sim: no command given (use -- COMMAND)" >&2; exit 2; }
if [ -z "$sim" ]; then
  sim="$(find "$here"/build* -name dockhand-spapi-sim -type f -perm -u+x 2>/dev/null | head -n1 || true)"
fi
[ -n "$sim" ] && [ -x "$sim" ] || { echo "with-spapi-sim: dockhand-spapi-sim not found (build it, or pass --sim PATH)" >&2; exit 2; }

tmp=$(mktemp -d)
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$sim" --exit-with-parent --port 0 --port-file "$tmp/port" ${sim_args[@]+"${sim_args[@]}"} >"$tmp/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 600); do  # up to 30 s: a loaded machine starts it slowly
  [ -s "$tmp/port" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$tmp/sim.log" >&2; echo "with-spapi-sim: the simulator failed to start" >&2; exit 2; }
  sleep 0.05
done
[ -s "$tmp/port" ] || { echo "with-spapi-sim: the simulator gave no port" >&2; exit 2; }
export DOCKHAND_SPAPI_SIM_URL="http://127.0.0.1:$(tr -d '[:space:]' <"$tmp/port")"
export DOCKHAND_SPAPI_SIM_PID=$sim_pid

"$@" &
child=$!
set +e
wait "$child"
rc=$?
set -e
if [ $rc -ne 0 ] && [ -s "$tmp/sim.log" ]; then
  echo "with-spapi-sim: simulator log (last 40 lines):" >&2
  tail -n 40 "$tmp/sim.log" >&2
fi
exit $rc
