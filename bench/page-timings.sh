#!/usr/bin/env bash
# Page timings in Chromium (bench/page-timings.mjs) against the release server on a fresh SQLite
# database. Build first: cargo leptos build --release --split --precompress.
# Usage: bench/page-timings.sh [--runs N] [--latency MS]
# CRM_BIN and CRM_SITE time another build (a binary with its hash.txt beside it, and its site).
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
binary="${CRM_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/crm}"
site="${CRM_SITE:-$ROOT/target/site}"
[[ -x "$binary" ]] || die "$binary is missing: run cargo leptos build --release --split --precompress first"
port=$(free_port)
work=$(mktemp -d)
env LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$site" RUST_LOG=warn \
  DATABASE_URL="sqlite://$work/crm.db" "$binary" >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill -TERM $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
wait_for_http "http://127.0.0.1:$port/readyz" 60 || { cat "$work/server.log" >&2; die "the server did not start"; }
node bench/page-timings.mjs "http://127.0.0.1:$port" "$@"
