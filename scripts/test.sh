#!/usr/bin/env bash
# Runs every test: formatting and lints for both builds, unit and service tests against SQLite,
# PostgreSQL and Redis, the release build with its WASM size budget, and the Playwright suite in
# Chromium against the real server, once on SQLite and once on PostgreSQL + Redis.
# Installs what is missing first. Exits non-zero on any failure.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/services.sh"
cd "$ROOT"

started=$(date +%s)
RESULTS="$ROOT/target/test-results"
mkdir -p "$RESULTS"
rm -f "$RESULTS"/*.log

ensure_build_tools
ensure_chromium
ensure_postgres
ensure_redis
sweep_test_databases

step() { log "[$(( $(date +%s) - started )) s] $*"; }

step "formatting"
cargo fmt --all -- --check

step "clippy (server build, all targets)"
cargo clippy --workspace --all-targets --features crm/ssr --locked -- -D warnings
step "clippy (WASM client build)"
cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --locked -- -D warnings

step "unit and service tests (SQLite, PostgreSQL at $TEST_POSTGRES_URL, Redis at $TEST_REDIS_URL)"
cargo test --workspace --features crm/ssr --locked 2>&1 | tee "$RESULTS/cargo-test.log"

step "release build (server + WASM client)"
build_release
node scripts/wasm-size.mjs target/site/pkg

step "end-to-end tests in Chromium"
scripts/e2e.sh sqlite
scripts/e2e.sh postgres

rust_passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$RESULTS/cargo-test.log" | awk '{s+=$4} END {print s+0}')
rust_failed=$(grep -Eo '[0-9]+ failed;' "$RESULTS/cargo-test.log" | awk '{s+=$1} END {print s+0}')
e2e_passed=0
e2e_failed=0
for report in "$RESULTS"/e2e-*.json; do
  read -r p f < <(node -e 'const r=require(process.argv[1]).stats; console.log(r.expected, r.unexpected + r.flaky)' "$report")
  e2e_passed=$((e2e_passed + p))
  e2e_failed=$((e2e_failed + f))
done
step "done: rust tests $rust_passed passed, end-to-end $e2e_passed passed"
echo "$((rust_passed + e2e_passed)) passed, $((rust_failed + e2e_failed)) failed"
[[ $((rust_failed + e2e_failed)) -eq 0 ]]
