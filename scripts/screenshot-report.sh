#!/usr/bin/env bash
# Renders the demo fleet's report (fixtures/demo) as a person would see it: headless Chromium
# at laptop width. Writes
#   docs/report-demo.html       the self-contained report
#   docs/report-demo.png        the first screen at 1366×900 (embedded in the README)
#   docs/report-demo-full.png   the whole page at 1366 px wide
#
# Needs: chromium (Debian: apt-get install -y chromium) and ImageMagick (apt-get install -y
# imagemagick) to crop the full-page capture.
#
# Environment: APIARY=path/to/apiary to skip the build; SCRATCH=build dir (default .build);
# CHROMIUM=browser binary (default chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=${SCRATCH:-.build}
apiary=${APIARY:-}
chromium=${CHROMIUM:-chromium}
width=1366
height=900

if [[ -z "$apiary" ]]; then
    swift build --scratch-path "$scratch" --product apiary >&2
    apiary="$scratch/debug/apiary"
fi
command -v "$chromium" >/dev/null || { echo "error: $chromium not found (apt-get install -y chromium)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p docs

"$apiary" plan fixtures/demo --format json --seed 1 --output "$tmp/plan.json"
"$apiary" report fixtures/demo --plan "$tmp/plan.json" --format html --output docs/report-demo.html

shoot() { # shoot OUT.png WIDTH HEIGHT
    # A throwaway profile keeps runs independent; --no-sandbox because CI and containers run as root.
    "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$tmp/profile" --force-device-scale-factor=1 \
        --window-size="$2,$3" --screenshot="$1" "file://$PWD/docs/report-demo.html" >/dev/null 2>&1
    [[ -s "$1" ]] || { echo "error: chromium wrote no screenshot to $1" >&2; exit 1; }
}

# One tall capture gives both pictures: headless Chromium's viewport is shorter than --window-size
# (it keeps room for browser UI), so a 1366×900 window does not show 900 pixels of page. The layout
# only depends on the width, so the first 900 rows of the tall capture are the laptop screen.
# (ImageMagick's default policy refuses images over 16K pixels high.)
shoot "$tmp/tall.png" "$width" 15000

magick=""
for candidate in /usr/bin/convert convert; do
    if "$candidate" -version 2>/dev/null | grep -q ImageMagick; then magick=$candidate; break; fi
done
[[ -n "$magick" ]] || { echo "error: ImageMagick not found (apt-get install -y imagemagick)" >&2; exit 1; }

"$magick" "$tmp/tall.png" -crop "${width}x${height}+0+0" +repage docs/report-demo.png
# Full page: crop the empty tail. %@ is the bounding box of the non-background content, WxH+X+Y.
box=$("$magick" "$tmp/tall.png" -bordercolor '#f6f7f9' -border 1 -format '%@' info:)
content_h=${box#*x}; content_h=${content_h%%+*}
top=${box##*+}
crop_h=$((content_h + top + 24))
"$magick" "$tmp/tall.png" -crop "${width}x${crop_h}+0+0" +repage docs/report-demo-full.png
echo "wrote docs/report-demo.html, docs/report-demo.png, docs/report-demo-full.png" >&2
