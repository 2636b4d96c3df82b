#!/usr/bin/env bash
# The offline supply-chain gate: cargo-deny (pinned, in .tools) against the RustSec snapshot
# in ../shared/advisory-db, for the manifest given (default: the workspace).
#   scripts/deny.sh [cargo-deny check args…]   (LATCHKEY_DENY_MANIFEST: another Cargo.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
snapshot="${LATCHKEY_ADVISORY_SNAPSHOT:-$root/../shared/advisory-db}"
deny="$root/.tools/bin/cargo-deny"
[ -x "$deny" ] || { echo "deny: $deny is missing: run scripts/setup.sh --test" >&2; exit 1; }
[ -d "$snapshot" ] || { echo "deny: no RustSec snapshot at $snapshot (../shared/advisory-db)" >&2; exit 1; }

# cargo-deny reads a git repository named after the database's URL; make one from the
# snapshot, committed at the snapshot's own date so its age is reported truthfully.
export LATCHKEY_ADVISORY_DBS="$root/target/advisory-dbs"
repo="$LATCHKEY_ADVISORY_DBS/advisory-db-3157b0e258782691"
marker=$(sha256sum "$snapshot/SNAPSHOT.md" | cut -d' ' -f1)
if [ "$(cat "$repo/.latchkey-snapshot" 2>/dev/null)" != "$marker" ]; then
  rm -rf "$repo"
  mkdir -p "$repo"
  cp -a "$snapshot/." "$repo/"
  date=$(grep -oE '\(20[0-9]{2}-[0-9]{2}-[0-9]{2}\)' "$snapshot/SNAPSHOT.md" | head -1 | tr -d '()')
  date="${date:-$(date -u +%F)}T00:00:00Z"
  (
    cd "$repo"
    git init -q -b main
    git add -A
    GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" \
      git -c user.name=latchkey -c user.email=latchkey@localhost commit -q -m "RustSec snapshot"
  )
  echo "$marker" > "$repo/.latchkey-snapshot"
fi
echo "deny: RustSec snapshot of $(git -C "$repo" log -1 --format=%cs) ($snapshot)" >&2
exec "$deny" --color never --frozen --config "$root/deny.toml" \
  ${LATCHKEY_DENY_MANIFEST:+--manifest-path "$LATCHKEY_DENY_MANIFEST"} check "$@"
