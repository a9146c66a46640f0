# Shared helpers for the project scripts. Source it; do not run it.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.11"
WASM_BINDGEN_VERSION="0.2.130"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

# Build tools that cargo-leptos needs and must not try to download: wasm32 target, cargo-leptos,
# wasm-bindgen CLI (same version as the crate), wasm-opt (from the npm package binaryen).
ensure_build_tools() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup (https://rustup.rs) first"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  local stamp="$HOME/.cargo/crm-cargo-leptos.stamp"
  if [[ "$(cargo leptos --version 2>/dev/null || true)" != *"$CARGO_LEPTOS_VERSION"* \
        || "$(cat "$stamp" 2>/dev/null || true)" != "$(splitter_version)" ]]; then
    log "installing cargo-leptos $CARGO_LEPTOS_VERSION with the vendored splitter (compiles for 15-30 minutes, once per machine)"
    install_cargo_leptos
    splitter_version >"$stamp"
  fi
  if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != *"$WASM_BINDGEN_VERSION"* ]]; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    # Not --locked: its lock file wants a crate version the registry mirror lacks.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  ensure_npm_packages
  command -v wasm-opt >/dev/null || die "wasm-opt is missing after npm install (package binaryen)"
}

# cargo-leptos with vendor/wasm_split_cli_support in place of the crates.io splitter (see
# vendor/README.md); the stamp holds a hash of that source, so a change to it installs again.
install_cargo_leptos() {
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --ignore-rust-version --features no_downloads \
    --force --config "patch.crates-io.wasm_split_cli_support.path=\"$ROOT/vendor/wasm_split_cli_support\""
}
splitter_version() {
  (cd "$ROOT/vendor/wasm_split_cli_support" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
}

# The lazy pages' shared code as three chunks (see vendor/README.md): the public pages a lead opens,
# the signed-in app, and what both use. Names are the split modules (src/app/lazy_pages.rs).
export WASM_SPLIT_GROUPS="${WASM_SPLIT_GROUPS:-book_page,manage_booking_page,talk_page}"

# end2end's npm packages: Playwright's test runner (no browser download) and binaryen's wasm-opt.
# The release build of the server and the client. The client's file names carry content hashes
# (Cargo.toml: hash-files) and cargo-leptos does not empty target/site/pkg first, so it is emptied
# here: old files would pile up and be hashed again.
clean_client_files() { rm -rf "$ROOT/target/site/pkg"; }
build_release() {
  clean_client_files
  cargo leptos build --release --split --precompress "$@"
}

ensure_npm_packages() {
  command -v npm >/dev/null || die "npm is missing: apt-get install nodejs npm"
  if [[ ! -x "$ROOT/end2end/node_modules/.bin/playwright" || ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" \
        || "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]]; then
    log "installing end2end npm packages"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
  fi
}

# apt_install PACKAGE...: installs Debian packages, through sudo when not root.
apt_install() {
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_chromium() {
  if [[ ! -x /usr/bin/chromium ]]; then
    log "installing Chromium from Debian's packages"
    apt_install chromium
  fi
  [[ -x /usr/bin/chromium ]] || die "Chromium is missing and could not be installed (apt-get install chromium)"
}

# The release server binary, or a stop with how to build it.
release_binary() {
  local binary="${CARGO_TARGET_DIR:-$ROOT/target}/release/crm"
  [[ -x "$binary" ]] || die "$binary is missing: build the release first (cargo leptos build --release --split --precompress)"
  printf '%s\n' "$binary"
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until URL answers 200, or fails after $2 seconds.
wait_for_http() {
  local url=$1 seconds=${2:-60} i
  for ((i = 0; i < seconds * 10; i++)); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}
