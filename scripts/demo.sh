#!/usr/bin/env bash
# The whole Dockhand chain on embedded defaults, in one command:
#   email in a Maildir -> extract -> plan -> submitShipments (SP-API simulator) -> CONFIRMED
#   -> close-out by a desktop agent in the simulated ERP and OpShip (Xvfb) -> DONE.
#
#   scripts/demo.sh [--dir DIR] [--agents N] [--timeout S] [--hazards] [--verbose] [--[no-]stay] [--no-mail]
#                   [--no-setup] [--no-build]
#
# Installs what is missing (scripts/setup.sh), builds, starts Xvfb + openbox with the simulated ERP and
# OpShip, the SP-API + LWA simulator, the orchestrator (Maildir inbox, SQLite store, CURVE fleet) and the
# agents, drops three routing-request emails into the inbox and prints one line per step of each request
# as it happens (received, extracted, submitted, confirmed, each close-out job with its PT reference or
# BOL, DONE). The Operator Console runs beside it: its address and a token are printed (and kept in the run
# folder: console-url, secrets/console-token, secrets/console-viewer-token).
# Exits 0 once all three are DONE (1 if one needs a human, 4 on timeout). Everything it started
# is stopped on exit, however it exits; the run folder (store, logs, evidence, the apps' state files) stays
# for inspection: `build/orchestrator/cli/dockhand-orchestrator status --store DIR/dockhand.sqlite`.
#
#   --dir DIR     run folder (default: demo-run/ in the repository; emptied first)
#   --agents N    desktop agents, each on its own display with its own ERP and OpShip windows, all sharing
#                 one ERP and one OpShip back end, like agent VMs in front of one company's systems (default 1)
#   --timeout S   give up after S seconds (default 300)
#   --hazards     switch the simulated programs' hazards on (load delays, session-expired popups, ...), and
#                 once the three are DONE send a fourth request whose PO the ERP does not know: its close-out
#                 fails with a screenshot and it waits in the console's needs-attention queue
#   --stay        when the demo is over, keep everything running (the console too) until Ctrl-C; the default
#                 in a terminal (--no-stay: exit at once, as scripts and tests do)
#   --no-mail     drop no email: start everything, print the console's address, and run until stopped
#                 (the console's browser tests and benchmark bring their own mail)
#   --verbose     print every event as well: the agents' step-by-step progress, dispatches, bookkeeping
#   --no-setup    skip scripts/setup.sh;  --no-build  skip the build (use BUILD_DIR as it is)
# Environment: BUILD_DIR (default build), JOBS (build parallelism, default: cores).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
run="$here/demo-run"
agents=1; timeout_s=300; hazards=0; do_setup=1; do_build=1; verbose=(); mail=1
# A person at a terminal gets to look at the console once the demo is over; scripts and tests get the exit.
stay=0; if [ -t 0 ] && [ -t 1 ]; then stay=1; fi
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) run="$2"; shift 2 ;;
    --agents) agents="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --hazards) hazards=1; shift ;;
    --verbose) verbose=(--verbose); shift ;;
    --stay) stay=1; shift ;;
    --no-stay) stay=0; shift ;;
    --no-mail) mail=0; stay=1; shift ;;
    --no-setup) do_setup=0; shift ;;
    --no-build) do_build=0; shift ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "demo: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$agents" =~ ^[1-9]$ ]] || { echo "demo: --agents takes 1 to 9" >&2; exit 2; }

parent=$PPID
say() { printf '\033[1m== %s\033[0m\n' "$*"; }

if [ $do_setup -eq 1 ]; then say "setup"; "$here/scripts/setup.sh"; fi
if [ $do_build -eq 1 ]; then
  say "build ($build)"
  mkdir -p "$build"
  # The compiler's output goes to a log; only a failure shows it.
  if ! { cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
         cmake --build "$build" -j "${JOBS:-$(nproc)}" --target dockhand-orchestrator dockhand-agent \
           dockhand-spapi-sim dockhand-sim-erp dockhand-sim-opship; } >"$build/demo-build.log" 2>&1; then
    tail -n 40 "$build/demo-build.log" >&2
    echo "demo: the build failed (whole log: $build/demo-build.log)" >&2
    exit 1
  fi
