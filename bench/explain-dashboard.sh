#!/usr/bin/env bash
# EXPLAIN ANALYZE of the dashboard's range figures on a seeded PostgreSQL database, as
# src/dashboard/figures.rs sends them, for the user with the most clients and for an admin
# (everyone's), over one long range (15 January to 1 November 2026, a viewer in UTC), each run
# twice and the second run kept (warm). Where a figure has an older shape, it is measured beside
# the current one: messages from the quarter-hour rollup and from the hourly one; the medians
# numbered with window functions (what SQLite runs) and with percentile_disc (what PostgreSQL runs);
# active conversations as a distinct count and as the count of each one's first quarter hour in the
# range (what both run since migration m20261211_000018 for ranges under a week, and for a viewer
# in a quarter-hour zone) and from the hourly rows and the long links (what both run for
# a week or more since m20261213_000020); clients by day with the quarter hour from
# `date_part` (a double, what the app sends) and from `EXTRACT` (a numeric); speed to lead with one
# `percentile_disc` per answerer over a FILTER (what PostgreSQL runs) and per group of a GROUP BY;
# strategies counted per strategy before the join to their names and after it, and the new leads
# per owner and strategy that both the strategies and the people tables now read (what both run);
# the admin's median first reply by owner per group of a GROUP BY and per user from the owner
# index (what PostgreSQL runs); the admin's messages, lead hours and clients by day from the
# per-owner rollups or the clients (before m20261212_000019) and from everyone's hourly rollups;
# a user's clients by day and stage and the new leads per owner and strategy from the clients and
# from the owners' hourly and daily client rollups (what both run since m20261214_000021; the
# range's ends are UTC midnights here, so the hours around its whole days are empty).
# Usage: DATABASE_URL=postgres://... bench/explain-dashboard.sh [--plans]   (seed it first: see README)
set -euo pipefail
url=${DATABASE_URL:?set DATABASE_URL to a seeded PostgreSQL database}
plans=${1:-}
from="2026-01-15 00:00:00+00"
to="2026-11-01 00:00:00+00"
q_from=$(( $(date -ud "$from" +%s) / 900 ))
q_to=$(( $(date -ud "$to" +%s) / 900 ))
h_from=$(( q_from / 4 ))
h_to=$(( q_to / 4 ))
d_from=$(( h_from / 24 ))
d_to=$(( h_to / 24 ))
created_day="CAST(FLOOR(FLOOR(date_part(''epoch'', created_at)) / 900) AS BIGINT) / 96"  # quoted
created_day_numeric="CAST(FLOOR(EXTRACT(EPOCH FROM created_at) / 900) AS BIGINT) / 96"
in_range="first_lead_at >= ''$from'' AND first_lead_at < ''$to''"  # inside a quoted statement
ranks="rn = (n + 1) / 2 OR rn = (9 * n + 9) / 10"
answered() {  # one answerer's count, median and p90 over a FILTER, quotes doubled for format()
  local only="FILTER (WHERE first_reply_role = ''$1'')"
  echo "COUNT(*) $only, percentile_disc(0.5) WITHIN GROUP (ORDER BY first_reply_secs) $only, percentile_disc(0.9) WITHIN GROUP (ORDER BY first_reply_secs) $only"
}
speed_ai=$(answered ai)
speed_agent=$(answered agent)

psql "$url" -v ON_ERROR_STOP=1 -v plans="$plans" -qAt <<SQL
SELECT owner_id AS owner FROM clients GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT count(*) AS owned FROM clients WHERE owner_id = :owner \gset
SELECT count(*) AS clients FROM clients \gset
SELECT count(*) AS messages FROM messages \gset
SELECT count(*) AS activity FROM conversation_activity \gset
SELECT count(*) AS long_links FROM conversation_activity WHERE bucket - previous_bucket >= 672 \gset
\echo clients: :clients, messages: :messages; user :owner has :owned clients; range $from to $to
\echo quarter hours of activity: :activity, of which links of a week or more: :long_links
\echo
CREATE TEMP TABLE plans (n serial, label text, plan text);
CREATE OR REPLACE FUNCTION pg_temp.explain(label text, query text) RETURNS void AS \$\$
DECLARE line text; lines text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ' || query LOOP NULL; END LOOP;
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ' || query LOOP
    lines := lines || line || E'\n';
  END LOOP;
  INSERT INTO plans (label, plan) VALUES (label, lines);
