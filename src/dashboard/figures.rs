//! The dashboard's aggregate queries. Each counts on an index and returns at most a row per local
//! day in the viewer's time zone (or per stage, strategy, owner, weekday and hour); nothing loads
//! the rows it counts. Messages are counted from their rollups (`message_rollups_hourly`,
//! `message_rollups`, `conversation_activity`: a row per owner and hour or quarter hour, kept by
//! triggers), not one by one; an admin's everyone's messages and new clients from rollups summed
//! over the owners (`message_rollups_everyone`, `client_rollups_everyone`: a row per hour); an
//! owner's new clients from `client_rollups_hourly` (by day and stage) and everyone's or an owner's
//! from `client_rollups_daily` (by strategy and stage over a whole range); active conversations
//! over a week or more from `conversation_activity_hourly` (a row per owner and hour).
//! Time windows come from [`super::range`], computed in Rust, and so do the viewer's offsets from
//! UTC that the databases add to quarter hours to find local days, so both count the same rows.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult, TryGetable, Value};

use super::range::{BUCKET_SECS, Window, bucket_of};
use crate::server::sql::statement;
use migration::LONG_ACTIVITY_LINK;

/// Whose figures: one owner's, or everyone's.
pub type Scope = Option<i64>;

/// The quarter-hour bucket of `column` (seconds since 1970 / 900), in each database's words.
/// PostgreSQL's `date_part` gives the seconds as a double, whereas `EXTRACT` gives a `numeric`
/// (since version 14), whose division cost 13 of the 25 ms of a busy owner's clients by day at a
/// million clients. Flooring to whole seconds first keeps the bucket exact: a second since 1970
/// divided by 900 is never within a double's rounding of the next quarter hour.
fn bucket(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!("CAST(FLOOR(FLOOR(date_part('epoch', {column})) / {BUCKET_SECS}) AS BIGINT)")
        }
        _ => format!("(CAST(strftime('%s', {column}) AS INTEGER) / {BUCKET_SECS})"),
    }
}

/// ` AND {column} = ?` with the owner, when the scope is one owner.
fn owner_filter(column: &str, scope: Scope, values: &mut Vec<Value>) -> String {
    match scope {
        Some(owner) => {
            values.push(owner.into());
            format!(" AND {column} = ?")
        }
        None => String::new(),
    }
}

/// The viewer's offsets over a window, from [`super::range::offsets`].
pub type Offsets<'a> = &'a [(i64, i64)];

/// `bucket` (an SQL expression of a quarter hour) in the viewer's local time: the local quarter
/// hour since 1970, whose day is `/ 96` and hour `% 96 / 4` on both databases. The same for an
/// hour, given offsets in hours (day `/ 24`).
fn local_quarter(bucket: &str, offsets: Offsets, values: &mut Vec<Value>) -> String {
    let Some(((_, first), rest)) = offsets.split_first() else {
        return bucket.to_owned();
    };
    if rest.is_empty() {
        values.push((*first).into());
        return format!("({bucket} + ?)");
    }
    let mut sql = format!("({bucket} + CASE");
    let mut offset = *first;
    for (from, next) in rest {
        values.extend([(*from).into(), offset.into()]);
        sql.push_str(&format!(" WHEN {bucket} < ? THEN ?"));
        offset = *next;
    }
    values.push(offset.into());
    sql.push_str(" ELSE ? END)");
    sql
}

async fn rows<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(statement(db.get_database_backend(), sql, values)).await
}

/// Rows of two keys and a count.
fn counted_by_two<A: TryGetable, B: TryGetable>(rows: Vec<QueryResult>) -> Result<Vec<(A, B, u64)>, DbErr> {
    rows.iter().map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?, count(row, 2)?))).collect()
}

fn count(row: &QueryResult, index: usize) -> Result<u64, DbErr> {
    let value: Option<i64> = row.try_get_by_index(index)?;
    Ok(u64::try_from(value.unwrap_or(0)).unwrap_or(0))
}

async fn single_count<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    match rows(db, sql, values).await?.first() {
        Some(row) => count(row, 0),
        None => Ok(0),
    }
}

