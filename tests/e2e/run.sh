#!/usr/bin/env bash
# Runs the WebDriver suite against the built app, with its own X display and D-Bus session.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TMPDIR="${TMPDIR:-/tmp}"
exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- node --test tests/e2e/ 2> >(grep -v -e 'Failed to set fd limit' -e 'Activating service' -e 'Successfully activated' >&2)
