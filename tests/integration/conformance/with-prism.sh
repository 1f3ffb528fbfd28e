#!/usr/bin/env bash
# Runs a command with two Prism mock servers on 127.0.0.1 serving Amazon's models (vendorShipments.json and
# vendorTransactionStatus.json), and stops them when the command ends, however it ends.
#   with-prism.sh --prism PRISM --models DIR -- COMMAND [ARGS...]
# Exports DOCKHAND_PRISM_SHIPMENTS_URL and DOCKHAND_PRISM_TRANSACTIONS_URL. When DIR (../shared/spapi-models)
# is absent it runs COMMAND without them and exports DOCKHAND_SPAPI_MODELS_MISSING=DIR, so the test can skip.
set -euo pipefail
prism=""; models=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prism) prism="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "with-prism: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "with-prism: no command given (use -- COMMAND)" >&2; exit 2; }
if [ ! -f "$models/vendorShipments.json" ] || [ ! -f "$models/vendorTransactionStatus.json" ]; then
  export DOCKHAND_SPAPI_MODELS_MISSING="$models"
  exec "$@"
fi
[ -x "$prism" ] || { echo "with-prism: Prism not found at '$prism' (scripts/setup.sh installs it into .tools/)" >&2; exit 2; }
command -v node >/dev/null || { echo "with-prism: node is not installed (scripts/setup.sh installs it)" >&2; exit 2; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

url=""
start() {  # start NAME MODEL: sets $url once Prism says it listens (no subshell, so $pids keeps the pid)
  local name=$1 model=$2 port
  for attempt in 1 2 3; do
    port=$(free_port)
    "$prism" mock -h 127.0.0.1 -p "$port" "$model" >"$tmp/$name.log" 2>&1 &
    local pid=$!
    pids+=($pid)
    for _ in $(seq 1 1200); do  # Prism needs a few seconds (more on a busy machine)
      if grep -q "Prism is listening" "$tmp/$name.log"; then url="http://127.0.0.1:$port"; return 0; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    echo "with-prism: Prism ($name) did not start on port $port (attempt $attempt):" >&2
    tail -n 20 "$tmp/$name.log" >&2
    kill "$pid" 2>/dev/null || true
  done
  return 1
}

start shipments "$models/vendorShipments.json" || exit 2
export DOCKHAND_PRISM_SHIPMENTS_URL=$url
start transactions "$models/vendorTransactionStatus.json" || exit 2
export DOCKHAND_PRISM_TRANSACTIONS_URL=$url

"$@" &
child=$!
set +e
wait "$child"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  for n in shipments transactions; do echo "with-prism: Prism $n log (last 30 lines):" >&2; tail -n 30 "$tmp/$n.log" >&2; done
fi
exit $rc