/// Clients created in `window`, by local day (since 1970) and current stage: from their hourly
/// rollup (an owner's, or everyone's) when the window is in whole hours, else counted on the
/// creation-date indexes.
pub async fn clients_created<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
    offsets: Offsets<'_>,
) -> Result<Vec<(i64, String, u64)>, DbErr> {
    let mut values: Vec<Value> = Vec::new();
    if let Some(hours) = Hours::of(window, offsets) {
        let day = local_quarter("hour", &hours.offsets, &mut values);
        values.extend([hours.first.into(), hours.after.into()]);
        let table = if scope.is_some() { "client_rollups_hourly" } else { "client_rollups_everyone" };
        let owner = owner_filter("owner_id", scope, &mut values);
        let sql = format!(
            "SELECT {day} / 24 AS day, status, CAST(SUM(count) AS BIGINT) FROM {table} \
             WHERE hour >= ? AND hour < ?{owner} GROUP BY 1, 2"
        );
        return counted_by_two(rows(db, &sql, values).await?);
    }
    let day = local_quarter(&bucket(db.get_database_backend(), "created_at"), offsets, &mut values);
    values.extend([window.start.into(), window.end.into()]);
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT {day} / 96 AS day, status, COUNT(*) FROM clients \
         WHERE created_at >= ? AND created_at < ?{owner} GROUP BY 1, 2"
    );
    counted_by_two(rows(db, &sql, values).await?)
}

/// The quarter hours of `window`: the first one in it and the first one after it.
fn buckets(window: Window) -> (i64, i64) {
    (bucket_of(window.start), bucket_of(window.end))
}

/// A window in hours since 1970, when it and every local day and hour in it start on a UTC hour
/// (the viewer's offsets are whole hours, as in all but a few zones): its first hour, the first
/// after it, and the viewer's offsets in hours.
struct Hours {
    first: i64,
    after: i64,
    offsets: Vec<(i64, i64)>,
}

impl Hours {
    fn of(window: Window, offsets: Offsets<'_>) -> Option<Self> {
        let (first, after) = buckets(window);
        let whole_hours =
            first % 4 == 0 && after % 4 == 0 && offsets.iter().all(|(from, offset)| from % 4 == 0 && offset % 4 == 0);
        whole_hours.then(|| Self {
            first: first / 4,
            after: after / 4,
            offsets: offsets.iter().map(|(from, offset)| (from / 4, offset / 4)).collect(),
        })
    }
}

/// Where a window's messages are counted from: in whole [`Hours`], the hourly rollup (one owner's,
/// or everyone's summed over the owners), else the quarter-hour one. Offsets and bounds are in the
/// rollup's unit.
struct Rollup {
    table: &'static str,
    column: &'static str,
    /// Units in a day and in an hour.
    per_day: i64,
    per_hour: i64,
    offsets: Vec<(i64, i64)>,
    first: i64,
    after: i64,
}

impl Rollup {
    fn of(window: Window, offsets: Offsets<'_>, scope: Scope) -> Self {
        if let Some(Hours { first, after, offsets }) = Hours::of(window, offsets) {
            Self {
                table: if scope.is_some() { "message_rollups_hourly" } else { "message_rollups_everyone" },
                column: "hour",
                per_day: 24,
                per_hour: 1,
                offsets,
                first,
                after,
            }
        } else {
            let (first, after) = buckets(window);
            Self {
                table: "message_rollups",
                column: "bucket",
                per_day: 96,
                per_hour: 4,
                offsets: offsets.to_vec(),
                first,
                after,
            }
        }
    }

    /// The rollup's unit in the viewer's local time (units since 1970).
    fn local(&self, values: &mut Vec<Value>) -> String {
        local_quarter(self.column, &self.offsets, values)
    }
}

/// Public messages from the lead, the AI and the team in `window`, by local day (since 1970) and
/// role, summed from their rollup (a row per owner, hour or quarter hour, and role, kept by
/// triggers as messages are written).
pub async fn messages<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
    offsets: Offsets<'_>,
) -> Result<Vec<(i64, String, u64)>, DbErr> {
    let rollup = Rollup::of(window, offsets, scope);
    let Rollup { table, column, per_day, first, after, .. } = rollup;
    let mut values: Vec<Value> = Vec::new();
    let day = rollup.local(&mut values);
    values.extend([first.into(), after.into()]);
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT {day} / {per_day} AS day, role, CAST(SUM(count) AS BIGINT) FROM {table} \
         WHERE {column} >= ? AND {column} < ?{owner} GROUP BY 1, 2"
    );
    counted_by_two(rows(db, &sql, values).await?)
}

