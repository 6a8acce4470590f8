#!/bin/sh
# PSNR of IGRender against chafa (and half blocks) on the cat photo and a
# Grad-CAM-like overlay at full size (451x300), plus render timings.
# Usage: tools/render_psnr.sh [GRID_BOX ...]   (default: 80x80 120x120; the
# grid is fitted into each box keeping the aspect with 1:2 cells)
set -eu
cd "$(dirname "$0")/.."
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
python3 tools/make_render_images.py "$DIR" >/dev/null
chafa --version | head -1
first=1
for GRID in ${*:-80x80 120x120}; do
  IGRENDER_IMAGES=$DIR IGRENDER_GRID=$GRID swift test -c release --filter ChafaComparisonTests 2>&1 \
    | grep '^|' | { if [ $first = 1 ]; then cat; else tail -n +3; fi; }
  first=0
done
swift test -c release --filter QualityTests/testRenderSpeed 2>&1 | grep -E '^(render|Palette|xterm240)'
