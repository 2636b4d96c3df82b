#!/bin/sh
# Regenerates every raster icon from the SVG sources in icons/ (run after editing them).
# Uses the pinned Tauri CLI from npm on demand; builds do not need it.
set -eu
cd "$(dirname "$0")/.."
npx --yes @tauri-apps/cli@2.12.5 icon icons/latchkey.svg -o icons
# Latchkey ships for macOS and Linux only.
rm -rf icons/android icons/ios icons/Square*Logo.png icons/StoreLogo.png icons/icon.ico
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx --yes @tauri-apps/cli@2.12.5 icon icons/tray-template.svg -o "$tmp" --png 44
cp "$tmp/44x44.png" icons/tray-template.png
