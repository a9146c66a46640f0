# Makes sure PostgreSQL and Redis answer on their test addresses: uses running ones, starts local
# ones that are installed but stopped, and otherwise fails with a clear message. Source it.
# shellcheck shell=bash

PG_HOST="${TEST_PG_HOST:-127.0.0.1}"
PG_PORT="${TEST_PG_PORT:-5432}"
REDIS_HOST="${TEST_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${TEST_REDIS_PORT:-6379}"
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@$PG_HOST:$PG_PORT/postgres}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://$REDIS_HOST:$REDIS_PORT}"

postgres_answers() { psql "$TEST_POSTGRES_URL" -Atqc 'select 1' >/dev/null 2>&1; }
redis_answers() { [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]; }

ensure_postgres() {
  command -v psql >/dev/null || die "psql is missing: apt-get install postgresql (the tests need a real PostgreSQL)"
  if ! postgres_answers; then
    if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql/ >/dev/null 2>&1; then
      log "starting the local PostgreSQL cluster"
      local version
      version=$(ls /etc/postgresql | sort -V | tail -n1)
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
      for _ in $(seq 1 50); do postgres_answers && break; sleep 0.2; done
    fi
  fi
  postgres_answers || die "PostgreSQL does not answer at $TEST_POSTGRES_URL and could not be started. Install and start it (apt-get install postgresql), or set TEST_POSTGRES_URL."
}

ensure_redis() {
  command -v redis-cli >/dev/null || die "redis-cli is missing: apt-get install redis-server (the tests need a real Redis)"
  if ! redis_answers; then
    if command -v redis-server >/dev/null; then
      log "starting a local Redis"
      mkdir -p /tmp/crm-redis
      redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
        --dir /tmp/crm-redis --logfile /tmp/crm-redis/redis.log || true
      for _ in $(seq 1 50); do redis_answers && break; sleep 0.2; done
    fi
  fi
  redis_answers || die "Redis does not answer at $TEST_REDIS_URL and could not be started. Install and start it (apt-get install redis-server), or set TEST_REDIS_URL."
}

# Drops databases left behind by interrupted test runs; ones a running test is connected to stay.
sweep_test_databases() {
  psql "$TEST_POSTGRES_URL" -Atqc "select datname from pg_database d where datname like 'crm\_test\_%' and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)" 2>/dev/null \
    | while read -r name; do
        [[ -n "$name" ]] && psql "$TEST_POSTGRES_URL" -qc "drop database if exists \"$name\"" >/dev/null 2>&1 || true
      done
}