/// The lead's public messages in `window` by local weekday (Monday = 0) and hour.
pub async fn lead_hours<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
    offsets: Offsets<'_>,
) -> Result<Vec<(i64, i64, u64)>, DbErr> {
    let rollup = Rollup::of(window, offsets, scope);
    let Rollup { table, column, per_day, per_hour, first, after, .. } = rollup;
    let mut values: Vec<Value> = Vec::new();
    // 1 January 1970 was a Thursday.
    let weekday = rollup.local(&mut values);
    let hour = rollup.local(&mut values);
    values.extend([first.into(), after.into()]);
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT ({weekday} / {per_day} + 3) % 7, ({hour} % {per_day}) / {per_hour}, CAST(SUM(count) AS BIGINT) \
         FROM {table} WHERE {column} >= ? AND {column} < ? AND role = 'client'{owner} GROUP BY 1, 2"
    );
    counted_by_two(rows(db, &sql, values).await?)
}

/// Conversations with a public message from anyone in `window`. A window of whole hours and at
/// least [`LONG_ACTIVITY_LINK`] quarter hours long is counted from `conversation_activity_hourly`:
/// the conversations whose first quarter hour is in it, plus the links between a conversation's
/// quarter hours open across its start, less the links long enough to span it all (see
/// migration `m20261213_000020_conversation_activity_hourly`). Others read their own quarter hours.
pub async fn active_conversations<C: ConnectionTrait>(db: &C, scope: Scope, window: Window) -> Result<u64, DbErr> {
    match active_conversations_by_hour(db, scope, window).await? {
        Some(count) => Ok(count),
        None => active_conversations_by_quarter_hour(db, scope, window).await,
    }
}

/// The conversations active in `window` from the hourly rows and the long links, or nothing when
/// the window is not in whole hours or is shorter than a long link.
pub async fn active_conversations_by_hour<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
) -> Result<Option<u64>, DbErr> {
    let Some(Hours { first, after, .. }) = Hours::of(window, &[]) else { return Ok(None) };
    if (after - first) * 4 < LONG_ACTIVITY_LINK {
        return Ok(None);
    }
    let mut values: Vec<Value> = vec![after.into(), first.into()];
    let hourly_owner = owner_filter("owner_id", scope, &mut values);
    values.extend([(after * 4).into(), (first * 4).into()]);
    let long_owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT CAST(( \
           SELECT COALESCE(SUM(CASE WHEN hour < ? THEN firsts ELSE 0 END) - SUM(links), 0) \
           FROM conversation_activity_hourly WHERE hour >= ?{hourly_owner}) AS BIGINT) \
         - (SELECT COUNT(*) FROM conversation_activity \
           WHERE bucket - previous_bucket >= {LONG_ACTIVITY_LINK} AND bucket >= ? AND previous_bucket < ?{long_owner})"
    );
    single_count(db, &sql, values).await.map(Some)
}

/// The conversations active in `window` from its quarter hours: each counted by its first quarter
/// hour in the window, the one whose conversation was last active before the window (or never),
/// so that the count needs no set of clients.
async fn active_conversations_by_quarter_hour<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
) -> Result<u64, DbErr> {
    let (first, after) = buckets(window);
    let mut values: Vec<Value> = vec![first.into(), after.into(), first.into()];
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT COUNT(*) FROM conversation_activity WHERE bucket >= ? AND bucket < ? \
         AND (previous_bucket IS NULL OR previous_bucket < ?){owner}"
    );
    single_count(db, &sql, values).await
}

/// Bookings made (whatever became of them) in `window`, by local day (since 1970).
pub async fn bookings_made<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
    offsets: Offsets<'_>,
) -> Result<Vec<(i64, u64)>, DbErr> {
    let mut values: Vec<Value> = Vec::new();
    let day = local_quarter(&bucket(db.get_database_backend(), "created_at"), offsets, &mut values);
    values.extend([window.start.into(), window.end.into()]);
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT {day} / 96 AS day, COUNT(*) FROM bookings WHERE created_at >= ? AND created_at < ?{owner} GROUP BY 1"
    );
    rows(db, &sql, values).await?.iter().map(|row| Ok((row.try_get_by_index(0)?, count(row, 1)?))).collect()
}

