#!/usr/bin/env bash
# Runs CMD ARGS... inside a private D-Bus session with an unlocked gnome-keyring, so tests use
# a real Secret Service without touching the user's own keyring. Sets LATCHKEY_TEST_KEYRING=1,
# which makes the Secret Service tests run (and fail if the service is unreachable).
#
#   scripts/with-keyring.sh cargo test -p latchkey-vault
#
# Follows DESIGN.md's "Facts about the Linux twins": HOME and the XDG dirs point at a temp dir
# *before* dbus-run-session, because services it starts inherit its environment; the keyring
# is unlocked with a random per-run password; we wait for org.freedesktop.secrets to answer
# before the first client, or D-Bus may start a second daemon.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

# cargo and rustup find their homes through HOME unless told; pin them before HOME moves.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-keyring.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -m 0700 "$tmp/runtime" "$tmp/data" "$tmp/config"
export HOME="$tmp"
export XDG_RUNTIME_DIR="$tmp/runtime"
export XDG_DATA_HOME="$tmp/data"
export XDG_CONFIG_HOME="$tmp/config"
# Generated per run and passed only through the environment of the inner shell.
LATCHKEY_KEYRING_PW="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export LATCHKEY_KEYRING_PW

inner='
set -euo pipefail
eval "$(printf %s "$LATCHKEY_KEYRING_PW" | gnome-keyring-daemon --unlock --components=secrets)"
unset LATCHKEY_KEYRING_PW
answers() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
        grep -q "boolean true"
}
for _ in $(seq 100); do
    answers && break
    sleep 0.1
done
if ! answers; then
    echo "with-keyring: org.freedesktop.secrets did not appear within 10 s" >&2
    exit 1
fi
export LATCHKEY_TEST_KEYRING=1
exec "$@"
'

status=0
# dbus-daemon warns "Failed to set fd limit" when not allowed to raise it; harmless, so drop
# that line and pass the rest of stderr through.
dbus-run-session -- bash -c "$inner" with-keyring "$@" \
    2> >(grep -v --line-buffered "Failed to set fd limit" >&2) || status=$?
exit "$status"
