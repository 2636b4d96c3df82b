#!/bin/sh
# Regenerates every raster icon from the SVG sources in icons/ (run after editing them).
set -eu
cd "$(dirname "$0")/.."
npx --no-install tauri icon icons/latchkey.svg -o icons
# Latchkey ships for macOS and Linux only.
rm -rf icons/android icons/ios icons/Square*Logo.png icons/StoreLogo.png icons/icon.ico
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx --no-install tauri icon icons/tray-template.svg -o "$tmp" --png 44
cp "$tmp/44x44.png" icons/tray-template.png
