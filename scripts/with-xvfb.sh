#!/usr/bin/env bash
# Runs a command with a private Xvfb (and optionally openbox) and stops them when the command ends,
# however it ends. The display number is picked by Xvfb itself (-displayfd), so tests can run in parallel.
#   scripts/with-xvfb.sh [--wm] [--size WxHxD] -- COMMAND [ARGS...]
# Exports DISPLAY and DOCKHAND_XVFB_PID (tests that simulate a dying X server kill that pid).
set -euo pipefail
wm=0; size="1920x1080x24"
while [ $# -gt 0 ]; do
  case "$1" in
    --wm) wm=1; shift ;;
    --size) size="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "with-xvfb: no command given" >&2; exit 2; }
command -v Xvfb >/dev/null || { echo "with-xvfb: Xvfb is not installed (run scripts/setup.sh)" >&2; exit 2; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

exec 3>"$tmp/displayfd"
Xvfb -displayfd 3 -screen 0 "$size" -nolisten tcp -nolisten unix -noreset +extension XTEST +extension MIT-SHM \
  >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
exec 3>&-
export DOCKHAND_XVFB_PID=${pids[0]}
for _ in $(seq 1 600); do  # up to 30 s: a loaded machine starts it slowly
  [ -s "$tmp/displayfd" ] && break
  kill -0 "$DOCKHAND_XVFB_PID" 2>/dev/null || { cat "$tmp/xvfb.log" >&2; echo "with-xvfb: Xvfb failed to start" >&2; exit 2; }
  sleep 0.05
done
[ -s "$tmp/displayfd" ] || { echo "with-xvfb: Xvfb gave no display number" >&2; exit 2; }
export DISPLAY=":$(head -n1 "$tmp/displayfd" | tr -d '[:space:]')"

if [ "$wm" = 1 ]; then
  openbox --sm-disable >"$tmp/openbox.log" 2>&1 &
  pids+=($!)
  # Wait until the window manager owns the screen (_NET_SUPPORTING_WM_CHECK is set).
  wm_up=0
  for _ in $(seq 1 600); do  # up to 30 s
    xprop -root _NET_SUPPORTING_WM_CHECK 2>/dev/null | grep -q "window id" && { wm_up=1; break; }
    sleep 0.05
  done
  [ "$wm_up" = 1 ] || { cat "$tmp/openbox.log" >&2; echo "with-xvfb: openbox did not take the screen within 30 s" >&2; exit 2; }
fi

"$@" &
child=$!
pids+=($child)
set +e
wait "$child"
rc=$?
# A failed run shows what the display's own programs said (openbox's complaints explain many window races).
if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
  for f in "$tmp/xvfb.log" "$tmp/openbox.log"; do
    [ -s "$f" ] && { echo "with-xvfb: $(basename "$f") (last lines):" >&2; tail -n 20 "$f" >&2; }
  done
  [ "$wm" = 1 ] && { echo "with-xvfb: windows on $DISPLAY at exit:" >&2; xwininfo -root -tree 2>/dev/null | grep -v "has no name" | head -20 >&2; }
fi
exit $rc
