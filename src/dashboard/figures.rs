//! The dashboard's aggregate queries. Each counts on an index and returns at most a row per local
//! day in the viewer's time zone (or per stage, strategy, owner, weekday and hour); nothing loads
//! the rows it counts. Messages are counted from their rollups (`message_rollups`,
//! `conversation_activity`: a row per owner and quarter hour, kept by triggers), not one by one.
//! Time windows come from [`super::range`], computed in Rust, and so do the viewer's offsets from
//! UTC that the databases add to quarter hours to find local days, so both count the same rows.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult, TryGetable, Value};

use super::range::{BUCKET_SECS, Window, bucket_of};
use crate::server::sql::statement;

/// Whose figures: one owner's, or everyone's.
pub type Scope = Option<i64>;

/// The quarter-hour bucket of `column` (seconds since 1970 / 900), in each database's words.
fn bucket(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / {BUCKET_SECS}) AS BIGINT)"),
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
/// hour since 1970, whose day is `/ 96` and hour `% 96 / 4` on both databases.
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

/// Clients created in `window`, by local day (since 1970) and current stage.
pub async fn clients_created<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
    offsets: Offsets<'_>,
) -> Result<Vec<(i64, String, u64)>, DbErr> {
    let mut values: Vec<Value> = Vec::new();
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

/// Public messages from the lead, the AI and the team in `window`, by local day (since 1970) and
/// role, summed from their rollup (a row per owner, quarter hour and role, kept by triggers as
/// messages are written).
pub async fn messages<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
    offsets: Offsets<'_>,
) -> Result<Vec<(i64, String, u64)>, DbErr> {
    let mut values: Vec<Value> = Vec::new();
    let day = local_quarter("bucket", offsets, &mut values);
    let (first, after) = buckets(window);
    values.extend([first.into(), after.into()]);
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT {day} / 96 AS day, role, CAST(SUM(count) AS BIGINT) FROM message_rollups \
         WHERE bucket >= ? AND bucket < ?{owner} GROUP BY 1, 2"
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
    let mut values: Vec<Value> = Vec::new();
    // 1 January 1970 was a Thursday.
    let weekday = local_quarter("bucket", offsets, &mut values);
    let hour = local_quarter("bucket", offsets, &mut values);
    let (first, after) = buckets(window);
    values.extend([first.into(), after.into()]);
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT ({weekday} / 96 + 3) % 7, ({hour} % 96) / 4, CAST(SUM(count) AS BIGINT) FROM message_rollups \
         WHERE bucket >= ? AND bucket < ? AND role = 'client'{owner} GROUP BY 1, 2"
    );
    counted_by_two(rows(db, &sql, values).await?)
}

/// Conversations with a public message from anyone in `window`, from the quarter hours each was
/// active in.
pub async fn active_conversations<C: ConnectionTrait>(db: &C, scope: Scope, window: Window) -> Result<u64, DbErr> {
    let (first, after) = buckets(window);
    let mut values: Vec<Value> = vec![first.into(), after.into()];
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql =
        format!("SELECT COUNT(DISTINCT client_id) FROM conversation_activity WHERE bucket >= ? AND bucket < ?{owner}");
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

/// [`FirstReplies`] for `window`: one pass over the window's conversations, which each database
/// numbers in order of answer time per first answerer, keeping the rows at the quantiles' ranks.
pub async fn first_replies<C: ConnectionTrait>(db: &C, scope: Scope, window: Window) -> Result<FirstReplies, DbErr> {
    let mut values: Vec<Value> = vec![window.start.into(), window.end.into()];
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT role, n, rn, secs FROM ( \
           SELECT COALESCE(first_reply_role, '') AS role, first_reply_secs AS secs, \
             ROW_NUMBER() OVER (PARTITION BY first_reply_role ORDER BY first_reply_secs) AS rn, \
             COUNT(*) OVER (PARTITION BY first_reply_role) AS n \
           FROM conversations WHERE first_lead_at >= ? AND first_lead_at < ?{owner}) ranked \
         WHERE rn = 1 OR {QUANTILE_RANKS}"
    );
    let mut replies = FirstReplies::default();
    for row in rows(db, &sql, values).await? {
        let role: String = row.try_get_by_index(0)?;
        let (n, rank) = (count(&row, 1)?, count(&row, 2)?);
        let secs: Option<i64> = row.try_get_by_index(3)?;
        let quantiles = match role.as_str() {
            "ai" => &mut replies.ai,
            "agent" => &mut replies.agent,
            "" => {
                replies.unanswered = n;
                continue;
            }
            _ => continue,
        };
        quantiles.count = n;
        let secs = secs.and_then(|secs| u64::try_from(secs).ok());
        if rank == n.div_ceil(2) {
            quantiles.median = secs;
        }
        if rank == (9 * n).div_ceil(10) {
            quantiles.p90 = secs;
        }
    }
    Ok(replies)
}

