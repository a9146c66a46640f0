#!/usr/bin/env bash
# The AI persona's reply time (bench/ai-reply.mjs) on one release instance with the offline
# responder and no reply delay, on a fresh SQLite database by default or with --postgres on a fresh
# PostgreSQL database and Redis. Build the release first.
# Usage: bench/ai-reply.sh [--postgres] [--messages N]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
binary=$(release_binary)
work=$(mktemp -d)
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432}
database="crm_ai_reply_$$"
# The lead writes hundreds of messages from one address: the public chat's limits are raised.
common_env=(LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn CRM_BOOKING_ATTEMPTS_PER_IP=100000)
server_env=("${common_env[@]}" DATABASE_URL="sqlite://$work/crm.db")
backend=SQLite
if [[ ${1:-} == --postgres ]]; then
  shift
  psql "$pg/postgres" -qc "CREATE DATABASE $database" || die "could not create $database"
  server_env=("${common_env[@]}" DATABASE_URL="$pg/$database"
    REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" REDIS_KEY_PREFIX="crm-ai-reply-$$:")
  backend="PostgreSQL + Redis"
fi
port=$(free_port)
env LEPTOS_SITE_ADDR="127.0.0.1:$port" "${server_env[@]}" "$binary" >"$work/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1; rm -rf "$work"' EXIT
wait_for_http "http://127.0.0.1:$port/readyz" 60 || { cat "$work/server.log" >&2; die "the server did not start"; }
log "instance on 127.0.0.1:$port ($backend)"
node bench/ai-reply.mjs "http://127.0.0.1:$port" "$@"
