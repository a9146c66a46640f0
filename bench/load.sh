#!/usr/bin/env bash
# HTTP load test of the release server on a seeded database.
#
# Starts the release binary on DATABASE_URL (seed it first: see README, "Data sets and benchmarks"),
# measures its start-up (process start to the first 200 from /readyz, polled every 5 ms), signs in
# as the seeded user who owns the most clients, then drives every endpoint of the ENDPOINTS table
# below with a real load generator (oha, installed with cargo if missing; wrk from Debian as a
# fallback) at a fixed concurrency for a fixed time after a short warm-up. Sign-in runs at a fixed
# arrival rate instead (argon2id is deliberately slow). For each endpoint it records req/s (and its
# share of /healthz, measured in the same run), p50/p90/p99 latency, errors and the server's peak
# RSS (VmHWM, reset before each endpoint through /proc/PID/clear_refs), plus idle RSS, the data-set
# size, the machine and the load average; prints a Markdown report and writes it to
# bench-results/load-LABEL.md (the raw generator output goes to bench-results/load-LABEL/).
#
# Usage: bench/load.sh [--database-url URL] [--redis-url URL|none] [--label NAME]
#                      [--concurrency N] [--seconds N] [--warmup N] [--login-rate N]
#                      [--deep-pages N] [--only NAME,NAME] [--bin PATH --site DIR] [--commit TEXT]
#                      [--profile]
#   --database-url  default $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/crm_bench
#   --redis-url     default $REDIS_URL, else redis://127.0.0.1:6379; `none`: embedded mode
#   --concurrency   connections per endpoint (default 16: eight per core on the 2-core machine,
#                   enough to saturate it without queueing dominating the latencies)
#   --seconds       measured seconds per endpoint (default 10), after --warmup seconds (default 2)
#   --login-rate    sign-ins per second (default 20)
#   --deep-pages    how many "Next" ("Older" in the inbox) links the deep-page URLs follow
#                   (default 100: row 5,000 of the clients list, conversation 2,500 of the inbox)
#   --only          run only these endpoints (healthz always runs: it is the ceiling)
#   --bin, --site   a prebuilt server binary and site directory (containing pkg/); by default the
#                   script runs `cargo leptos build --release --split --precompress` (CARGO_TARGET_DIR defaults
#                   to ~/.cache/crm/target, as in CI) and uses its output
#   --commit        what to report as the commit (default: `COMMIT` beside --bin if present, else
#                   git HEAD, marked -dirty when the work tree has changes)
#   --profile       also sample the server with `perf record` (DWARF call stacks, 199 Hz) during
#                   each measured run and write a flame graph, NAME.svg, and the functions with the
#                   most samples of their own, NAME.top.txt, beside the raw output (needs perf, from
#                   Debian's linux-perf, and inferno, installed with cargo if missing); sampling
#                   costs CPU, so a profiled run's figures are lower than an unprofiled run's
# Also: RUST_LOG (default warn), LOGIN_EMAIL / LOGIN_PASSWORD to sign in as someone else.
#
# Errors (HTTP status >= 400 or transport errors; 3xx redirects are answers) are counted per
# endpoint. Exit status: 0 when every endpoint answered without error, 1 when any had errors (the
# report is still written), 2 when the server did not start or the sign-in failed.
# The load generator runs on the same machine as the server and takes some of its CPU.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
HELPER="$ROOT/bench/load_helper.py"