/// Of the bookings that started in `window` before `now`: (completed, no-shows).
pub async fn attendance<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
    now: DateTime<Utc>,
) -> Result<(u64, u64), DbErr> {
    let end = window.end.min(now);
    if end <= window.start {
        return Ok((0, 0));
    }
    let mut values: Vec<Value> = vec![window.start.into(), end.into()];
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT \
           SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), \
           SUM(CASE WHEN status = 'no_show' THEN 1 ELSE 0 END) \
         FROM bookings WHERE starts_at >= ? AND starts_at < ?{owner} AND status IN ('completed', 'no_show')"
    );
    match rows(db, &sql, values).await?.first() {
        Some(row) => Ok((count(row, 0)?, count(row, 1)?)),
        None => Ok((0, 0)),
    }
}

/// Of the conversations whose lead first wrote in a window: how many the AI and the team answered
/// first, with the median and p90 of their answer times, and how many have no answer yet.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FirstReplies {
    pub ai: Quantiles,
    pub agent: Quantiles,
    pub unanswered: u64,
}

/// How many answers, and their median and p90 in seconds (nearest rank).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Quantiles {
    pub count: u64,
    pub median: Option<u64>,
    pub p90: Option<u64>,
}

/// The ranks (from 1) of the median and p90 of `n` sorted values, by nearest rank: ⌈n/2⌉ and ⌈9n/10⌉.
const QUANTILE_RANKS: &str = "rn = (n + 1) / 2 OR rn = (9 * n + 9) / 10";

/// [`FirstReplies`] for `window`, in one pass over the window's conversations. PostgreSQL picks
/// the quantiles with `percentile_disc` (nearest rank), one aggregate per answerer over a `FILTER`
/// rather than per group of a `GROUP BY`, which first sorted every row of the window by answerer
/// (spilling to disk at a million clients) before each group's own sort; SQLite, which has no
/// such aggregate, numbers the conversations by answer time per answerer and keeps the rows at the
/// quantiles' ranks. Both pick the same values.
pub async fn first_replies<C: ConnectionTrait>(db: &C, scope: Scope, window: Window) -> Result<FirstReplies, DbErr> {
    let mut values: Vec<Value> = vec![window.start.into(), window.end.into()];
    let owner = owner_filter("owner_id", scope, &mut values);
    let in_window = format!("FROM conversations WHERE first_lead_at >= ? AND first_lead_at < ?{owner}");
    let mut replies = FirstReplies::default();
    let mut keep = |role: &str, n: u64, median: Option<u64>, p90: Option<u64>| match role {
        "ai" => replies.ai = Quantiles { count: n, median, p90 },
        "agent" => replies.agent = Quantiles { count: n, median, p90 },
        "" => replies.unanswered = n,
        _ => {}
    };
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let answered = |role: &str| {
            let only = format!("FILTER (WHERE first_reply_role = '{role}')");
            format!(
                "COUNT(*) {only}, percentile_disc(0.5) WITHIN GROUP (ORDER BY first_reply_secs) {only}, \
                 percentile_disc(0.9) WITHIN GROUP (ORDER BY first_reply_secs) {only}"
            )
        };
        let sql = format!(
            "SELECT {}, {}, COUNT(*) FILTER (WHERE first_reply_role IS NULL) {in_window}",
            answered("ai"),
            answered("agent")
        );
        if let Some(row) = rows(db, &sql, values).await?.first() {
            keep("ai", count(row, 0)?, seconds(row, 1)?, seconds(row, 2)?);
            keep("agent", count(row, 3)?, seconds(row, 4)?, seconds(row, 5)?);
            keep("", count(row, 6)?, None, None);
        }
        return Ok(replies);
    }
    let sql = format!(
        "SELECT role, n, rn, secs FROM ( \
           SELECT COALESCE(first_reply_role, '') AS role, first_reply_secs AS secs, \
             ROW_NUMBER() OVER (PARTITION BY first_reply_role ORDER BY first_reply_secs) AS rn, \
             COUNT(*) OVER (PARTITION BY first_reply_role) AS n \
           {in_window}) ranked \
         WHERE rn = 1 OR {QUANTILE_RANKS}"
    );
    let mut found: HashMap<String, (u64, Option<u64>, Option<u64>)> = HashMap::new();
    for row in rows(db, &sql, values).await? {
        let role: String = row.try_get_by_index(0)?;
        let (n, rank) = (count(&row, 1)?, count(&row, 2)?);
        let secs = seconds(&row, 3)?;
        let entry = found.entry(role).or_insert((n, None, None));
        if rank == n.div_ceil(2) {
            entry.1 = secs;
        }
        if rank == (9 * n).div_ceil(10) {
            entry.2 = secs;
        }
    }
    for (role, (n, median, p90)) in found {
        keep(&role, n, median, p90);
    }
    Ok(replies)
}

