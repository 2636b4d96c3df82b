#!/usr/bin/env bash
# Builds tests/vcsim (govmomi's simulator behind a main of our own) from Debian's
# golang-github-vmware-govmomi-dev, offline: GOPATH is the packaged source, no modules, no
# downloads. Prints the binary's path. Rebuilt only when main.go is newer than the binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${CARGO_TARGET_DIR:-target}/vcsim"
bin="$out/vcsim"
src=tests/vcsim/main.go
if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
  command -v go >/dev/null || { echo "vcsim: go is missing (scripts/setup.sh --test installs golang-go)" >&2; exit 1; }
  [ -d /usr/share/gocode/src/github.com/vmware/govmomi/simulator ] || {
    echo "vcsim: govmomi's source is missing (scripts/setup.sh --test installs golang-github-vmware-govmomi-dev)" >&2; exit 1; }
  mkdir -p "$out"
  GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off GOCACHE="$PWD/$out/gocache" \
    go build -o "$bin" "./$src"
fi
echo "$PWD/$bin"
