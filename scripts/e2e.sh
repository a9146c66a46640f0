#!/usr/bin/env bash
# Starts the release server on a fresh database and runs the Playwright suite against it.
# Usage: scripts/e2e.sh sqlite|postgres [playwright arguments, e.g. a spec file]   (postgres also uses Redis)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/services.sh"
cd "$ROOT"

mode=${1:?usage: e2e.sh sqlite|postgres [playwright arguments]}
shift
RESULTS="$ROOT/target/test-results"
mkdir -p "$RESULTS"
port=$(free_port)
work=$(mktemp -d)
server_pid=""
db_name=""

cleanup() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ -n "$db_name" ]]; then psql "$TEST_POSTGRES_URL" -qc "drop database if exists $db_name with (force)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# An admin exists from the start, so every account the tests sign up is an ordinary user. Sign-up
# is closed once an account exists unless it is opened, and every test signs up from 127.0.0.1.
export E2E_ADMIN_EMAIL="admin@e2e.example.com" E2E_ADMIN_PASSWORD="e2e admin lantern harbour"
server_env=(LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG="warn"
  CRM_ADMIN_EMAIL="$E2E_ADMIN_EMAIL" CRM_ADMIN_PASSWORD="$E2E_ADMIN_PASSWORD"
  CRM_ALLOW_SIGNUP="true" CRM_SIGNUP_ATTEMPTS_PER_IP="100000" CRM_BOOKING_ATTEMPTS_PER_IP="100000")
case "$mode" in
  sqlite)
    server_env+=(DATABASE_URL="sqlite://$work/crm.db")
    export E2E_DATABASE_KIND="SQLite" E2E_REDIS="off"
    ;;
  postgres)
    ensure_postgres
    ensure_redis
    db_name="crm_test_e2e_$$_$(date +%s)"
    psql "$TEST_POSTGRES_URL" -qc "create database $db_name" >/dev/null
    pg_url=$(python3 -c 'import sys, urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/"+sys.argv[2]).geturl())' "$TEST_POSTGRES_URL" "$db_name")
    server_env+=(DATABASE_URL="$pg_url" REDIS_URL="$TEST_REDIS_URL" REDIS_KEY_PREFIX="$db_name:")
    export E2E_DATABASE_KIND="PostgreSQL" E2E_REDIS="on"
    ;;
  *) die "unknown mode $mode (expected sqlite or postgres)" ;;
esac

binary="${CARGO_TARGET_DIR:-$ROOT/target}/release/crm"
[[ -x "$binary" ]] || die "$binary is missing: run cargo leptos build --release --split --precompress first"
log "e2e ($mode): server on 127.0.0.1:$port"
env "${server_env[@]}" "$binary" >"$RESULTS/server-$mode.log" 2>&1 &
server_pid=$!
if ! wait_for_http "http://127.0.0.1:$port/readyz" 60; then
  cat "$RESULTS/server-$mode.log" >&2
  die "the server did not become ready"
fi

export BASE_URL="http://127.0.0.1:$port"
(cd end2end && PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/e2e-$mode.json" \
  npx playwright test --reporter=list,json --output="$RESULTS/e2e-$mode-artifacts" "$@")