/// A number of seconds that may be NULL.
fn seconds(row: &QueryResult, index: usize) -> Result<Option<u64>, DbErr> {
    let value: Option<i64> = row.try_get_by_index(index)?;
    Ok(value.and_then(|secs| u64::try_from(secs).ok()))
}

/// Of the clients created in a window: per strategy (id, name, leads, booked or won now, handed
/// off by the AI), and per owner (leads, won now).
#[derive(Debug, Default)]
pub struct NewLeads {
    pub strategies: Vec<(i64, String, u64, u64, u64)>,
    pub by_owner: HashMap<i64, (u64, u64)>,
}

/// The whole UTC days of `window` (days since 1970: the first, and the first after them), and
/// the parts of the window before and after them; with no whole day, no days and the window
/// before them.
fn whole_days(window: Window) -> ((i64, i64), Window, Window) {
    let (start, end) = (window.start.timestamp(), window.end.timestamp());
    let (first, after) =
        (start.div_euclid(DAY_SECS) + i64::from(start.rem_euclid(DAY_SECS) != 0), end.div_euclid(DAY_SECS));
    if first >= after {
        return ((0, 0), window, Window { start: window.end, end: window.end });
    }
    let at = |day: i64| DateTime::from_timestamp(day * DAY_SECS, 0).unwrap_or(window.start);
    ((first, after), Window { start: window.start, end: at(first) }, Window { start: at(after), end: window.end })
}

const DAY_SECS: i64 = 86_400;

/// [`NewLeads`] of `window`, counted per owner, strategy and stage (the few sums then joined to the
/// strategies' names), where the strategies table and the people table each read them: the
/// window's whole UTC days from their daily rollup, the hours before and after them from the
/// clients. The hand-offs come from the few conversations that have one (a partial index), not by
/// joining every client to its conversation. The two statements run at once.
pub async fn new_leads<C: ConnectionTrait>(db: &C, scope: Scope, window: Window) -> Result<NewLeads, DbErr> {
    let ((first_day, after_day), before, after) = whole_days(window);
    let mut values: Vec<Value> = vec![first_day.into(), after_day.into()];
    let mut counted = vec![format!(
        "SELECT owner_id, strategy_id, status, count AS n FROM client_rollups_daily \
         WHERE day >= ? AND day < ?{}",
        owner_filter("owner_id", scope, &mut values)
    )];
    for edge in [before, after] {
        values.extend([edge.start.into(), edge.end.into()]);
        counted.push(format!(
            "SELECT owner_id, strategy_id, status, 1 FROM clients WHERE created_at >= ? AND created_at < ?{}",
            owner_filter("owner_id", scope, &mut values)
        ));
    }
    let sql = format!(
        "SELECT c.owner_id, c.strategy_id, s.name, c.leads, c.booked, c.won FROM ( \
           SELECT owner_id, strategy_id, CAST(SUM(n) AS BIGINT) AS leads, \
             CAST(SUM(CASE WHEN status IN ('booked', 'won') THEN n ELSE 0 END) AS BIGINT) AS booked, \
             CAST(SUM(CASE WHEN status = 'won' THEN n ELSE 0 END) AS BIGINT) AS won \
           FROM ({}) AS counted GROUP BY owner_id, strategy_id HAVING SUM(n) > 0) c \
         LEFT JOIN strategies s ON s.id = c.strategy_id",
        counted.join(" UNION ALL ")
    );
    let mut hand_off_values: Vec<Value> = Vec::new();
    let hand_off_owner = owner_filter("v.owner_id", scope, &mut hand_off_values);
    hand_off_values.extend([window.start.into(), window.end.into()]);
    let hand_offs = format!(
        "SELECT cl.strategy_id, COUNT(*) FROM conversations v JOIN clients cl ON cl.id = v.client_id \
         WHERE v.handed_off_at IS NOT NULL{hand_off_owner} AND cl.created_at >= ? AND cl.created_at < ? \
         GROUP BY cl.strategy_id"
    );
    let (hand_off_rows, lead_rows) = futures::try_join!(rows(db, &hand_offs, hand_off_values), rows(db, &sql, values))?;
    let mut handed_off: HashMap<i64, u64> = HashMap::new();
    for row in hand_off_rows {
        if let Some(strategy) = row.try_get_by_index::<Option<i64>>(0)? {
            handed_off.insert(strategy, count(&row, 1)?);
        }
    }
    let mut leads = NewLeads::default();
    // A strategy shared by several owners has a row per owner: one line per strategy, in the
    // order they first come.
    let mut strategy_lines: HashMap<i64, usize> = HashMap::new();
    for row in lead_rows {
        let owner: i64 = row.try_get_by_index(0)?;
        let strategy: Option<i64> = row.try_get_by_index(1)?;
        let name: Option<String> = row.try_get_by_index(2)?;
        let (n, booked, won) = (count(&row, 3)?, count(&row, 4)?, count(&row, 5)?);
        let of_owner = leads.by_owner.entry(owner).or_default();
        of_owner.0 += n;
        of_owner.1 += won;
        let (Some(id), Some(name)) = (strategy, name) else { continue };
        let line = *strategy_lines.entry(id).or_insert_with(|| {
            leads.strategies.push((id, name, 0, 0, handed_off.get(&id).copied().unwrap_or(0)));
            leads.strategies.len() - 1
        });
        leads.strategies[line].2 += n;
        leads.strategies[line].3 += booked;
    }
    Ok(leads)
}

