#!/usr/bin/env bash
# EXPLAIN ANALYZE of every inbox and thread query shape on a seeded PostgreSQL database, as
# src/chat/service.rs sends them: the first page and a deep keyset page (after conversation 2,500),
# each filter (waiting, unread, AI mode, stage (walked, and listed from its clients when it has
# 1,000 or fewer), a search by client, the days a conversation was active in (one day 30 days
# ago listed from its activity rows, the last 30 days walked)), the page's unread counts, the
# thread's latest messages and an older page, for an ordinary user (their own conversations) and
# for an admin (everyone's). Prints each plan's index and time; `--plans` prints the plans too.
# Usage: DATABASE_URL=postgres://... bench/explain-inbox.sh [--plans]   (seed it first: see README)
set -euo pipefail
url=${DATABASE_URL:?set DATABASE_URL to a seeded PostgreSQL database}
plans=${1:-}
search_expr=$(grep -A1 'pub const CLIENT_SEARCH_EXPRESSION' "$(dirname "$0")/../migration/src/m20261123_000001_initial_schema.rs" | tail -1 | sed -E 's/^ *"(.*)";$/\1/')
raw_expr=$search_expr
search_expr=${search_expr//\'/\'\'}
inbox="SELECT v.* FROM conversations v JOIN clients ON clients.id = v.client_id"
order="ORDER BY v.last_activity_at DESC, v.id DESC LIMIT 26"
with_conversation="AND EXISTS (SELECT 1 FROM conversations v WHERE v.client_id = clients.id) LIMIT 1001"
stage_with_conversation="AND EXISTS (SELECT 1 FROM conversations v WHERE v.client_id = clients.id) ORDER BY last_activity_at DESC, id DESC LIMIT 1001"
# The search's condition for each LIKE pattern given (as src/clients/list_query.rs writes it).
condition() {
  local words=() pattern
  for pattern in "$@"; do words+=("$search_expr LIKE ''$pattern''"); done
  local joined=${words[0]} i
  for ((i = 1; i < ${#words[@]}; i++)); do joined+=" AND ${words[i]}"; done
  echo "$joined"
}
# The clients a search finds (src/chat/inbox_rows.rs, first statement).
clients_of() { echo "SELECT clients.id FROM clients WHERE $(condition "$@")"; }
# A search with many matches: a page among the 2,000 conversations next (src/chat/inbox_rows.rs).
window() {
  local filter=$1; shift
  local cond; cond=$(condition "$@")
  echo "SELECT w.* FROM (SELECT v.*, ROW_NUMBER() OVER (ORDER BY v.last_activity_at DESC, v.id DESC) AS place, CASE WHEN $cond THEN 1 ELSE 0 END AS hit FROM conversations v JOIN clients ON clients.id = v.client_id WHERE $filter ORDER BY v.last_activity_at DESC, v.id DESC LIMIT 2000) w WHERE w.hit = 1 OR w.place = 2000 ORDER BY w.last_activity_at DESC, w.id DESC LIMIT 26"
}
# Active in a range of quarter hours with many conversations: a page among the 2,000 conversations
# next, each tested for activity (src/chat/inbox_rows.rs).
active_window() {
  local filter=$1 first=$2
  echo "SELECT w.* FROM (SELECT v.*, ROW_NUMBER() OVER (ORDER BY v.last_activity_at DESC, v.id DESC) AS place, CASE WHEN (SELECT 1 FROM conversation_activity a WHERE a.client_id = v.client_id AND a.bucket >= $first LIMIT 1) = 1 THEN 1 ELSE 0 END AS hit FROM conversations v JOIN clients ON clients.id = v.client_id WHERE $filter ORDER BY v.last_activity_at DESC, v.id DESC LIMIT 2000) w WHERE w.hit = 1 OR w.place = 2000 ORDER BY w.last_activity_at DESC, w.id DESC LIMIT 26"
}

psql "$url" -v ON_ERROR_STOP=1 -v plans="$plans" -qAt <<SQL
SELECT count(*) AS conversations FROM conversations \gset
SELECT count(*) AS messages FROM messages \gset
SELECT owner_id AS owner FROM conversations GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT count(*) AS owned FROM conversations WHERE owner_id = :owner \gset
SELECT last_activity_at AS deep_at, id AS deep_id FROM conversations WHERE owner_id = :owner
  ORDER BY last_activity_at DESC, id DESC OFFSET 2500 LIMIT 1 \gset
SELECT last_activity_at AS admin_deep_at, id AS admin_deep_id FROM conversations
  ORDER BY last_activity_at DESC, id DESC OFFSET 2500 LIMIT 1 \gset
SELECT conversation_id AS talker FROM messages WHERE conversation_id IS NOT NULL
  GROUP BY conversation_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT created_at AS older_at, id AS older_id FROM messages WHERE conversation_id = :talker
  ORDER BY created_at DESC, id DESC OFFSET 3 LIMIT 1 \gset
SELECT string_agg(id::text, ', ') AS page_ids FROM (SELECT id FROM conversations WHERE owner_id = :owner
  ORDER BY last_activity_at DESC, id DESC LIMIT 25) page \gset
\echo conversations: :conversations, messages: :messages; user :owner has :owned
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
SELECT pg_temp.explain('warm-up', format('$inbox WHERE v.owner_id = %s $order', :owner));
DELETE FROM plans;
SELECT pg_temp.explain('user, first page', format('$inbox WHERE v.owner_id = %s $order', :owner));
SELECT pg_temp.explain('user, deep page (after conversation 2,500)', format('$inbox WHERE v.owner_id = %s AND (v.last_activity_at, v.id) < (%L, %s) $order', :owner, :'deep_at', :deep_id));
SELECT pg_temp.explain('user, waiting for a human', format('$inbox WHERE v.owner_id = %s AND v.state = ''waiting'' $order', :owner));
SELECT pg_temp.explain('user, closed', format('$inbox WHERE v.owner_id = %s AND v.state = ''closed'' $order', :owner));
SELECT pg_temp.explain('user, unread', format('$inbox WHERE v.owner_id = %s AND v.last_message_id > COALESCE((SELECT r.last_seen_message_id FROM conversation_reads r WHERE r.conversation_id = v.id AND r.user_id = %s), 0) $order', :owner, :owner));
SELECT pg_temp.explain('user, AI mode auto', format('$inbox WHERE v.owner_id = %s AND v.ai_mode = ''auto'' $order', :owner));
SELECT pg_temp.explain('user, stage won', format('$inbox WHERE v.owner_id = %s AND clients.status = ''won'' $order', :owner));
SELECT pg_temp.explain('user, a stage no client is in (the planner knows: no walk)', format('$inbox WHERE v.owner_id = %s AND clients.status = ''none'' $order', :owner));
SELECT pg_temp.explain('user, a stage''s size from client_counts', format('SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM client_counts WHERE status = ''won'' AND owner_id = %s', :owner));
SELECT pg_temp.explain('user, a stage of 1,000 or fewer: its clients with a conversation, up to 1,001', format('SELECT id FROM clients WHERE status = ''won'' AND owner_id = %s $stage_with_conversation', :owner));
SELECT string_agg(id::text, ', ') AS won_ids FROM (SELECT id FROM clients WHERE status = 'won' AND owner_id = :owner $stage_with_conversation) found \gset
SELECT pg_temp.explain('user, a stage of 1,000 or fewer: the page of those clients'' conversations', format('$inbox WHERE v.owner_id = %s AND clients.status = ''won'' AND v.client_id IN (%s) $order', :owner, :'won_ids'));
SELECT pg_temp.explain('user, search "silva": its clients with a conversation, up to 1,001', format('$(clients_of "%%silva%%") AND clients.owner_id = %s $with_conversation', :owner));
SELECT pg_temp.explain('user, search "silva": a page among the next 2,000 conversations', format('$(window "v.owner_id = %s" "%%silva%%")', :owner));
SELECT pg_temp.explain('user, search "silva", deep: a page among the 2,000 after conversation 2,500', format('$(window "v.owner_id = %s AND (v.last_activity_at, v.id) < (%L, %s)" "%%silva%%")', :owner, :'deep_at', :deep_id));
SELECT pg_temp.explain('user, search "ana silva": its clients with a conversation, up to 1,001', format('$(clients_of "%%ana%%" "%%silva%%") AND clients.owner_id = %s $with_conversation', :owner));
SELECT string_agg(id::text, ', ') AS ana_silva FROM (SELECT clients.id FROM clients WHERE $raw_expr LIKE '%ana%' AND $raw_expr LIKE '%silva%' AND clients.owner_id = :owner $with_conversation) found \gset
SELECT pg_temp.explain('user, search "ana silva": the page of those clients'' conversations', format('$inbox WHERE v.owner_id = %s AND v.client_id IN (%s) $order', :owner, :'ana_silva'));
SELECT CAST(FLOOR(EXTRACT(EPOCH FROM date_trunc('day', now() - interval '30 days')) / 900) AS BIGINT) AS day_first \gset
SELECT :day_first + 96 AS day_after \gset
SELECT pg_temp.explain('user, active on one day 30 days ago: its conversations, up to 4,001', format('SELECT client_id FROM conversation_activity WHERE bucket >= %s AND bucket < %s AND (previous_bucket IS NULL OR previous_bucket < %s) AND owner_id = %s LIMIT 4001', :day_first, :day_after, :day_first, :owner));
SELECT coalesce(string_agg(DISTINCT client_id::text, ', '), '0') AS day_ids FROM (SELECT client_id FROM conversation_activity WHERE bucket >= :day_first AND bucket < :day_after AND (previous_bucket IS NULL OR previous_bucket < :day_first) AND owner_id = :owner LIMIT 4001) found \gset
SELECT pg_temp.explain('user, active on one day 30 days ago: the page of those clients'' conversations', format('$inbox WHERE v.owner_id = %s AND v.client_id IN (%s) $order', :owner, :'day_ids'));
SELECT pg_temp.explain('user, active in the last 30 days: a page among the next 2,000 conversations', format('$(active_window "v.owner_id = %s" %s)', :day_first, :owner));
SELECT pg_temp.explain('user, page''s unread counts (25 conversations)', format('SELECT m.conversation_id, COUNT(*) FROM messages m LEFT JOIN conversation_reads r ON r.conversation_id = m.conversation_id AND r.user_id = %s WHERE m.conversation_id IN (%s) AND m.id > COALESCE(r.last_seen_message_id, 0) AND (m.author_id IS NULL OR m.author_id <> %s) GROUP BY m.conversation_id', :owner, :'page_ids', :owner));
SELECT pg_temp.explain('thread, latest 51 messages', format('SELECT * FROM messages WHERE conversation_id = %s ORDER BY created_at DESC, id DESC LIMIT 51', :talker));
SELECT pg_temp.explain('thread, older page', format('SELECT * FROM messages WHERE conversation_id = %s AND (created_at < %L OR (created_at = %L AND id < %s)) ORDER BY created_at DESC, id DESC LIMIT 51', :talker, :'older_at', :'older_at', :older_id));
SELECT pg_temp.explain('admin, first page', '$inbox $order');
SELECT pg_temp.explain('admin, deep page (after conversation 2,500)', format('$inbox WHERE (v.last_activity_at, v.id) < (%L, %s) $order', :'admin_deep_at', :admin_deep_id));
SELECT pg_temp.explain('admin, waiting for a human', '$inbox WHERE v.state = ''waiting'' $order');
SELECT pg_temp.explain('admin, search "acme lab": its clients with a conversation, up to 1,001', '$(clients_of "%acme%" "%lab%") $with_conversation');
SELECT pg_temp.explain('admin, search "acme lab": a page among the next 2,000 conversations', '$(window "1 = 1" "%acme%" "%lab%")');
SELECT pg_temp.explain('admin, active on one day 30 days ago: its conversations, up to 4,001', format('SELECT client_id FROM conversation_activity WHERE bucket >= %s AND bucket < %s AND (previous_bucket IS NULL OR previous_bucket < %s) LIMIT 4001', :day_first, :day_after, :day_first));
SELECT pg_temp.explain('admin, active in the last 30 days: a page among the next 2,000 conversations', format('$(active_window "1 = 1" %s)', :day_first));
SELECT format(E'%s\n  index: %s\n  %s', label,
  coalesce((regexp_match(plan, 'Index (?:Only )?Scan(?: Backward)? using ([a-z_]+)'))[1], (regexp_match(plan, 'Bitmap Index Scan on ([a-z_]+)'))[1], 'NONE (sequential scan)'),
  (regexp_match(plan, 'Execution Time: [0-9.]+ ms'))[1])
  || CASE WHEN :'plans' = '--plans' THEN E'\n' || plan ELSE '' END
FROM plans ORDER BY n;
SQL
