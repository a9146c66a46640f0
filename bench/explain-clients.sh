#!/usr/bin/env bash
# EXPLAIN ANALYZE of every clients-list query shape on a seeded PostgreSQL database: the first page
# of each sort, a deep keyset page, a status filter, a search, the bounded count, a pipeline stage
# and the client page's conversation and activity, for an ordinary
# user (their own clients) and for an admin (everyone's). Prints each plan's index and time.
# Usage: DATABASE_URL=postgres://... bench/explain-clients.sh   (seed it first: see README)
set -euo pipefail
url=${DATABASE_URL:?set DATABASE_URL to a seeded PostgreSQL database}
search_expr=$(grep -A1 'pub const CLIENT_SEARCH_EXPRESSION' "$(dirname "$0")/../migration/src/m20261123_000001_initial_schema.rs" | tail -1 | sed -E 's/^ *"(.*)";$/\1/')
# Quoted again, because the expression goes inside SQL string literals below.
search_expr=${search_expr//\'/\'\'}

psql "$url" -v ON_ERROR_STOP=1 -qAt <<SQL
SELECT count(*) AS clients FROM clients \gset
SELECT owner_id AS owner FROM clients GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT last_activity_at AS deep_at, id AS deep_id FROM clients WHERE owner_id = :owner
  ORDER BY last_activity_at DESC, id DESC OFFSET 5000 LIMIT 1 \gset
SELECT name AS deep_name, id AS deep_name_id FROM clients ORDER BY name, id OFFSET 50000 LIMIT 1 \gset
SELECT client_id AS talker FROM messages GROUP BY client_id ORDER BY count(*) DESC LIMIT 1 \gset
\echo clients: :clients, user :owner owns the most
\echo
CREATE TEMP TABLE plans (label text, plan text);
CREATE OR REPLACE FUNCTION pg_temp.explain(label text, query text) RETURNS void AS \$\$
DECLARE line text; lines text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ' || query LOOP
    lines := lines || line || E'\n';
  END LOOP;
  INSERT INTO plans VALUES (label, lines);
END \$\$ LANGUAGE plpgsql;
-- Warm the cache once, as a running server would be.
SELECT pg_temp.explain('warm-up', format('SELECT * FROM clients WHERE owner_id = %s ORDER BY last_activity_at DESC, id DESC LIMIT 51', :owner));
DELETE FROM plans;
SELECT pg_temp.explain('user, first page, last activity', format('SELECT * FROM clients WHERE owner_id = %s ORDER BY last_activity_at DESC, id DESC LIMIT 51', :owner));
SELECT pg_temp.explain('user, deep page (after row 5,000), last activity', format('SELECT * FROM clients WHERE owner_id = %s AND (last_activity_at, id) < (%L::timestamptz, %s) ORDER BY last_activity_at DESC, id DESC LIMIT 51', :owner, :'deep_at', :deep_id));
SELECT pg_temp.explain('user, first page, name', format('SELECT * FROM clients WHERE owner_id = %s ORDER BY name, id LIMIT 51', :owner));
SELECT pg_temp.explain('user, first page, created', format('SELECT * FROM clients WHERE owner_id = %s ORDER BY created_at DESC, id DESC LIMIT 51', :owner));
SELECT pg_temp.explain('user, first page, status', format('SELECT * FROM clients WHERE owner_id = %s ORDER BY status_rank, id LIMIT 51', :owner));
SELECT pg_temp.explain('user, status = won', format('SELECT * FROM clients WHERE owner_id = %s AND status = ''won'' ORDER BY last_activity_at DESC, id DESC LIMIT 51', :owner));
-- A search as the app sends it: one LIKE per word. First, the first 1,001 matches from the trigram
-- index (owner_id is bigint, as the app binds it, or btree_gin cannot use it), counted and paged in
-- one statement: the whole answer when at most 1,000 match.
SELECT pg_temp.explain('user, search "+1 415 55" (rare): find, count and page ≤ 1,001 matches', format('SELECT * FROM (SELECT *, count(*) OVER () AS matches FROM (SELECT * FROM clients WHERE owner_id = %s::bigint AND $search_expr LIKE ''%%+1%%'' AND $search_expr LIKE ''%%415%%'' AND $search_expr LIKE ''%%55%%'' LIMIT 1001) clients) clients ORDER BY last_activity_at DESC, id DESC LIMIT 51', :owner));
SELECT pg_temp.explain('user, search "ana silva": find, count and page ≤ 1,001 matches', format('SELECT * FROM (SELECT *, count(*) OVER () AS matches FROM (SELECT * FROM clients WHERE owner_id = %s::bigint AND $search_expr LIKE ''%%ana%%'' AND $search_expr LIKE ''%%silva%%'' LIMIT 1001) clients) clients ORDER BY last_activity_at DESC, id DESC LIMIT 51', :owner));
SELECT pg_temp.explain('user, search "silva": the same, which finds over 1,000', format('SELECT * FROM (SELECT *, count(*) OVER () AS matches FROM (SELECT * FROM clients WHERE owner_id = %s::bigint AND $search_expr LIKE ''%%silva%%'' LIMIT 1001) clients) clients ORDER BY last_activity_at DESC, id DESC LIMIT 51', :owner));
-- Over 1,000 matches: the 2,000 rows next in the sort (SEARCH_WINDOW) hold a common word's page.
SELECT pg_temp.explain('user, search "silva", window of 2,000', format('SELECT * FROM (SELECT * FROM clients WHERE owner_id = %s ORDER BY last_activity_at DESC, id DESC LIMIT 2000) clients WHERE $search_expr LIKE ''%%silva%%'' ORDER BY last_activity_at DESC, id DESC LIMIT 51', :owner));
-- When they do not, every match is sorted (the order goes through no-op expressions so that no sort
-- index is walked, as the planner does for this query).
SELECT pg_temp.explain('user, search "silva", every match sorted (not used: the window holds the page)', format('SELECT * FROM clients WHERE owner_id = %s::bigint AND $search_expr LIKE ''%%silva%%'' ORDER BY last_activity_at + interval ''0 seconds'' DESC, id + 0 DESC LIMIT 51', :owner));
SELECT pg_temp.explain('user, total from the counters', format('SELECT status, count FROM client_counts WHERE owner_id = %s', :owner));
SELECT pg_temp.explain('user, strategy filter, bounded count (≤ 10,001)', format('SELECT count(*) FROM (SELECT id FROM clients WHERE owner_id = %s AND strategy_id = (SELECT min(id) FROM strategies WHERE owner_id = %s) LIMIT 10001) bounded', :owner, :owner));
SELECT pg_temp.explain('user, pipeline stage "won" (latest 25)', format('SELECT * FROM clients WHERE owner_id = %s AND status = ''won'' ORDER BY last_activity_at DESC, id DESC LIMIT 25', :owner));
SELECT pg_temp.explain('user, client page: messages, latest 21', format('SELECT * FROM messages WHERE client_id = %s ORDER BY created_at DESC, id DESC LIMIT 21', :talker));
SELECT pg_temp.explain('user, client page: activity, latest 21', format('SELECT * FROM audit_log WHERE entity = ''client'' AND entity_id = %s ORDER BY created_at DESC, id DESC LIMIT 21', :talker));
SELECT pg_temp.explain('admin, pipeline stage "lost" (latest 25)', 'SELECT * FROM clients WHERE status = ''lost'' ORDER BY last_activity_at DESC, id DESC LIMIT 25');
SELECT pg_temp.explain('admin, first page, name', 'SELECT * FROM clients ORDER BY name, id LIMIT 51');
SELECT pg_temp.explain('admin, deep page (after row 50,000), name', format('SELECT * FROM clients WHERE (name, id) > (%L, %s) ORDER BY name, id LIMIT 51', :'deep_name', :deep_name_id));
SELECT pg_temp.explain('admin, search "acme lab": find, count and page ≤ 1,001 matches', 'SELECT * FROM (SELECT *, count(*) OVER () AS matches FROM (SELECT * FROM clients WHERE $search_expr LIKE ''%acme%'' AND $search_expr LIKE ''%lab%'' LIMIT 1001) clients) clients ORDER BY last_activity_at DESC, id DESC LIMIT 51');
SELECT pg_temp.explain('admin, search "+1 415" (phone): find, count and page ≤ 1,001 matches', 'SELECT * FROM (SELECT *, count(*) OVER () AS matches FROM (SELECT * FROM clients WHERE $search_expr LIKE ''%+1%'' AND $search_expr LIKE ''%415%'' LIMIT 1001) clients) clients ORDER BY last_activity_at DESC, id DESC LIMIT 51');
SELECT format(E'%s\n  index: %s\n  %s', label,
  coalesce((regexp_match(plan, 'Index (?:Only )?Scan(?: Backward)? using ([a-z_]+)'))[1], (regexp_match(plan, 'Bitmap Index Scan on ([a-z_]+)'))[1], 'NONE (sequential scan)'),
  (regexp_match(plan, 'Execution Time: [0-9.]+ ms'))[1])
FROM plans;
SQL
