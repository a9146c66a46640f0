#!/usr/bin/env bash
# The AI persona against an endpoint that answers in 500 ms (bench/ai-throughput.py): replies per
# second with the worker's bounded pool, and memory while 1,000 replies wait on their delay. On a
# fresh SQLite database by default, or with --postgres on a fresh PostgreSQL database and Redis.
# Build the release first.
# Usage: bench/ai-throughput.sh [--postgres] [--leads N] [--waiting N] [--delay MS]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
binary=$(release_binary)
work=$(mktemp -d)
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432}
database="crm_ai_throughput_$$"
trap 'psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1; rm -rf "$work"' EXIT
if [[ ${1:-} == --postgres ]]; then
  shift
  psql "$pg/postgres" -qc "CREATE DATABASE $database" || die "could not create $database"
  log "PostgreSQL + Redis"
  python3 bench/ai-throughput.py "$binary" "$pg/$database" "${REDIS_URL:-redis://127.0.0.1:6379}" \
    "crm-ai-throughput-$$:" "$@"
else
  log "SQLite"
  python3 bench/ai-throughput.py "$binary" "sqlite://$work/crm.db" "$@"
fi