# One line per endpoint: name|method|path|body|flags. Flags: auth (send the session cookie),
# rate=N (fixed arrival rate instead of a closed loop; `LOGIN_RATE` is --login-rate), expect=CODE
# (an answer with this status is the endpoint's purpose, not an error), random (the path is a regular
# expression: each request asks a URL drawn from it, oha's --rand-regex-url; wrk skips the endpoint).
# Placeholders: {email} {password} {deep} {inbox_deep} {client} {strategy}, and for the bookings rows {slug}
# (the signed-in user's booking page, switched on for the run) and {week} (the day of their
# latest confirmed booking). POST bodies are form-encoded.
# booking-contended: every connection books the same far-future half hour by hand; the first
# request wins and every later one is refused (409, the clash named) inside the writing
# transaction: the path that serialises writers (SQLite's one writer, PostgreSQL's exclusion
# constraint). The booking it made is deleted before and after the run.
ENDPOINTS='
healthz|GET|/healthz||
login|POST|/api/login|email={email}&password={password}|rate=LOGIN_RATE
clients|GET|/clients||auth
clients-deep|GET|{deep}||auth
clients-search|GET|/clients?q=silva||auth
clients-search-two-words|GET|/clients?q=ana+silva||auth
clients-search-rare|GET|/clients?q=%2B1+415+55||auth
clients-sort-name|GET|/clients?sort=name||auth
clients-sort-created|GET|/clients?sort=created||auth
clients-sort-status|GET|/clients?sort=status||auth
client-page|GET|/clients/{client}||auth
api-list-clients|POST|/api/list_clients||auth
api-create-client|POST|/api/create_client|name=Load+test+client&status=lead&strategy_id={strategy}|auth
booking-page|GET|/book/{slug}/30-minute-call||
bookings-week|GET|/bookings?view=week&date={week}||auth
bookings-list|GET|/bookings/list||auth
bookings-list-made|GET|/bookings/list?made_from=2026-10-01&made_to=2026-10-31&sort=-made||auth
bookings-list-attended|GET|/bookings/list?from=2026-10-01&to=2026-10-31&status=attended&sort=starts||auth
bookings-list-search|GET|/bookings/list?q=silva||auth
bookings-list-search-rare|GET|/bookings/list?q=ana+silva||auth
booking-contended|POST|/api/create_booking|starts_at=2031-01-06T10:00:00Z&ends_at=2031-01-06T10:30:00Z&subject=Load+test+booking|auth,expect=409
inbox|GET|/chat||auth
inbox-deep|GET|{inbox_deep}||auth
inbox-waiting|GET|/chat?show=waiting||auth
inbox-unread|GET|/chat?show=unread||auth
inbox-search|GET|/chat?q=silva||auth
inbox-search-rare|GET|/chat?q=ana%20silva||auth
inbox-stage|GET|/chat?stage=won||auth
inbox-active|GET|/chat?from=2026-10-01&to=2026-10-31||auth
thread|GET|/chat/{client}||auth
dashboard|GET|/||auth
dashboard-90d|GET|/?range=90d||auth
dashboard-uncached|GET|/\?range=custom&from=2026-0[1-9]-[0-2][1-8]&to=2026-1[01]-[0-2][1-8]||auth,random
'
# The dashboard rows: `dashboard` and `dashboard-90d` ask one range again and again, so after the
# first request they are served from the cache (until the data changes or 60 s pass).
# `dashboard-uncached` asks a different custom range each time (from a day in January to September
# 2026 to a day in October or November 2026: 10,368 ranges of 14 to 330 days), so nearly every
# request computes its figures: with 16 connections for 10 s, a range repeats for about 2% of them.
# The dates are fixed: move them on when the seeded two years (ending today) no longer cover them.
# `inbox-active` is the inbox of the conversations active in October 2026 (what the dashboard's
# "Conversations active" opens). `bookings-list-made` and `bookings-list-attended` are the bookings list behind the dashboard's
# "Bookings made" and "Show rate" for October 2026 (fixed dates too). `bookings-list-search` looks
# for the bookings of clients named, mailed or working at "silva" (common in the seed),
# `-rare` for those matching "ana" and "silva".
CREATED_NAME="Load test client"
CREATED_BOOKING="Load test booking"

