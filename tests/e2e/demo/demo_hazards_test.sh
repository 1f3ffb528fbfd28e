#!/usr/bin/env bash
# scripts/demo.sh --hazards, as a person tries it: the console's address and a token are printed, the three
# requests end DONE despite the programs' hazards, and the fourth waits in the needs-attention queue with the
# agent's screenshot.   demo_hazards_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"; build="$2"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "demo --hazards: $*" >&2; echo "---- demo output" >&2; cat "$dir/demo.log" >&2; exit 1; }

BUILD_DIR="$build" bash "$src/scripts/demo.sh" --no-setup --no-build --no-stay --hazards --dir "$dir/run" --timeout 400 \
  >"$dir/demo.log" 2>&1 || fail "exited $?"
grep -Eq 'Operator Console: http://127\.0\.0\.1:[0-9]+/ +token: [A-Za-z0-9_-]{20,}' "$dir/demo.log" || fail "no console address with a token"
store="$dir/run/dockhand.sqlite"
q() { sqlite3 -readonly "$store" "$1"; }
[ "$(q "SELECT count(*) FROM requests WHERE state = 'DONE'")" = 3 ] || fail "not three requests DONE: $(q 'SELECT id, state, reason FROM requests')"
waiting="$(q "SELECT id FROM requests WHERE state = 'NEEDS_ATTENTION'")"
[ -n "$waiting" ] && [ "$(wc -l <<<"$waiting")" = 1 ] || fail "not one request needing attention: $(q 'SELECT id, state FROM requests')"
[ "$(q "SELECT count(*) FROM evidence WHERE request = $waiting AND content_type LIKE 'image/%'")" -ge 1 ] ||
  fail "request #$waiting has no screenshot"
echo "demo --hazards: 3 DONE, #$waiting needs attention with its screenshot"