END \$\$ LANGUAGE plpgsql;
SELECT pg_temp.explain('user, clients by day and stage', format('SELECT $created_day, status, COUNT(*) FROM clients WHERE created_at >= %L AND created_at < %L AND owner_id = %s GROUP BY 1, 2', '$from', '$to', :owner));
SELECT pg_temp.explain('user, clients by day and stage, numeric EXTRACT', format('SELECT $created_day_numeric, status, COUNT(*) FROM clients WHERE created_at >= %L AND created_at < %L AND owner_id = %s GROUP BY 1, 2', '$from', '$to', :owner));
SELECT pg_temp.explain('user, clients by day and stage, hourly rollup', format('SELECT hour / 24, status, SUM(count) FROM client_rollups_hourly WHERE hour >= $h_from AND hour < $h_to AND owner_id = %s GROUP BY 1, 2', :owner));
SELECT pg_temp.explain('user, messages by day, quarter-hour rollup', format('SELECT bucket / 96, role, SUM(count) FROM message_rollups WHERE bucket >= $q_from AND bucket < $q_to AND owner_id = %s GROUP BY 1, 2', :owner));
SELECT pg_temp.explain('user, messages by day, hourly rollup', format('SELECT hour / 24, role, SUM(count) FROM message_rollups_hourly WHERE hour >= $h_from AND hour < $h_to AND owner_id = %s GROUP BY 1, 2', :owner));
SELECT pg_temp.explain('user, lead messages by weekday and hour, quarter-hour rollup', format('SELECT (bucket / 96 + 3) %% 7, (bucket %% 96) / 4, SUM(count) FROM message_rollups WHERE bucket >= $q_from AND bucket < $q_to AND role = ''client'' AND owner_id = %s GROUP BY 1, 2', :owner));
SELECT pg_temp.explain('user, lead messages by weekday and hour, hourly rollup', format('SELECT (hour / 24 + 3) %% 7, hour %% 24, SUM(count) FROM message_rollups_hourly WHERE hour >= $h_from AND hour < $h_to AND role = ''client'' AND owner_id = %s GROUP BY 1, 2', :owner));
SELECT pg_temp.explain('user, active conversations, COUNT(DISTINCT)', format('SELECT COUNT(DISTINCT client_id) FROM conversation_activity WHERE bucket >= $q_from AND bucket < $q_to AND owner_id = %s', :owner));
SELECT pg_temp.explain('user, active conversations, GROUP BY', format('SELECT COUNT(*) FROM (SELECT client_id FROM conversation_activity WHERE bucket >= $q_from AND bucket < $q_to AND owner_id = %s GROUP BY client_id) active', :owner));
SELECT pg_temp.explain('user, active conversations, first quarter hour in the range', format('SELECT COUNT(*) FROM conversation_activity WHERE bucket >= $q_from AND bucket < $q_to AND (previous_bucket IS NULL OR previous_bucket < $q_from) AND owner_id = %s', :owner));
SELECT pg_temp.explain('user, active conversations, hourly rows and long links', format('SELECT CAST((SELECT COALESCE(SUM(CASE WHEN hour < $h_to THEN firsts ELSE 0 END) - SUM(links), 0) FROM conversation_activity_hourly WHERE hour >= $h_from AND owner_id = %s) AS BIGINT) - (SELECT COUNT(*) FROM conversation_activity WHERE bucket - previous_bucket >= 672 AND bucket >= $q_to AND previous_bucket < $q_from AND owner_id = %s)', :owner, :owner));
SELECT pg_temp.explain('user, speed to lead, window functions', format('SELECT role, n, rn, secs FROM (SELECT COALESCE(first_reply_role, '''') AS role, first_reply_secs AS secs, ROW_NUMBER() OVER (PARTITION BY first_reply_role ORDER BY first_reply_secs) AS rn, COUNT(*) OVER (PARTITION BY first_reply_role) AS n FROM conversations WHERE $in_range AND owner_id = %s) ranked WHERE rn = 1 OR $ranks', :owner));
SELECT pg_temp.explain('user, speed to lead, percentile_disc per FILTER', format('SELECT $speed_ai, $speed_agent, COUNT(*) FILTER (WHERE first_reply_role IS NULL) FROM conversations WHERE $in_range AND owner_id = %s', :owner));
SELECT pg_temp.explain('user, speed to lead, percentile_disc per group', format('SELECT COALESCE(first_reply_role, ''''), COUNT(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY first_reply_secs), percentile_disc(0.9) WITHIN GROUP (ORDER BY first_reply_secs) FROM conversations WHERE $in_range AND owner_id = %s GROUP BY 1', :owner));
SELECT pg_temp.explain('user, strategies, counted then joined', format('SELECT s.id, s.name, c.leads, c.booked FROM (SELECT strategy_id, COUNT(*) AS leads, SUM(CASE WHEN status IN (''booked'', ''won'') THEN 1 ELSE 0 END) AS booked FROM clients WHERE created_at >= %L AND created_at < %L AND owner_id = %s AND strategy_id IS NOT NULL GROUP BY strategy_id) c JOIN strategies s ON s.id = c.strategy_id', '$from', '$to', :owner));
SELECT pg_temp.explain('user, strategies, joined then counted', format('SELECT s.id, s.name, COUNT(*), SUM(CASE WHEN cl.status IN (''booked'', ''won'') THEN 1 ELSE 0 END) FROM clients cl JOIN strategies s ON s.id = cl.strategy_id WHERE cl.created_at >= %L AND cl.created_at < %L AND cl.owner_id = %s GROUP BY s.id, s.name', '$from', '$to', :owner));
SELECT pg_temp.explain('user, new leads per owner and strategy (strategies and people table)', format('SELECT c.owner_id, c.strategy_id, s.name, c.leads, c.booked, c.won FROM (SELECT owner_id, strategy_id, COUNT(*) AS leads, SUM(CASE WHEN status IN (''booked'', ''won'') THEN 1 ELSE 0 END) AS booked, SUM(CASE WHEN status = ''won'' THEN 1 ELSE 0 END) AS won FROM clients WHERE created_at >= %L AND created_at < %L%s GROUP BY owner_id, strategy_id) c LEFT JOIN strategies s ON s.id = c.strategy_id', '$from', '$to', ' AND owner_id = ' || :owner));
SELECT pg_temp.explain('user, new leads per owner and strategy, daily rollup and the hours around', format('SELECT c.owner_id, c.strategy_id, s.name, c.leads, c.booked, c.won FROM (SELECT owner_id, strategy_id, CAST(SUM(n) AS BIGINT) AS leads, CAST(SUM(CASE WHEN status IN (''booked'', ''won'') THEN n ELSE 0 END) AS BIGINT) AS booked, CAST(SUM(CASE WHEN status = ''won'' THEN n ELSE 0 END) AS BIGINT) AS won FROM (SELECT owner_id, strategy_id, status, count AS n FROM client_rollups_daily WHERE day >= $d_from AND day < $d_to%s UNION ALL SELECT owner_id, strategy_id, status, 1 FROM clients WHERE created_at >= %L AND created_at < %L%s UNION ALL SELECT owner_id, strategy_id, status, 1 FROM clients WHERE created_at >= %L AND created_at < %L%s) AS counted GROUP BY owner_id, strategy_id HAVING SUM(n) > 0) c LEFT JOIN strategies s ON s.id = c.strategy_id', ' AND owner_id = ' || :owner, '$from', '$from', ' AND owner_id = ' || :owner, '$to', '$to', ' AND owner_id = ' || :owner));
SELECT pg_temp.explain('admin, strategies, counted then joined', format('SELECT s.id, s.name, c.leads, c.booked FROM (SELECT strategy_id, COUNT(*) AS leads, SUM(CASE WHEN status IN (''booked'', ''won'') THEN 1 ELSE 0 END) AS booked FROM clients WHERE created_at >= %L AND created_at < %L AND strategy_id IS NOT NULL GROUP BY strategy_id) c JOIN strategies s ON s.id = c.strategy_id', '$from', '$to'));
SELECT pg_temp.explain('admin, leads by owner', format('SELECT owner_id, COUNT(*), SUM(CASE WHEN status = ''won'' THEN 1 ELSE 0 END) FROM clients WHERE created_at >= %L AND created_at < %L GROUP BY owner_id', '$from', '$to'));
SELECT pg_temp.explain('admin, new leads per owner and strategy (strategies and people table)', format('SELECT c.owner_id, c.strategy_id, s.name, c.leads, c.booked, c.won FROM (SELECT owner_id, strategy_id, COUNT(*) AS leads, SUM(CASE WHEN status IN (''booked'', ''won'') THEN 1 ELSE 0 END) AS booked, SUM(CASE WHEN status = ''won'' THEN 1 ELSE 0 END) AS won FROM clients WHERE created_at >= %L AND created_at < %L%s GROUP BY owner_id, strategy_id) c LEFT JOIN strategies s ON s.id = c.strategy_id', '$from', '$to', ''));
SELECT pg_temp.explain('admin, new leads per owner and strategy, daily rollup and the hours around', format('SELECT c.owner_id, c.strategy_id, s.name, c.leads, c.booked, c.won FROM (SELECT owner_id, strategy_id, CAST(SUM(n) AS BIGINT) AS leads, CAST(SUM(CASE WHEN status IN (''booked'', ''won'') THEN n ELSE 0 END) AS BIGINT) AS booked, CAST(SUM(CASE WHEN status = ''won'' THEN n ELSE 0 END) AS BIGINT) AS won FROM (SELECT owner_id, strategy_id, status, count AS n FROM client_rollups_daily WHERE day >= $d_from AND day < $d_to%s UNION ALL SELECT owner_id, strategy_id, status, 1 FROM clients WHERE created_at >= %L AND created_at < %L%s UNION ALL SELECT owner_id, strategy_id, status, 1 FROM clients WHERE created_at >= %L AND created_at < %L%s) AS counted GROUP BY owner_id, strategy_id HAVING SUM(n) > 0) c LEFT JOIN strategies s ON s.id = c.strategy_id', '', '$from', '$from', '', '$to', '$to', ''));
SELECT pg_temp.explain('user, show rate (attendance)', format('SELECT SUM(CASE WHEN status = ''completed'' THEN 1 ELSE 0 END), SUM(CASE WHEN status = ''no_show'' THEN 1 ELSE 0 END) FROM bookings WHERE starts_at >= %L AND starts_at < %L AND owner_id = %s AND status IN (''completed'', ''no_show'')', '$from', '$to', :owner));
SELECT pg_temp.explain('admin, shows by owner', format('SELECT owner_id, COUNT(*) FROM bookings WHERE starts_at >= %L AND starts_at < %L AND status = ''completed'' GROUP BY owner_id', '$from', '$to'));
SELECT pg_temp.explain('admin, messages by day, quarter-hour rollup', 'SELECT bucket / 96, role, SUM(count) FROM message_rollups WHERE bucket >= $q_from AND bucket < $q_to GROUP BY 1, 2');
SELECT pg_temp.explain('admin, messages by day, hourly rollup', 'SELECT hour / 24, role, SUM(count) FROM message_rollups_hourly WHERE hour >= $h_from AND hour < $h_to GROUP BY 1, 2');
SELECT pg_temp.explain('admin, messages by day, everyone''s hourly rollup', 'SELECT hour / 24, role, SUM(count) FROM message_rollups_everyone WHERE hour >= $h_from AND hour < $h_to GROUP BY 1, 2');
SELECT pg_temp.explain('admin, lead messages by weekday and hour, hourly rollup', 'SELECT (hour / 24 + 3) % 7, hour % 24, SUM(count) FROM message_rollups_hourly WHERE hour >= $h_from AND hour < $h_to AND role = ''client'' GROUP BY 1, 2');
SELECT pg_temp.explain('admin, lead messages by weekday and hour, everyone''s hourly rollup', 'SELECT (hour / 24 + 3) % 7, hour % 24, SUM(count) FROM message_rollups_everyone WHERE hour >= $h_from AND hour < $h_to AND role = ''client'' GROUP BY 1, 2');
SELECT pg_temp.explain('admin, clients by day and stage', format('SELECT $created_day, status, COUNT(*) FROM clients WHERE created_at >= %L AND created_at < %L GROUP BY 1, 2', '$from', '$to'));
SELECT pg_temp.explain('admin, clients by day and stage, everyone''s hourly rollup', 'SELECT hour / 24, status, SUM(count) FROM client_rollups_everyone WHERE hour >= $h_from AND hour < $h_to GROUP BY 1, 2');
SELECT pg_temp.explain('admin, active conversations, COUNT(DISTINCT)', 'SELECT COUNT(DISTINCT client_id) FROM conversation_activity WHERE bucket >= $q_from AND bucket < $q_to');
SELECT pg_temp.explain('admin, active conversations, GROUP BY', 'SELECT COUNT(*) FROM (SELECT client_id FROM conversation_activity WHERE bucket >= $q_from AND bucket < $q_to GROUP BY client_id) active');
SELECT pg_temp.explain('admin, active conversations, first quarter hour in the range', 'SELECT COUNT(*) FROM conversation_activity WHERE bucket >= $q_from AND bucket < $q_to AND (previous_bucket IS NULL OR previous_bucket < $q_from)');
SELECT pg_temp.explain('admin, active conversations, hourly rows and long links', 'SELECT CAST((SELECT COALESCE(SUM(CASE WHEN hour < $h_to THEN firsts ELSE 0 END) - SUM(links), 0) FROM conversation_activity_hourly WHERE hour >= $h_from) AS BIGINT) - (SELECT COUNT(*) FROM conversation_activity WHERE bucket - previous_bucket >= 672 AND bucket >= $q_to AND previous_bucket < $q_from)');
SELECT pg_temp.explain('admin, median first reply by owner, window functions', 'SELECT owner_id, secs FROM (SELECT owner_id, first_reply_secs AS secs, ROW_NUMBER() OVER (PARTITION BY owner_id ORDER BY first_reply_secs) AS rn, COUNT(*) OVER (PARTITION BY owner_id) AS n FROM conversations WHERE $in_range AND first_reply_secs IS NOT NULL) ranked WHERE rn = (n + 1) / 2');
SELECT pg_temp.explain('admin, median first reply by owner, percentile_disc per group', 'SELECT owner_id, percentile_disc(0.5) WITHIN GROUP (ORDER BY first_reply_secs) FROM conversations WHERE $in_range AND first_reply_secs IS NOT NULL GROUP BY owner_id');
SELECT pg_temp.explain('admin, median first reply by owner, percentile_disc per user', 'SELECT u.id, m.secs FROM users u CROSS JOIN LATERAL (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY first_reply_secs) AS secs FROM conversations WHERE $in_range AND first_reply_secs IS NOT NULL AND owner_id = u.id) m WHERE m.secs IS NOT NULL');
SELECT format(E'%s\n  index: %s\n  %s', label,
  coalesce((regexp_match(plan, 'Index (?:Only )?Scan(?: Backward)? using ([a-z_]+)'))[1], (regexp_match(plan, 'Bitmap Index Scan on ([a-z_]+)'))[1], 'NONE (sequential scan)'),
  (regexp_match(plan, 'Execution Time: [0-9.]+ ms'))[1])
  || CASE WHEN :'plans' = '--plans' THEN E'\n' || plan ELSE '' END
FROM plans ORDER BY n;
SQL