database_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crm_bench}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
label="" concurrency=16 seconds=10 warmup=2 login_rate=20 deep_pages=100 only="" bin="" site="" commit="" profile=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --database-url) database_url=$2 ;;
    --redis-url) redis_url=$2 ;;
    --label) label=$2 ;;
    --concurrency) concurrency=$2 ;;
    --seconds) seconds=$2 ;;
    --warmup) warmup=$2 ;;
    --login-rate) login_rate=$2 ;;
    --deep-pages) deep_pages=$2 ;;
    --only) only=$2 ;;
    --bin) bin=$2 ;;
    --site) site=$2 ;;
    --commit) commit=$2 ;;
    --profile) profile=1; shift; continue ;;
    -h | --help) sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
  shift 2
done
[[ -n $label ]] || label=$(date -u +%Y%m%d-%H%M%S)
[[ $redis_url == none ]] && redis_url=""
out_dir="$ROOT/bench-results/load-$label"
report="$ROOT/bench-results/load-$label.md"
mkdir -p "$out_dir"
rm -f "$out_dir"/*
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- load generator ---------------------------------------------------------------------------
generator=""
if command -v oha >/dev/null; then
  generator=oha
else
  log "installing oha (cargo install oha --locked)"
  if cargo install oha --locked >"$out_dir/oha-install.log" 2>&1; then
    generator=oha
  else
    log "oha did not install (see $out_dir/oha-install.log): falling back to wrk"
    command -v wrk >/dev/null || apt_install wrk || true
    command -v wrk >/dev/null || die "neither oha nor wrk could be installed"
    generator=wrk
  fi
fi
generator_version=$($generator --version 2>&1 | head -1 || true)

# oha spells its JSON switch differently across versions.
oha_json=(--output-format json)
[[ $generator == oha ]] && ! oha --help | grep -q -- '--output-format' && oha_json=(-j)

# --- profiler (--profile) ----------------------------------------------------------------------
if [[ -n $profile ]]; then
  if ! command -v perf >/dev/null; then
    log "installing perf (Debian's linux-perf)"
    apt_install linux-perf || true
  fi
  command -v perf >/dev/null || die "perf is missing and could not be installed (apt-get install linux-perf)"
  if ! command -v inferno-flamegraph >/dev/null; then
    log "installing inferno (cargo install inferno --locked)"
    cargo install inferno --locked >"$out_dir/inferno-install.log" 2>&1 || die "inferno did not install (see $out_dir/inferno-install.log)"
  fi
fi

# profile_start NAME SECONDS: samples the server in the background for SECONDS.
profile_start() {
  perf record -q -F 199 --call-graph dwarf,16384 -p "$server_pid" -o "$out_dir/$1.perf.data" -- sleep "$2" \
    >"$out_dir/$1.perf.log" 2>&1 &
  profiler_pid=$!
}

# profile_finish NAME: waits for the sampler, then writes NAME.svg and NAME.top.txt.
profile_finish() {
  if ! wait "$profiler_pid" || [[ ! -s "$out_dir/$1.perf.data" ]]; then
    cat "$out_dir/$1.perf.log" >&2
    die "perf could not sample the server (see above; /proc/sys/kernel/perf_event_paranoid may forbid it)"
  fi
  perf script -i "$out_dir/$1.perf.data" 2>/dev/null | inferno-collapse-perf >"$out_dir/$1.folded"
  inferno-flamegraph --title "$1 ($concurrency connections)" <"$out_dir/$1.folded" >"$out_dir/$1.svg"
  # Self samples per function: the last frame of each stack.
  awk '{ n = $NF; sub(/ [0-9]+$/, ""); k = split($0, f, ";"); self[f[k]] += n; total += n }
       END { for (name in self) printf "%6.2f%%  %s\n", 100 * self[name] / total, name }' "$out_dir/$1.folded" \
    | sort -rn | head -40 >"$out_dir/$1.top.txt"
  rm -f "$out_dir/$1.perf.data"
  log "  flame graph: ${out_dir#"$ROOT"/}/$1.svg"
}

# --- server binary and site --------------------------------------------------------------------
if [[ -z $bin ]]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/crm/target}
  ensure_build_tools
  log "building the release server and client (cargo leptos build --release --split --precompress)"
  build_release
  bin="$CARGO_TARGET_DIR/release/crm"
  site=${site:-$ROOT/target/site}
fi
[[ -n $site ]] || site="$(dirname "$bin")/site"
[[ -x $bin ]] || die "no server binary at $bin"
[[ -d $site/pkg ]] || die "no built site at $site (expected $site/pkg)"
if [[ -z $commit ]]; then
  if [[ -f "$(dirname "$bin")/COMMIT" ]]; then
    commit=$(cat "$(dirname "$bin")/COMMIT")
  else
    commit=$(git rev-parse HEAD)$([[ -z $(git status --porcelain -- src migration Cargo.toml Cargo.lock) ]] || echo -dirty)
  fi
fi

# --- database ----------------------------------------------------------------------------------
sql() {
  case $database_url in
    postgres*) psql "$database_url" -v ON_ERROR_STOP=1 -qAt -F ' ' -c "$1" ;;
    # Several statements (the clean-up) run as a script; a write is committed.
    sqlite*) python3 -c 'import sqlite3, sys
path = sys.argv[1].split("://", 1)[1].split("?")[0]
db = sqlite3.connect(path)
text = sys.argv[2].strip().rstrip(";")
if ";" in text:
    db.executescript(text + ";")
else:
    for row in db.execute(text).fetchall(): print(" ".join(map(str, row)))
db.commit()' "$database_url" "$1" ;;
    *) die "unsupported DATABASE_URL $database_url" ;;
  esac
}
read -r owner email < <(sql "SELECT u.id, u.email FROM users u JOIN clients c ON c.owner_id = u.id
  GROUP BY u.id, u.email ORDER BY count(*) DESC, u.id LIMIT 1") || die "no seeded clients in $database_url"
email=${LOGIN_EMAIL:-$email}
password=${LOGIN_PASSWORD:-seeded data set password}
# Clients and bookings left by an earlier run's create endpoints are not part of the data set.
forget_created() {
  sql "DELETE FROM audit_log WHERE entity = 'client' AND entity_id IN (SELECT id FROM clients WHERE name = '$CREATED_NAME');
       DELETE FROM clients WHERE name = '$CREATED_NAME';
       DELETE FROM audit_log WHERE entity = 'booking' AND entity_id IN (SELECT id FROM bookings WHERE subject = '$CREATED_BOOKING');
       DELETE FROM bookings WHERE subject = '$CREATED_BOOKING'" >/dev/null
}
forget_created
# The booking rows: the user's public page is switched on, and the week shown is that of their
# latest confirmed booking.
sql "UPDATE users SET booking_enabled = TRUE WHERE id = $owner" >/dev/null
slug=$(sql "SELECT booking_slug FROM users WHERE id = $owner")
week=$(sql "SELECT starts_at FROM bookings WHERE owner_id = $owner AND status = 'confirmed' ORDER BY starts_at DESC LIMIT 1")
week=${week:0:10}
[[ -n $week ]] || week=$(date -u +%Y-%m-%d)
read -r n_users n_clients n_owned n_messages < <(sql "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM clients),
  (SELECT count(*) FROM clients WHERE owner_id = $owner), (SELECT count(*) FROM messages)")
dataset="$n_clients clients ($n_owned owned by the signed-in user), $n_messages messages, $n_users users"
case $database_url in postgres*) db_kind="PostgreSQL $(sql 'SHOW server_version' | cut -d' ' -f1)" ;; *) db_kind=SQLite ;; esac

# --- server ------------------------------------------------------------------------------------
port=$(free_port)
base="http://127.0.0.1:$port"
server_env=(DATABASE_URL="$database_url" LEPTOS_SITE_ROOT="$site" LEPTOS_SITE_ADDR="127.0.0.1:$port"
  RUST_LOG="${RUST_LOG:-warn}" REDIS_KEY_PREFIX="crm-load-$port:"
  CRM_LOGIN_ATTEMPTS_PER_ACCOUNT=4000000000 CRM_LOGIN_ATTEMPTS_PER_IP=4000000000
  CRM_BOOKING_ATTEMPTS_PER_IP=400000000)
[[ -n $redis_url ]] && server_env+=(REDIS_URL="$redis_url")
server_pid=""
stop_server() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT
log "starting $bin on $base ($db_kind, Redis: ${redis_url:-none}; load average $loadavg_start)"
started_ns=$(date +%s%N)
# From the results folder, so that no .env file of the checkout adds settings.
(cd "$out_dir" && exec env -u REDIS_URL "${server_env[@]}" "$bin" >"$out_dir/server.log" 2>&1) &
server_pid=$!
if ! startup=$(python3 "$HELPER" wait-ready "$base/readyz" "$started_ns" 60); then
  tail -20 "$out_dir/server.log" >&2
  log "the server did not answer 200 on /readyz within 60 s"
  exit 2
fi
log "ready in ${startup} s"
rss_kib() { awk -v key="$1:" '$1 == key {print $2}' "/proc/$server_pid/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
sleep 1
idle_rss=$(rss_kib VmRSS)

cookie=$(python3 "$HELPER" login "$base" "$email" "$password") || exit 2
declare -A found
while IFS='=' read -r key value; do found[$key]=$value; done < <(python3 "$HELPER" discover "$base" "$cookie" "$deep_pages") || exit 2
password_form=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote_plus(sys.argv[1]))' "$password")
email_form=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote_plus(sys.argv[1]))' "$email")
log "signed in as $email; deep page ${found[deep]}, inbox ${found[inbox_deep]}, client ${found[client]}, strategy ${found[strategy]}"

# --- one endpoint ------------------------------------------------------------------------------
# run_load NAME METHOD PATH BODY AUTH RATE SECONDS OUTFILE RANDOM: one generator run.
run_load() {
  local name=$1 method=$2 path=$3 body=$4 auth=$5 rate=$6 secs=$7 out=$8 random=${9:-}
  local headers=(-H "Origin: $base")
  [[ -n $auth ]] && headers+=(-H "Cookie: $cookie")
  [[ $method == POST ]] && headers+=(-H "Content-Type: application/x-www-form-urlencoded")
  if [[ $generator == oha ]]; then
    local args=(-z "${secs}s" -c "$concurrency" --no-tui -w --redirect 0 "${oha_json[@]}" -m "$method" "${headers[@]}")
    [[ -n $rate ]] && args+=(-q "$rate")
    [[ $method == POST ]] && args+=(-d "$body")
    # oha reads `.` in such a URL as a plain dot.
    [[ -n $random ]] && args+=(--rand-regex-url)
    oha "${args[@]}" "$base$path" >"$out" 2>"$out.err"
  else
    # wrk has no fixed arrival rate: a rated endpoint runs closed-loop on one connection instead.
    local lua="$out_dir/$name.lua" conns=$concurrency
    [[ -n $rate ]] && conns=1
    { printf 'wrk.method = "%s"\nwrk.body = "%s"\n' "$method" "$body"
      printf 'done = function(s, l, r)\n  io.write(string.format("BENCH %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n", s.requests, s.duration, l:percentile(50), l:percentile(90), l:percentile(99), s.errors.connect, s.errors.read, s.errors.write, s.errors.status, s.errors.timeout))\nend\n'
    } >"$lua"
    wrk -t "$(( conns < $(nproc) ? conns : $(nproc) ))" -c "$conns" -d "${secs}s" -s "$lua" "${headers[@]}" "$base$path" >"$out" 2>"$out.err"
  fi
}

results="$out_dir/results.tsv"
: >"$results"
failed=0
while IFS='|' read -r name method path body flags; do
  [[ -n $name ]] || continue
  if [[ -n $only && $name != healthz && ",$only," != *",$name,"* ]]; then continue; fi
  for key in email password deep inbox_deep client strategy slug week; do
    case $key in
      email) value=$email_form ;; password) value=$password_form ;; slug) value=$slug ;; week) value=$week ;;
      *) value=${found[$key]} ;;
    esac
    path=${path//\{$key\}/$value}
    body=${body//\{$key\}/$value}
  done
  auth="" rate="" expect="" random=""
  [[ ,$flags, == *,auth,* ]] && auth=1
  [[ ,$flags, == *,random,* ]] && random=1
  if [[ -n $random && $generator != oha ]]; then log "$name: skipped (random URLs need oha)"; continue; fi
  [[ $flags =~ rate=([A-Z_0-9]+) ]] && rate=${BASH_REMATCH[1]}
  [[ $flags =~ expect=([0-9]+) ]] && expect=${BASH_REMATCH[1]}
  [[ $rate == LOGIN_RATE ]] && rate=$login_rate
  mode="$method"
  [[ -n $rate ]] && mode="$method at $rate/s,"
  log "$name: $method $path ($warmup s warm-up, $seconds s measured${rate:+, $rate req/s})"
  run_load "$name" "$method" "$path" "$body" "$auth" "$rate" "$warmup" "$out_dir/$name.warmup" "$random"
  echo 5 >"/proc/$server_pid/clear_refs" 2>/dev/null || true # resets VmHWM to the current RSS
  [[ -n $profile ]] && profile_start "$name" "$seconds"
  run_load "$name" "$method" "$path" "$body" "$auth" "$rate" "$seconds" "$out_dir/$name.out" "$random"
  [[ -n $profile ]] && profile_finish "$name"
  kill -0 "$server_pid" 2>/dev/null || { tail -20 "$out_dir/server.log" >&2; die "the server died during $name"; }
  peak=$(rss_kib VmHWM)
  if ! measured=$(python3 "$HELPER" "parse-$generator" "$out_dir/$name.out" "$expect"); then
    cat "$out_dir/$name.out.err" >&2
    die "could not read the $generator output for $name"
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "${path:0:60}" "$mode" "$measured" "$peak" >>"$results"
  IFS=$'\t' read -r requests rps p50 p90 p99 errors statuses <<<"$measured"
  log "  $requests requests, $rps req/s, p50 $p50 ms, p99 $p99 ms, $errors errors ($statuses), peak RSS $(mib "$peak") MiB"
  [[ $errors -eq 0 ]] || failed=1
done <<<"$ENDPOINTS"

loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)
sleep 2
after_rss=$(rss_kib VmRSS)
hwm_total=$(awk -F'\t' '{print $11}' "$results" | sort -n | tail -1)
stop_server
forget_created || log "could not delete the clients and bookings the run created"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
ram=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
{
  echo "label=$label"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit=$commit"
  echo "machine=$(nproc) cores, $ram, $cpu, $(uname -sr)"
  echo "loadavg=$loadavg_start at start, $loadavg_end at the end (1, 5, 15 min; other processes included)"
  echo "database=$db_kind ($(sed -E 's#://[^@/]*@#://#' <<<"$database_url"))"
  echo "redis=${redis_url:-none (embedded mode)}"
  echo "dataset=$dataset"
  echo "user=$email"
  echo "generator=$generator_version"
  echo "concurrency=$concurrency"
  echo "seconds=$seconds"
  echo "warmup=$warmup"
  echo "startup=$startup"
  echo "idle_rss=$(mib "$idle_rss")"
  echo "after_rss=$(mib "$after_rss")"
  echo "hwm_total=$(mib "$hwm_total")"
} >"$out_dir/meta.txt"
python3 "$HELPER" report "$results" "$out_dir/meta.txt" "$report"
log "report written to ${report#"$ROOT"/}"
[[ $failed -eq 0 ]] || { log "some endpoints answered with errors (see the table)"; exit 1; }