/// Per owner (of the scope): bookings made in `window`, and bookings completed that started in it
/// before `now`; the two statements run at once.
pub async fn bookings_by_owner<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, (u64, u64)>, DbErr> {
    let mut made_values: Vec<Value> = vec![window.start.into(), window.end.into()];
    let owner = owner_filter("owner_id", scope, &mut made_values);
    let made = format!(
        "SELECT owner_id, COUNT(*) FROM bookings WHERE created_at >= ? AND created_at < ?{owner} GROUP BY owner_id"
    );
    let end = window.end.min(now);
    let shows = async {
        if end <= window.start {
            return Ok(Vec::new());
        }
        let mut values: Vec<Value> = vec![window.start.into(), end.into()];
        let owner = owner_filter("owner_id", scope, &mut values);
        let sql = format!(
            "SELECT owner_id, COUNT(*) FROM bookings \
             WHERE starts_at >= ? AND starts_at < ? AND status = 'completed'{owner} GROUP BY owner_id"
        );
        rows(db, &sql, values).await
    };
    let (made_rows, show_rows) = futures::try_join!(rows(db, &made, made_values), shows)?;
    let mut by_owner: HashMap<i64, (u64, u64)> = HashMap::new();
    for row in made_rows {
        by_owner.entry(row.try_get_by_index(0)?).or_default().0 = count(&row, 1)?;
    }
    for row in show_rows {
        by_owner.entry(row.try_get_by_index(0)?).or_default().1 = count(&row, 1)?;
    }
    Ok(by_owner)
}

/// Per owner (of the scope): the median time to the first answer (the AI's or a person's) of the
/// conversations whose lead first wrote in `window`, by nearest rank. PostgreSQL takes each user's
/// `percentile_disc` from that user's own range of the owner index (a sort in memory per owner;
/// one `GROUP BY owner_id` over the whole window sorted every row by owner first, spilling to disk
/// at a million clients, and took two thirds longer); SQLite numbers the conversations per owner.
pub async fn median_first_reply_by_owner<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
) -> Result<HashMap<i64, u64>, DbErr> {
    let mut values: Vec<Value> = vec![window.start.into(), window.end.into()];
    let answered = "FROM conversations \
                    WHERE first_lead_at >= ? AND first_lead_at < ? AND first_reply_secs IS NOT NULL";
    let sql = if db.get_database_backend() == DatabaseBackend::Postgres {
        let owner = owner_filter("u.id", scope, &mut values);
        format!(
            "SELECT u.id, m.secs FROM users u CROSS JOIN LATERAL ( \
               SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY first_reply_secs) AS secs \
               {answered} AND owner_id = u.id) m \
             WHERE m.secs IS NOT NULL{owner}"
        )
    } else {
        let owner = owner_filter("owner_id", scope, &mut values);
        format!(
            "SELECT owner_id, secs FROM ( \
               SELECT owner_id, first_reply_secs AS secs, \
                 ROW_NUMBER() OVER (PARTITION BY owner_id ORDER BY first_reply_secs) AS rn, \
                 COUNT(*) OVER (PARTITION BY owner_id) AS n \
               {answered}{owner}) ranked \
             WHERE rn = (n + 1) / 2"
        )
    };
    rows(db, &sql, values).await?.iter().map(|row| Ok((row.try_get_by_index(0)?, count(row, 1)?))).collect()
}

