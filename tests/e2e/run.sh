#!/usr/bin/env bash
# Runs the WebDriver suite against the built app, with its own X display, D-Bus session and
# unlocked gnome-keyring (scripts/with-keyring.sh), so credentials go to a real Secret Service.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TMPDIR="${TMPDIR:-/tmp}"
exec xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh node --test tests/e2e/ 2> >(grep -v -e 'Failed to set fd limit' -e 'Activating service' -e 'Successfully activated' >&2)