/// Per strategy, of the clients created in `window`: (id, name, leads, booked or won, handed off
/// by the AI). The hand-offs are counted from the few conversations that have one (a partial
/// index), not by joining every client to its conversation.
pub async fn strategies<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
) -> Result<Vec<(i64, String, u64, u64, u64)>, DbErr> {
    let mut values: Vec<Value> = vec![window.start.into(), window.end.into()];
    let owner = owner_filter("cl.owner_id", scope, &mut values);
    let sql = format!(
        "SELECT s.id, s.name, COUNT(*), SUM(CASE WHEN cl.status IN ('booked', 'won') THEN 1 ELSE 0 END) \
         FROM clients cl JOIN strategies s ON s.id = cl.strategy_id \
         WHERE cl.created_at >= ? AND cl.created_at < ?{owner} GROUP BY s.id, s.name"
    );
    let mut handed_off: HashMap<i64, u64> = HashMap::new();
    let mut hand_off_values: Vec<Value> = Vec::new();
    let hand_off_owner = owner_filter("v.owner_id", scope, &mut hand_off_values);
    hand_off_values.extend([window.start.into(), window.end.into()]);
    let hand_offs = format!(
        "SELECT cl.strategy_id, COUNT(*) FROM conversations v JOIN clients cl ON cl.id = v.client_id \
         WHERE v.handed_off_at IS NOT NULL{hand_off_owner} AND cl.created_at >= ? AND cl.created_at < ? \
         GROUP BY cl.strategy_id"
    );
    for row in rows(db, &hand_offs, hand_off_values).await? {
        handed_off.insert(row.try_get_by_index(0)?, count(&row, 1)?);
    }
    rows(db, &sql, values)
        .await?
        .iter()
        .map(|row| {
            let id: i64 = row.try_get_by_index(0)?;
            Ok((
                id,
                row.try_get_by_index(1)?,
                count(row, 2)?,
                count(row, 3)?,
                handed_off.get(&id).copied().unwrap_or(0),
            ))
        })
        .collect()
}

/// Per owner, in `window`: (leads created, of them won now).
pub async fn leads_by_owner<C: ConnectionTrait>(db: &C, window: Window) -> Result<HashMap<i64, (u64, u64)>, DbErr> {
    let sql = "SELECT owner_id, COUNT(*), SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END) FROM clients \
               WHERE created_at >= ? AND created_at < ? GROUP BY owner_id";
    rows(db, sql, vec![window.start.into(), window.end.into()])
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, (count(row, 1)?, count(row, 2)?))))
        .collect()
}

/// Per owner: bookings made in `window`, and bookings completed that started in it before `now`.
pub async fn bookings_by_owner<C: ConnectionTrait>(
    db: &C,
    window: Window,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, (u64, u64)>, DbErr> {
    let mut by_owner: HashMap<i64, (u64, u64)> = HashMap::new();
    let made = "SELECT owner_id, COUNT(*) FROM bookings WHERE created_at >= ? AND created_at < ? GROUP BY owner_id";
    for row in rows(db, made, vec![window.start.into(), window.end.into()]).await? {
        by_owner.entry(row.try_get_by_index(0)?).or_default().0 = count(&row, 1)?;
    }
    let end = window.end.min(now);
    if end > window.start {
        let shows = "SELECT owner_id, COUNT(*) FROM bookings \
                     WHERE starts_at >= ? AND starts_at < ? AND status = 'completed' GROUP BY owner_id";
        for row in rows(db, shows, vec![window.start.into(), end.into()]).await? {
            by_owner.entry(row.try_get_by_index(0)?).or_default().1 = count(&row, 1)?;
        }
    }
    Ok(by_owner)
}

/// Per owner: the median time to the first answer (the AI's or a person's) of the conversations
/// whose lead first wrote in `window`, in one pass numbered per owner.
pub async fn median_first_reply_by_owner<C: ConnectionTrait>(
    db: &C,
    window: Window,
) -> Result<HashMap<i64, u64>, DbErr> {
    let sql = "SELECT owner_id, secs FROM ( \
                 SELECT owner_id, first_reply_secs AS secs, \
                   ROW_NUMBER() OVER (PARTITION BY owner_id ORDER BY first_reply_secs) AS rn, \
                   COUNT(*) OVER (PARTITION BY owner_id) AS n \
                 FROM conversations \
                 WHERE first_lead_at >= ? AND first_lead_at < ? AND first_reply_secs IS NOT NULL) ranked \
               WHERE rn = (n + 1) / 2";
    rows(db, sql, vec![window.start.into(), window.end.into()])
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, count(row, 1)?)))
        .collect()
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
