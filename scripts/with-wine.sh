#!/usr/bin/env bash
# Runs a command with a fresh Wine prefix (in a temporary folder) and stops every Wine process it started when
# the command ends, however it ends. Needs a display: run it under scripts/with-xvfb.sh.
#   scripts/with-wine.sh -- COMMAND [ARGS...]
# Exports WINEPREFIX, WINEDEBUG=-all and WINEDLLOVERRIDES="mscoree,mshtml=" (no Mono/Gecko install prompts).
# Exits 77 (ctest's "skipped") with a message when Wine is not installed.
set -euo pipefail
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "with-wine: no command given" >&2; exit 2; }
for tool in wine wineboot wineserver; do
  command -v "$tool" >/dev/null || {
    echo "with-wine: SKIPPED: '$tool' is not installed (scripts/setup.sh installs wine wine64)" >&2; exit 77; }
done
[ -n "${DISPLAY:-}" ] || { echo "with-wine: no DISPLAY (run under scripts/with-xvfb.sh)" >&2; exit 2; }

tmp=$(mktemp -d)
export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export DOCKHAND_WINE_TMP="$tmp"
cleanup() {
  # Whatever the command left running in this prefix is killed, then the server is waited for.
  timeout 60 wineserver -k >/dev/null 2>&1 || true
  timeout 60 wineserver -w >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh prefix: ~8 s idle, much longer on a loaded machine; wineserver -w waits until its programs are done.
if ! timeout 600 wineboot --init >"$tmp/wineboot.log" 2>&1; then
  cat "$tmp/wineboot.log" >&2; echo "with-wine: wineboot --init failed" >&2; exit 2
fi
timeout 600 wineserver -w || { echo "with-wine: the prefix did not settle within 600 s" >&2; exit 2; }

set +e
"$@"
rc=$?
exit $rc
