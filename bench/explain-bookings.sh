#!/usr/bin/env bash
# EXPLAIN ANALYZE of the bookings list's query shapes on a seeded PostgreSQL database, as
# src/bookings/list/service.rs sends them: the first page in each order, a deep keyset page, the
# bookings made in the last 30 days (today included) (the dashboard's "Bookings made" link), those that started in
# them completed or missed (its "Show rate" link), and the capped count of each, for the user with
# the most bookings (their own) and for an admin (everyone's). Prints each plan's index and time;
# `--plans` prints the plans too. Then a search by client as the list sends it: the bookings whose
# client the clients list's own search finds ("silva", common in the seed; "ana silva", rarer).
# Usage: DATABASE_URL=postgres://... bench/explain-bookings.sh [--plans]   (seed it first: see README)
set -euo pipefail
url=${DATABASE_URL:?set DATABASE_URL to a seeded PostgreSQL database}
search_expr=$(grep -A1 'pub const CLIENT_SEARCH_EXPRESSION' "$(dirname "$0")/../migration/src/m20261123_000001_initial_schema.rs" | tail -1 | sed -E 's/^ *"(.*)";$/\1/')
# Quoted again, because the expression goes inside SQL string literals below.
search_expr=${search_expr//\'/\'\'}
silva="client_id IN (SELECT clients.id FROM clients WHERE $search_expr LIKE ''%silva%'')"
ana_silva="client_id IN (SELECT clients.id FROM clients WHERE $search_expr LIKE ''%ana%'' AND $search_expr LIKE ''%silva%'')"
# Inside format(), a % is written %%.
silva_f=${silva//%/%%} ana_silva_f=${ana_silva//%/%%}
# One person's list searches that person's clients (the trigram index leads with the owner).
silva_f=${silva_f/WHERE /WHERE owner_id = %1\$s AND } ana_silva_f=${ana_silva_f/WHERE /WHERE owner_id = %1\$s AND }
plans=${1:-}
page="SELECT * FROM bookings"
capped() { echo "SELECT COUNT(*) FROM (SELECT id FROM bookings WHERE $1 LIMIT 10001) capped"; }

psql "$url" -v ON_ERROR_STOP=1 -v plans="$plans" -qAt <<SQL
SELECT count(*) AS bookings FROM bookings \gset
SELECT owner_id AS owner, count(*) AS owned FROM bookings GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT least(:owned / 2, 2500) AS deep \gset
SELECT starts_at AS deep_at, id AS deep_id FROM bookings WHERE owner_id = :owner
  ORDER BY starts_at DESC, id DESC OFFSET :deep LIMIT 1 \gset
SELECT starts_at AS admin_deep_at, id AS admin_deep_id FROM bookings
  ORDER BY starts_at DESC, id DESC OFFSET least(:bookings / 2, 2500) LIMIT 1 \gset
SELECT date_trunc('day', now() - interval '29 days') AS month_first, date_trunc('day', now() + interval '1 day') AS month_after \gset
\echo bookings: :bookings; user :owner has :owned (deep page after :deep)
\echo
CREATE TEMP TABLE plans (n serial, label text, plan text);
CREATE OR REPLACE FUNCTION pg_temp.explain(label text, query text) RETURNS void AS \$\$
DECLARE line text; lines text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ' || query LOOP
    lines := lines || line || E'\n';
  END LOOP;
  INSERT INTO plans (label, plan) VALUES (label, lines);
END \$\$ LANGUAGE plpgsql;
SELECT pg_temp.explain('warm-up', format('$page WHERE owner_id = %s ORDER BY starts_at DESC, id DESC LIMIT 26', :owner));
DELETE FROM plans;
SELECT pg_temp.explain('user, first page, latest start first', format('$page WHERE owner_id = %s ORDER BY starts_at DESC, id DESC LIMIT 26', :owner));
SELECT pg_temp.explain('user, first page, newest booked first', format('$page WHERE owner_id = %s ORDER BY created_at DESC, id DESC LIMIT 26', :owner));
SELECT pg_temp.explain('user, deep page by start', format('$page WHERE owner_id = %s AND (starts_at, id) < (%L, %s) ORDER BY starts_at DESC, id DESC LIMIT 26', :owner, :'deep_at', :deep_id));
SELECT pg_temp.explain('user, count of all (capped at 10,001)', format('$(capped "owner_id = %s")', :owner));
SELECT pg_temp.explain('user, booked in the last 30 days, newest first', format('$page WHERE owner_id = %s AND created_at >= %L AND created_at < %L ORDER BY created_at DESC, id DESC LIMIT 26', :owner, :'month_first', :'month_after'));
SELECT pg_temp.explain('user, booked in the last 30 days: count', format('$(capped "owner_id = %s AND created_at >= %L AND created_at < %L")', :owner, :'month_first', :'month_after'));
SELECT pg_temp.explain('user, started in the last 30 days, completed or no-show', format('$page WHERE owner_id = %s AND starts_at >= %L AND starts_at < %L AND status IN (''completed'', ''no_show'') ORDER BY starts_at, id LIMIT 26', :owner, :'month_first', :'month_after'));
SELECT pg_temp.explain('user, started in the last 30 days, completed or no-show: count', format('$(capped "owner_id = %s AND starts_at >= %L AND starts_at < %L AND status IN (''completed'', ''no_show'')")', :owner, :'month_first', :'month_after'));
SELECT pg_temp.explain('user, cancelled, latest start first', format('$page WHERE owner_id = %s AND status = ''cancelled'' ORDER BY starts_at DESC, id DESC LIMIT 26', :owner));
SELECT pg_temp.explain('admin, first page, latest start first', '$page ORDER BY starts_at DESC, id DESC LIMIT 26');
SELECT pg_temp.explain('admin, first page, newest booked first', '$page ORDER BY created_at DESC, id DESC LIMIT 26');
SELECT pg_temp.explain('admin, deep page by start', format('$page WHERE (starts_at, id) < (%L, %s) ORDER BY starts_at DESC, id DESC LIMIT 26', :'admin_deep_at', :admin_deep_id));
SELECT pg_temp.explain('admin, count of all (capped at 10,001)', '$(capped "1 = 1")');
SELECT pg_temp.explain('admin, booked in the last 30 days, newest first', format('$page WHERE created_at >= %L AND created_at < %L ORDER BY created_at DESC, id DESC LIMIT 26', :'month_first', :'month_after'));
SELECT pg_temp.explain('admin, booked in the last 30 days: count', format('$(capped "created_at >= %L AND created_at < %L")', :'month_first', :'month_after'));
SELECT pg_temp.explain('admin, started in the last 30 days, completed or no-show: count', format('$(capped "starts_at >= %L AND starts_at < %L AND status IN (''completed'', ''no_show'')")', :'month_first', :'month_after'));
SELECT pg_temp.explain('user, search "silva", latest start first', format('$page WHERE owner_id = %1\$s AND $silva_f ORDER BY starts_at DESC, id DESC LIMIT 26', :owner));
SELECT pg_temp.explain('user, search "silva": count', format('$(capped "owner_id = %1\$s AND $silva_f")', :owner));
SELECT pg_temp.explain('user, search "ana silva", latest start first', format('$page WHERE owner_id = %1\$s AND $ana_silva_f ORDER BY starts_at DESC, id DESC LIMIT 26', :owner));
SELECT pg_temp.explain('user, search "ana silva": count', format('$(capped "owner_id = %1\$s AND $ana_silva_f")', :owner));
SELECT pg_temp.explain('admin, search "silva", latest start first', '$page WHERE $silva ORDER BY starts_at DESC, id DESC LIMIT 26');
SELECT pg_temp.explain('admin, search "silva": count', '$(capped "$silva")');
SELECT pg_temp.explain('admin, search "ana silva", latest start first', '$page WHERE $ana_silva ORDER BY starts_at DESC, id DESC LIMIT 26');
SELECT pg_temp.explain('admin, search "ana silva": count', '$(capped "$ana_silva")');
SELECT format(E'%s\n  index: %s\n  %s', label,
  coalesce((regexp_match(plan, 'Index (?:Only )?Scan(?: Backward)? using ([a-z_]+)'))[1], (regexp_match(plan, 'Bitmap Index Scan on ([a-z_]+)'))[1], 'NONE (sequential scan)'),
  (regexp_match(plan, 'Execution Time: [0-9.]+ ms'))[1])
  || CASE WHEN :'plans' = '--plans' THEN E'\n' || plan ELSE '' END
FROM plans ORDER BY n;
SQL
