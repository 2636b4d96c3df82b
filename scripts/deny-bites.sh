#!/usr/bin/env bash
# Proves the supply-chain gate bites: a throwaway crate depending on smallvec 1.6.0, which
# has a known advisory (RUSTSEC-2021-0003, a buffer overflow), must fail scripts/deny.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
planted=target/deny-planted
mkdir -p "$planted/src"
cat > "$planted/Cargo.toml" <<'TOML'
[package]
name = "deny-planted"
version = "0.0.0"
edition = "2024"
publish = false
license = "MIT"

[dependencies]
smallvec = "=1.6.0"

[workspace]
TOML
echo > "$planted/src/lib.rs"
# The one network step: crates.io, for the planted crate (cached after the first run).
[ -f "$planted/Cargo.lock" ] || cargo generate-lockfile --quiet --manifest-path "$planted/Cargo.toml"
cargo fetch --quiet --locked --manifest-path "$planted/Cargo.toml"
if out=$(LATCHKEY_DENY_MANIFEST="$PWD/$planted/Cargo.toml" scripts/deny.sh advisories 2>&1); then
  echo "deny-bites: the gate passed a crate with a known advisory:" >&2
  echo "$out" >&2
  exit 1
fi
grep -q "RUSTSEC-2021-0003" <<<"$out" || { echo "deny-bites: failed, but not on RUSTSEC-2021-0003:" >&2; echo "$out" >&2; exit 1; }
echo "deny-bites: smallvec 1.6.0 is refused (RUSTSEC-2021-0003)"