/// The next confirmed bookings from `now`: (id, client id, who, what, starts at).
pub async fn upcoming<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(i64, Option<i64>, String, String, DateTime<Utc>)>, DbErr> {
    let mut values: Vec<Value> = vec![now.into()];
    let owner = owner_filter("b.owner_id", scope, &mut values);
    values.push(i64::try_from(limit).unwrap_or(5).into());
    let sql = format!(
        "SELECT b.id, b.client_id, COALESCE(cl.name, b.guest_name, ''), b.booking_type, b.starts_at \
         FROM bookings b LEFT JOIN clients cl ON cl.id = b.client_id \
         WHERE b.starts_at >= ? AND b.status = 'confirmed'{owner} ORDER BY b.starts_at, b.id LIMIT ?"
    );
    rows(db, &sql, values)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get_by_index(0)?,
                row.try_get_by_index(1)?,
                row.try_get_by_index(2)?,
                row.try_get_by_index(3)?,
                row.try_get_by_index(4)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::{Rollup, Window, whole_days};
    use crate::dashboard::range::offsets;

    fn window(zone: chrono_tz::Tz) -> Window {
        // Local midnights around New York's change to winter time (2 November 2025).
        let start = zone.with_ymd_and_hms(2025, 10, 20, 0, 0, 0).unwrap().with_timezone(&Utc);
        let end = zone.with_ymd_and_hms(2025, 11, 10, 0, 0, 0).unwrap().with_timezone(&Utc);
        Window { start, end }
    }

    #[test]
    fn whole_hour_zones_read_an_hourly_rollup_and_quarter_hour_zones_the_other() {
        let new_york = window(chrono_tz::America::New_York);
        let zone_offsets = offsets(chrono_tz::America::New_York, new_york);
        let everyone = Rollup::of(new_york, &zone_offsets, None);
        assert_eq!((everyone.table, everyone.per_day), ("message_rollups_everyone", 24));
        let rollup = Rollup::of(new_york, &zone_offsets, Some(7));
        assert_eq!((rollup.table, rollup.per_day), ("message_rollups_hourly", 24));
        assert_eq!(rollup.offsets.iter().map(|(_, offset)| *offset).collect::<Vec<_>>(), [-4, -5]);
        assert_eq!(rollup.first * 3600, new_york.start.timestamp());
        assert_eq!(rollup.after * 3600, new_york.end.timestamp());

        let kathmandu = window(chrono_tz::Asia::Kathmandu);
        let rollup = Rollup::of(kathmandu, &offsets(chrono_tz::Asia::Kathmandu, kathmandu), None);
        assert_eq!((rollup.table, rollup.per_day), ("message_rollups", 96));
        assert_eq!(rollup.offsets.iter().map(|(_, offset)| *offset).collect::<Vec<_>>(), [23]);
    }

    #[test]
    fn a_window_is_its_whole_utc_days_and_the_hours_around_them() {
        let at = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
        let day = |text: &str| at(text).timestamp() / 86_400;
        let window = Window { start: at("2026-10-30T04:00:00Z"), end: at("2026-11-03T05:00:00Z") };
        let (days, before, after) = whole_days(window);
        assert_eq!(days, (day("2026-10-31T00:00:00Z"), day("2026-11-03T00:00:00Z")));
        assert_eq!((before.start, before.end), (window.start, at("2026-10-31T00:00:00Z")));
        assert_eq!((after.start, after.end), (at("2026-11-03T00:00:00Z"), window.end));

        let midnights = Window { start: at("2026-10-30T00:00:00Z"), end: at("2026-11-01T00:00:00Z") };
        let (days, before, after) = whole_days(midnights);
        assert_eq!(days, (day("2026-10-30T00:00:00Z"), day("2026-11-01T00:00:00Z")));
        assert_eq!([before.start, after.start], [before.end, after.end], "nothing around");

        // Across a midnight but no whole day: all of it counted from the clients.
        let short = Window { start: at("2026-10-30T12:00:00Z"), end: at("2026-10-31T11:00:00Z") };
        let (days, before, after) = whole_days(short);
        assert_eq!(days.0, days.1);
        assert_eq!((before.start, before.end), (short.start, short.end));
        assert_eq!(after.start, after.end);
    }
}