fi
orch="$build/orchestrator/cli/dockhand-orchestrator"
agent_bin="$build/agent/dockhand-agent"
sim_bin="$build/tests/sim/spapi/dockhand-spapi-sim"
erp_bin="$build/tests/apps/erp/dockhand-sim-erp"
opship_bin="$build/tests/apps/opship/dockhand-sim-opship"
for b in "$orch" "$agent_bin" "$sim_bin" "$erp_bin" "$opship_bin"; do
  [ -x "$b" ] || { echo "demo: $b is missing (build first, or drop --no-build)" >&2; exit 2; }
done

# ---- the run folder ----
rm -rf "$run"
mkdir -p "$run"/{inbox/new,inbox/cur,inbox/tmp,keys/agents,secrets,logs,apps,pids}
run="$(cd "$run" && pwd)"
echo "demo: run folder $run"

# ---- everything started below is stopped on exit, last started first ----
pids=()
cleanup() {
  local rc=$?
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start() {  # start NAME CMD...: runs CMD in the background, its output in logs/NAME.log, its pid in pids/NAME.pid
  local name="$1"; shift
  "$@" >"$run/logs/$name.log" 2>&1 &
  pids+=($!)
  echo $! >"$run/pids/$name.pid"
}
wait_for() {  # wait_for WHAT SECONDS TEST...: polls TEST until it succeeds
  local what="$1" secs="$2"; shift 2
  for _ in $(seq 1 $((secs * 10))); do "$@" && return 0; sleep 0.1; done
  echo "demo: $what did not come up within ${secs}s (logs in $run/logs)" >&2
  return 1
}

# ---- warehouse data and emails, dated from today so the ship windows are never in the past ----
ready=$(date -u -d '+1 day' +%F); start_d=$(date -u -d '+2 days' +%F); end_d=$(date -u -d '+6 days' +%F)
us() { date -u -d "$1" +%m/%d/%Y; }
# PO, destination FC, cartons, pallets (lanes: two POs share a shipment to ABE8; one each to MDW2, SWF1)
orders=("2K4GH7QZ ABE8 12 1" "7HXQ3M2P ABE8 8 1" "9LMN4R8T MDW2 5 0" "HBRPOIG8 SWF1 6 1")
echo "po,vendor_code,ship_from,destination_fc,ship_window_start,ship_window_end,status" >"$run/orders.csv"
echo "po,sku,qty" >"$run/order_lines.csv"
echo "po,carton_id,weight_lb,length_in,width_in,height_in,pallet_id" >"$run/cartons.csv"
# --hazards' fourth request: a PO the warehouse data has but the ERP does not (its close-out fails).
erp_unknown="5QWZ8K3D TEB9 4 1"
erp_orders="["
for o in "${orders[@]}" "$erp_unknown"; do
  read -r po fc cartons pallets <<<"$o"
  echo "$po,ACMEW,ORL1,$fc,$start_d,$end_d,Open" >>"$run/orders.csv"
  echo "$po,B07XYZ1234,$((cartons * 6))" >>"$run/order_lines.csv"
  for c in $(seq 1 "$cartons"); do
    pallet=""; [ "$pallets" -gt 0 ] && pallet="PAL-$po-1"
    printf '%s,%s-C%03d,25.5,20,16,12,%s\n' "$po" "$po" "$c" "$pallet" >>"$run/cartons.csv"
  done
  [ "$o" = "$erp_unknown" ] && continue
  erp_orders+="{\"po\":\"$po\",\"vendor\":\"Acme Widgets\",\"fc\":\"$fc\",\"cartons\":$cartons},"
done
echo "${erp_orders%,}]" >"$run/apps/erp-orders.json"
"$orch" orders import "$run/orders.csv" "$run/order_lines.csv" "$run/cartons.csv" --db "$run/orders.sqlite" \
  >"$run/logs/orders-import.log"

po_block() {  # po_block PO FC CARTONS PALLETS
  printf '\nPO: %s\nDestination FC: %s\nShip window: %s - %s\nCartons: %s\nPallets: %s\nWeight: %s lb\n' \
    "$1" "$2" "$(us "$start_d")" "$(us "$end_d")" "$3" "$4" "$(awk "BEGIN{print $3 * 25.5}")"
}
email() {  # email N SUBJECT BODY: writes a message into the Maildir the way a delivery agent does
  local f="$run/inbox/tmp/demo-$1.eml"
  {
    printf 'From: Dana Ruiz <dana.ruiz@acme-widgets.example>\nTo: routing@dockhand-3pl.example\n'
    printf 'Subject: %s\nDate: %s\nMessage-ID: <demo-%s-%s@acme-widgets.example>\n' "$2" "$(date -uR)" "$1" "$$"
    printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
    printf 'Hello,\n\nPlease route the POs below with Amazon.\n\nVendor code: ACMEW\nShip from: ORL1\n'
    printf 'Freight ready date: %s\n%s\n\nThanks,\nDana Ruiz\n' "$(us "$ready")" "$3"
  } >"$f"
  mv "$f" "$run/inbox/new/demo-$1.eml"
}

# ---- secrets (files, mode 0600) and keys ----
printf '%s' "amzn1.oa2-cs.v1.demo-client-secret" >"$run/secrets/lwa-client-secret"
printf '%s' "Atzr|demo-refresh-token" >"$run/secrets/lwa-refresh-token"
# The console's tokens: an operator and a viewer; the tokens file keeps only their SHA-256 (docs/console.md).
console_token="$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')"
viewer_token="$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')"
printf '%s' "$console_token" >"$run/secrets/console-token"
printf '%s' "$viewer_token" >"$run/secrets/console-viewer-token"
{
  echo "# written by scripts/demo.sh: SHA256-HEX NAME ROLE"
  echo "$(printf '%s' "$console_token" | sha256sum | cut -d' ' -f1) demo operator"
  echo "$(printf '%s' "$viewer_token" | sha256sum | cut -d' ' -f1) visitor viewer"
} >"$run/secrets/console-tokens"
chmod 600 "$run"/secrets/*
"$orch" keygen --out "$run/keys" --name orchestrator >/dev/null
for i in $(seq 1 "$agents"); do
  "$agent_bin" keygen --out "$run/keys" --name "agent$i" >/dev/null
  cp "$run/keys/agent$i.pub" "$run/keys/agents/"
done

# ---- the SP-API + LWA simulator on loopback ----
say "starting the SP-API simulator, the desktops, the orchestrator and $agents agent(s)"
start spapi-sim "$sim_bin" --port 0 --port-file "$run/spapi-port" --state "$run/spapi-sim.json" \
  --client-id amzn1.application-oa2-client.dockhanddemo \
  --client-secret "$(cat "$run/secrets/lwa-client-secret")" --refresh-token "$(cat "$run/secrets/lwa-refresh-token")"
wait_for "the SP-API simulator" 60 test -s "$run/spapi-port"
spapi="http://127.0.0.1:$(tr -d '[:space:]' <"$run/spapi-port")"

# ---- one desktop per agent: Xvfb + openbox + the simulated ERP and OpShip ----
app_flags=(--seed 7)
[ $hazards -eq 1 ] && app_flags+=(--delay 200:1500 --session-expired 0.05)
for i in $(seq 1 "$agents"); do
  exec 3>"$run/apps/display$i"
  Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp -nolisten unix -noreset +extension XTEST +extension MIT-SHM \
    >"$run/logs/xvfb$i.log" 2>&1 &
  pids+=($!)
  exec 3>&-
  wait_for "Xvfb $i" 60 test -s "$run/apps/display$i"
  display=":$(tr -d '[:space:]' <"$run/apps/display$i")"
  echo "$display" >"$run/apps/display$i"
  start "openbox$i" env DISPLAY="$display" openbox --sm-disable
  # A program that maps its window while openbox is still starting is never managed (and never shown):
  # wait until the window manager owns the screen, as scripts/with-xvfb.sh does.
  wm_ready() { env DISPLAY="$display" xprop -root _NET_SUPPORTING_WM_CHECK 2>/dev/null | grep -q "window id"; }
  wait_for "openbox on desktop $i" 60 wm_ready
  start "erp$i" env DISPLAY="$display" "$erp_bin" --state "$run/apps/erp$i.json" --backend "$run/apps/erp-backend.json" \
    --orders "$run/apps/erp-orders.json" "${app_flags[@]}"
  start "opship$i" env DISPLAY="$display" "$opship_bin" --state "$run/apps/opship$i.json" \
    --backend "$run/apps/opship-backend.json" --position 1010,30 "${app_flags[@]}"
done
# Both programs are on screen on every desktop before any agent looks at it.
for i in $(seq 1 "$agents"); do
  for title in "Legacy ERP" "OpShip 4.2"; do
    if ! wait_for "the \"$title\" window on desktop $i" 60 \
         env DISPLAY="$(cat "$run/apps/display$i")" xdotool search --onlyvisible --name "$title" >/dev/null; then
      env DISPLAY="$(cat "$run/apps/display$i")" xwininfo -root -tree >"$run/logs/windows$i.txt" 2>&1 || true
      exit 1
    fi
  done
done

# ---- the orchestrator ----
cat >"$run/orchestrator.json" <<EOF
{
  "_comment": "written by scripts/demo.sh: Maildir inbox, SQLite store, the SP-API simulator, a CURVE fleet",
  "store": "dockhand.sqlite",
  "orders_db": "orders.sqlite",
  "mail": { "source": "maildir", "poll_interval_ms": 500, "maildir": { "path": "inbox" } },
  "spapi": {
    "endpoint": "$spapi",
    "lwa_endpoint": "$spapi/auth/o2/token",
    "client_id": "amzn1.application-oa2-client.dockhanddemo",
    "client_secret_file": "secrets/lwa-client-secret",
    "refresh_token_file": "secrets/lwa-refresh-token"
  },
  "chain": { "poll_initial_ms": 300, "poll_max_ms": 2000 },
  "fleet": {
    "bind": "tcp://127.0.0.1:*",
    "server_secret_key": "keys/orchestrator.key",
    "agent_keys": "keys/agents",
    "evidence_dir": "evidence"
  },
  "console": { "bind": "127.0.0.1", "port": 0, "tokens_file": "secrets/console-tokens" },
  "logging": { "level": "info", "file": "logs/orchestrator.log" }
}
EOF
"$orch" serve --config "$run/orchestrator.json" --check >"$run/logs/config-check.log" 2>&1 \
  || { cat "$run/logs/config-check.log" >&2; exit 1; }
start serve "$orch" serve --config "$run/orchestrator.json"
# The fleet binds a free port and says which in its log.
fleet_endpoint() { grep -o 'jobs go to agents at tcp://127.0.0.1:[0-9]*' "$run/logs/orchestrator.log" 2>/dev/null | head -n1 | sed 's/.* at //'; }
has_fleet_endpoint() { [ -n "$(fleet_endpoint)" ]; }
wait_for "the orchestrator's fleet" 60 has_fleet_endpoint
endpoint="$(fleet_endpoint)"
# Keep that port in the config, so a restarted orchestrator is where the agents look for it.
sed -i "s|tcp://127.0.0.1:\*|$endpoint|" "$run/orchestrator.json"
# The console binds a free port too and says which (docs/console.md); a restart keeps it.
console_url() { grep -i 'console' "$run/logs/orchestrator.log" 2>/dev/null | grep -o 'https\?://127\.0\.0\.1:[0-9]*' | head -n1; }
has_console_url() { [ -n "$(console_url)" ]; }
wait_for "the Operator Console" 60 has_console_url
console="$(console_url)"
echo "$console/" >"$run/console-url"
sed -i "s|\"port\": 0,|\"port\": ${console##*:},|" "$run/orchestrator.json"
say "Operator Console: $console/   token: $console_token"
echo "demo: (viewer token: $viewer_token; both are in $run/secrets)"

# ---- the agents ----
for i in $(seq 1 "$agents"); do
  start "agent$i" env DISPLAY="$(cat "$run/apps/display$i")" "$agent_bin" serve \
    --orchestrator "$endpoint" --server-key "$run/keys/orchestrator.pub" \
    --key "$run/keys/agent$i.key" --id "agent$i" --recordings "$here/recordings" --evidence "$run/evidence/agent$i" \
    ${DOCKHAND_AGENT_ARGS:-}
done
# Every agent has said READY before any mail arrives, so on a slow machine the first agent up does not take
# all the work (and --agents N means N agents at work).
agent_ready() { grep -q "fleet: agent agent$1 (" "$run/logs/orchestrator.log" 2>/dev/null; }
for i in $(seq 1 "$agents"); do wait_for "agent$i to register with the orchestrator" 60 agent_ready "$i"; done

stay_up() {  # keeps everything running until Ctrl-C (--stay, --no-mail), or until whoever started it is gone
  say "everything keeps running: Operator Console $console/ (token: $console_token); Ctrl-C stops it"
  while kill -0 "$(cat "$run/pids/serve.pid")" 2>/dev/null; do
    # A test runner killed outright (a ctest timeout) leaves nothing running behind it.
    kill -0 "$parent" 2>/dev/null || { echo "demo: the process that started it ($parent) is gone: stopping" >&2; exit 0; }
    sleep 1
  done
  echo "demo: the orchestrator stopped (logs in $run/logs)" >&2
  exit 1
}
[ $mail -eq 1 ] || stay_up

# ---- three routing requests land in the inbox ----
say "three routing-request emails land in $run/inbox"
email 1 "Routing request - 2 POs to ABE8" "$(po_block 2K4GH7QZ ABE8 12 1)$(po_block 7HXQ3M2P ABE8 8 1)"
email 2 "Routing request - PO 9LMN4R8T" "$(po_block 9LMN4R8T MDW2 5 0)"
email 3 "Fwd: routing request HBRPOIG8" "$(po_block HBRPOIG8 SWF1 6 1)"

say "live timeline (one line per step${verbose:+, every event})"
set +e
"$orch" status --store "$run/dockhand.sqlite" --follow --until-done 3 --timeout "$timeout_s" "${verbose[@]}"
rc=$?
set -e
echo
if [ $rc -eq 0 ] && [ $hazards -eq 1 ]; then
  # A PO the ERP does not know: the agent's close-out fails with a screenshot, and the request waits for a person.
  say "a fourth request, for a PO the ERP does not know: it will need a person"
  read -r po fc cartons pallets <<<"$erp_unknown"
  email 4 "Routing request - PO $po" "$(po_block "$po" "$fc" "$cartons" "$pallets")"
  set +e
  "$orch" status --store "$run/dockhand.sqlite" --follow --until-done 4 --timeout "$timeout_s" "${verbose[@]}"
  hazard_rc=$?
  set -e
  # Exit 1 is what is expected here: the request stopped for a person (anything else is the demo failing).
  [ $hazard_rc -eq 1 ] || rc=$hazard_rc
  echo
fi
"$orch" status --store "$run/dockhand.sqlite"
if [ $rc -eq 0 ]; then
  say "all three routing requests are DONE"
  [ $hazards -eq 1 ] && say "one request needs attention: see the queue at $console/#/attention (token: $console_token)"
else
  say "the demo did not finish (exit $rc): logs in $run/logs, evidence in $run/evidence"
fi
echo "demo: store $run/dockhand.sqlite (status ID --store ... shows one in full), logs $run/logs"
echo "demo: Operator Console $console/ (token: $console_token)"
[ $stay -eq 1 ] && stay_up
exit $rc
