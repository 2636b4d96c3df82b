#!/usr/bin/env bash
# Fails if a binary Latchkey ships contains the scripted presence check (the test-only
# LATCHKEY_SCRIPTED_PRESENCE). `cargo test`, `make interop` and `make bench` build `latchkey`
# with it into target/debug or target/release; `make app` rebuilds without it and runs this.
#
#   scripts/check-shipped.sh [TARGET_DIR]   (default: target)
#
# Every profile directory present is checked (debug and release); a missing binary in a
# present profile is an error, not a pass.
set -euo pipefail

target="${1:-target}"
binaries=(latchkey latchkey-app)
checked=0
bad=0
for profile in debug release; do
    dir="$target/$profile"
    [ -d "$dir" ] || continue
    present=0
    for bin in "${binaries[@]}"; do [ -e "$dir/$bin" ] && present=1; done
    [ "$present" = 1 ] || continue
    for bin in "${binaries[@]}"; do
        path="$dir/$bin"
        if [ ! -e "$path" ]; then
            echo "check-shipped: $path is missing (build it before shipping $profile)" >&2
            bad=1
            continue
        fi
        checked=$((checked + 1))
        if grep -q LATCHKEY_SCRIPTED_PRESENCE "$path"; then
            echo "check-shipped: $path contains the scripted presence check (a test build)" >&2
            bad=1
        fi
    done
done
if [ "$checked" = 0 ] && [ "$bad" = 0 ]; then
    echo "check-shipped: no built binaries under $target/debug or $target/release" >&2
    exit 1
fi
[ "$bad" = 0 ] || exit 1
echo "check-shipped: $checked binaries, none with the scripted presence check"
