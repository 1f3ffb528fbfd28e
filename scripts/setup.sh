#!/usr/bin/env bash
# Installs everything Dockhand needs to build, test and run its demo on Debian 12.
# Idempotent: packages already present are skipped; safe to run on every test/demo run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  # toolchain
  build-essential cmake pkg-config git ccache
  # libraries (Debian packages only)
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libtesseract-dev tesseract-ocr-eng libfreetype-dev
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libzmq3-dev cppzmq-dev libgtest-dev libgmock-dev libsqlite3-dev sqlite3
  libgmime-3.0-dev libgumbo-dev libcpp-httplib-dev libfltk1.3-dev libcli11-dev
  libpoppler-cpp-dev libzip-dev libxml2-dev
  libx11-dev libxext-dev libxtst-dev libxrandr-dev
  # runtime parts used by tests and the demo
  xvfb openbox x11-utils xdotool fonts-dejavu-core
  # the tutorial's program (docs/tutorial-xclipboard.md) and the X core fonts it draws with
  x11-apps xfonts-base xfonts-100dpi
  dovecot-core dovecot-imapd openssl
  # the Operator Console's browser tests and benchmark drive Debian's Chromium (tests/browser)
  chromium
  # the Windows driver: cross-built with mingw-w64 (posix threads, for std::thread/std::mutex) and tested under
  # Wine on Xvfb (docs/windows.md); ~1.1 GB on disk
  g++-mingw-w64-x86-64-posix wine wine64 fonts-wine
)
# Node.js runs Prism. Some images ship nodejs with npm bundled (conflicting with Debian's npm package):
# only ask apt for them when the commands are missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # dovecot's package starts a system-wide daemon; tests run their own on loopback.
  $SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true
else
  echo "setup: all Debian packages present"
fi

# Prism (Stoplight) validates our SP-API requests against Amazon's published models.
tools="$here/.tools"
if [ ! -x "$tools/node_modules/.bin/prism" ]; then
  echo "setup: installing @stoplight/prism-cli into $tools"
  mkdir -p "$tools"
  (cd "$tools" && npm install --silent --no-audit --no-fund --prefix "$tools" @stoplight/prism-cli@5 >/dev/null)
fi
# playwright-core (no browser download: it drives /usr/bin/chromium) for tests/browser, at the version its
# package-lock.json pins (1.61.x: the last that runs on Debian 12's Node 18 as well as on Node 20).
browser_tests="$here/tests/browser"
if [ ! -f "$browser_tests/node_modules/playwright-core/package.json" ] ||
   [ "$browser_tests/package-lock.json" -nt "$browser_tests/node_modules/.package-lock.json" ]; then
  echo "setup: installing playwright-core into $browser_tests/node_modules"
  (cd "$browser_tests" && npm ci --silent --no-audit --no-fund >/dev/null)
fi
echo "setup: done"
