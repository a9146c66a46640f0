#!/usr/bin/env bash
# Chat delivery latency (bench/chat-delivery.mjs) across two release instances that share a fresh
# PostgreSQL database and Redis. Build first: scripts/lib.sh's build_release (or
# cargo leptos build --release --split --precompress).
# Usage: bench/chat-delivery.sh [--messages N]   (PG_URL, REDIS_URL override the local defaults)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
binary="${CARGO_TARGET_DIR:-$ROOT/target}/release/crm"
[[ -x "$binary" ]] || die "$binary is missing: build the release first"
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432}
redis=${REDIS_URL:-redis://127.0.0.1:6379}
database="crm_delivery_$$"
psql "$pg/postgres" -qc "CREATE DATABASE $database" || die "could not create $database"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
urls=()
for name in a b; do
  port=$(free_port)
  env LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn \
    DATABASE_URL="$pg/$database" REDIS_URL="$redis" REDIS_KEY_PREFIX="crm-delivery-$$:" \
    "$binary" >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_for_http "http://127.0.0.1:$port/readyz" 60 || { cat "$work/$name.log" >&2; die "instance $name did not start"; }
  urls+=("http://127.0.0.1:$port")
  # The first instance migrates the database; the second starts once it is done.
done
log "instances: ${urls[*]} (PostgreSQL $database, Redis $redis)"
node bench/chat-delivery.mjs "${urls[0]}" "${urls[1]}" "$@"
