#!/usr/bin/env bash
# Cuts templates/*.png for the tutorial's script (docs/tutorial-xclipboard.md) from the real xclipboard under
# Xvfb with no window manager, exactly as the tutorial does by hand: start the program at the screen's corner
# (so screen and client coordinates agree), bring up each window, `dockhand-agent capture --region` each label.
#   scripts/with-xvfb.sh -- docs/tutorial/xclipboard/cut-templates.sh [BUILD_DIR]
# Needs xclipboard (x11-apps), xdotool, xwininfo (x11-utils) and the fonts scripts/setup.sh installs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../../build}
agent=$build/agent/dockhand-agent
out=$here/templates
mkdir -p "$out"
tmp=$(mktemp -d)
xclipboard -geometry 420x240+0+0 2>"$tmp/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT

origin() {  # origin TITLE: "x y" of that window's client area, once it is there
  for _ in $(seq 1 100); do
    if xwininfo -name "$1" >"$tmp/info" 2>/dev/null; then
      awk '/Absolute upper-left X/ { x = $NF } /Absolute upper-left Y/ { y = $NF } END { print x, y }' "$tmp/info"
      return 0
    fi
    sleep 0.05
  done
  echo "cut-templates: no window \"$1\"" >&2; exit 1
}
cut() {  # cut NAME X Y x,y,w,h: the rectangle x,y,w,h of the window whose client area starts at X,Y
  local x y w h; IFS=, read -r x y w h <<<"$4"
  "$agent" capture --region "$(( $2 + x )),$(( $3 + y )),$w,$h" -o "$out/$1.png" >/dev/null
}

read -r mx my < <(origin xclipboard)
sleep 0.5
cut new "$mx" "$my" 123,11,35,14
cut save "$mx" "$my" 172,11,39,14
xdotool mousemove $(( mx + 191 )) $(( my + 17 )) click 1   # Save: the File Save dialog opens under the pointer
read -r dx dy < <(origin "File Save")
sleep 0.5
cut save-to-file "$dx" "$dy" 9,10,94,14
cut accept "$dx" "$dy" 10,66,56,16
# A file that cannot be written: the Error dialog, for its Continue button.
xdotool mousemove $(( dx + 60 )) $(( dy + 40 )) click 1 key ctrl+a ctrl+k type /nonexistent/x.txt
xdotool key Return
read -r ex ey < <(origin Error)
sleep 0.5
cut continue "$ex" "$ey" 10,39,72,14
ls "$out"
