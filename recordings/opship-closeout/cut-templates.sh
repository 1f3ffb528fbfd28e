#!/usr/bin/env bash
# Cuts templates/*.png from the real OpShip window under Xvfb (no window manager), at scales 1.0, 1.25 and
# 1.5: NAME.png at 1.0, NAME@1.25.png and NAME@1.5.png (the runner prefers a template cut at the program's
# scale over a resized one). Rerun it whenever OpShip's look changes (tests/apps/README.md is the UI contract):
#   scripts/with-xvfb.sh -- recordings/opship-closeout/cut-templates.sh [BUILD_DIR]
# Needs xdotool and jq. Rectangles are given at scale 1.0 in main-window pixels (OpShip places everything
# at round(base * scale)); modal buttons come from the state file's "modal" entry.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
app=$build/tests/apps/opship/dockhand-sim-opship
agent=$build/agent/dockhand-agent
out=$here/templates
mkdir -p "$out"

cut_at_scale() {
  local S=$1 suffix=$2 tmp pid
  tmp=$(mktemp -d)
  "$app" --state "$tmp/state.json" --position 40,40 --seed 1 --rows 60 --scale "$S" 2>"$tmp/err" &
  pid=$!
  trap "kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf '$tmp'" RETURN
  state() { jq -r "$1" "$tmp/state.json" 2>/dev/null || true; }
  await() {  # await JQ_EXPR: until the state file says true
    for _ in $(seq 1 200); do [ "$(state "$1")" = true ] && { sleep 0.3; return 0; }; sleep 0.05; done
    echo "cut-templates: timed out waiting for $1 at scale $S" >&2; exit 1
  }
  sc() { awk -v v="$1" -v s="$S" 'BEGIN { printf "%d", (v * s >= 0 ? int(v * s + 0.5) : -int(-v * s + 0.5)) }'; }
  cut() {  # cut NAME x,y,w,h (scale 1.0, window coordinates)
    local x y w h; IFS=, read -r x y w h <<<"$2"
    "$agent" capture --region "$(( $(sc "$x") + OX )),$(( $(sc "$y") + OY )),$(sc "$w"),$(sc "$h")" \
      -o "$out/$1$suffix.png" >/dev/null
    echo "templates/$1$suffix.png"
  }
  cut_screen() {  # cut_screen NAME x,y,w,h (already scaled, screen coordinates)
    "$agent" capture --region "$2" -o "$out/$1$suffix.png" >/dev/null
    echo "templates/$1$suffix.png"
  }
  click() { xdotool mousemove "$(( $(sc "$1") + OX ))" "$(( $(sc "$2") + OY ))" click 1; sleep 0.15; }
  # Modal buttons: only the inside, 5 px in from the edges. Under a window manager the modal has the keyboard
  # focus and FLTK draws a dotted focus rectangle 3 px inside its first button; without one it does not.
  modal_button() {  # modal_button LABEL -> "x,y,w,h" on the screen (the inside of the button)
    local wid geo X Y
    wid=$(xdotool search --onlyvisible --name "^$(state '.modal.title')\$" | head -1)
    geo=$(xdotool getwindowgeometry --shell "$wid")
    X=$(echo "$geo" | sed -n 's/^X=//p'); Y=$(echo "$geo" | sed -n 's/^Y=//p')
    state ".modal.buttons[] | select(.label==\"$1\") | .rect | \"\(.[0]+$X+5),\(.[1]+$Y+5),\(.[2]-10),\(.[3]-10)\""
  }

  await '.events | map(.type) | index("start") != null'
  local wid geo
  wid=$(xdotool search --sync --onlyvisible --name '^OpShip 4.2 - Shipping$' | head -1)
  sleep 0.5
  geo=$(xdotool getwindowgeometry --shell "$wid")
  OX=$(echo "$geo" | sed -n 's/^X=//p'); OY=$(echo "$geo" | sed -n 's/^Y=//p')

  # Sign-in screen (frame at 230,150).
  cut sign_in 370,300,120,32
  cut operator 286,203,75,22
  cut password 283,247,78,22
  click 490 214; xdotool type dockhand
  click 490 258; xdotool type dockhand; xdotool key Return
  await '.screen == "entry"'
  cut shipment_id 20,80,100,28
  cut find 465,80,80,28
  # The list screen's way back to the entry screen.
  click 87 13; sleep 0.3; xdotool key Down Down Return
  await '.screen == "list"'
  cut shipment_entry 20,76,150,28
  click 95 90
  await '.screen == "entry"'
  click 290 94; xdotool type DH-2K4GH7QZ-CLT2-1A2B3C4D; xdotool key Return
  await '.detail != null'
  # Form labels: right-aligned text ending near x=146 in boxes 30..150; rows 40 px apart from y=160.
  cut status 96,203,53,22
  cut pos 114,243,35,22
  cut carrier 89,283,60,22
  cut pickup_date 58,323,91,22
  cut cartons 84,363,65,22
  cut pallets 94,403,55,22
  cut reference 66,443,83,22
  cut bol 111,483,38,22
  cut close_shipment 160,530,170,34
  click 325 294; xdotool type "Old Dominion"
  click 235 334; xdotool type 2026-12-03
  click 235 414; xdotool type 3
  click 245 547
  await '.modal.title == "Confirm"'
  cut_screen yes "$(modal_button Yes)"
  cut_screen no "$(modal_button No)"
  xdotool key Return
  await '.modal.title == "Information"'
  cut_screen ok "$(modal_button OK)"
  xdotool key Return
  await '.modal == null'
}

cut_at_scale 1.0 ""
cut_at_scale 1.25 "@1.25"
cut_at_scale 1.5 "@1.5"
