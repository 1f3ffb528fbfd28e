#!/bin/sh
# Regenerates vision/glyph_templates.inc from DejaVu Sans (fonts-dejavu-core, libfreetype-dev, libopencv-dev).
set -e
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
g++ -std=c++20 -O1 scripts/gen-glyph-templates.cpp -o "$tmp/gen" $(pkg-config --cflags --libs freetype2) -isystem /usr/include/opencv4 -lopencv_imgproc -lopencv_core
"$tmp/gen" "$@" > vision/glyph_templates.inc
