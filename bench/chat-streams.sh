#!/usr/bin/env bash
# Idle live streams on one release instance (bench/chat-streams.mjs), on a fresh SQLite database
# by default or with --postgres on a fresh PostgreSQL database and Redis. Build the release first.
# Usage: bench/chat-streams.sh [--postgres] [--streams N] [--messages M]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
binary="${CARGO_TARGET_DIR:-$ROOT/target}/release/crm"
[[ -x "$binary" ]] || die "$binary is missing: build the release first"
# Each stream is a socket on both ends (the server and this script).
ulimit -n "$(ulimit -Hn)" || die "could not raise the open-file limit"
work=$(mktemp -d)
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432}
database="crm_streams_$$"
server_env=(LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn DATABASE_URL="sqlite://$work/crm.db")
if [[ ${1:-} == --postgres ]]; then
  shift
  psql "$pg/postgres" -qc "CREATE DATABASE $database" || die "could not create $database"
  server_env=(LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn DATABASE_URL="$pg/$database"
    REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" REDIS_KEY_PREFIX="crm-streams-$$:")
fi
port=$(free_port)
env LEPTOS_SITE_ADDR="127.0.0.1:$port" "${server_env[@]}" "$binary" >"$work/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1; rm -rf "$work"' EXIT
wait_for_http "http://127.0.0.1:$port/readyz" 60 || { cat "$work/server.log" >&2; die "the server did not start"; }
node bench/chat-streams.mjs "http://127.0.0.1:$port" "$server" "$@"
