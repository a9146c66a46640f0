//! The dashboard's aggregate queries. Each counts on an index and returns at most a row per
//! quarter hour (or per stage, strategy, owner); nothing loads the rows it counts. Time windows
//! come from [`super::range`], computed in Rust, so both databases count the same rows.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult, Value};

use super::range::{BUCKET_SECS, Window};
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

/// The join that keeps the messages `m` of one owner's conversations, when the scope is one owner.
fn conversation_owner(scope: Scope, values: &mut Vec<Value>) -> &'static str {
    match scope {
        Some(owner) => {
            values.push(owner.into());
            " JOIN conversations c ON c.id = m.conversation_id AND c.owner_id = ?"
        }
        None => "",
    }
}

async fn rows<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(statement(db.get_database_backend(), sql, values)).await
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

/// Clients created in `window`, by quarter hour and current stage.
pub async fn clients_created<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
) -> Result<Vec<(i64, String, u64)>, DbErr> {
    let mut values: Vec<Value> = vec![window.start.into(), window.end.into()];
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT {b} AS bucket, status, COUNT(*) FROM clients \
         WHERE created_at >= ? AND created_at < ?{owner} GROUP BY 1, 2",
        b = bucket(db.get_database_backend(), "created_at"),
    );
    rows(db, &sql, values)
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?, count(row, 2)?)))
        .collect()
}

/// Public messages from the lead, the AI and the team in `window`, by quarter hour and role.
pub async fn messages<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
) -> Result<Vec<(i64, String, u64)>, DbErr> {
    let mut values: Vec<Value> = Vec::new();
    let join = conversation_owner(scope, &mut values);
    values.extend([window.start.into(), window.end.into()]);
    let sql = format!(
        "SELECT {b} AS bucket, m.role, COUNT(*) FROM messages m{join} \
         WHERE m.created_at >= ? AND m.created_at < ? AND m.role IN ('client', 'ai', 'agent') AND NOT m.private \
         GROUP BY 1, 2",
        b = bucket(db.get_database_backend(), "m.created_at"),
    );
    rows(db, &sql, values)
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?, count(row, 2)?)))
        .collect()
}

/// Conversations with a public message from anyone in `window`.
pub async fn active_conversations<C: ConnectionTrait>(db: &C, scope: Scope, window: Window) -> Result<u64, DbErr> {
    let mut values: Vec<Value> = Vec::new();
    let join = conversation_owner(scope, &mut values);
    values.extend([window.start.into(), window.end.into()]);
    let sql = format!(
        "SELECT COUNT(DISTINCT m.conversation_id) FROM messages m{join} \
         WHERE m.created_at >= ? AND m.created_at < ? AND m.role IN ('client', 'ai', 'agent') AND NOT m.private"
    );
    single_count(db, &sql, values).await
}

/// Bookings made (whatever became of them) in `window`, by quarter hour.
pub async fn bookings_made<C: ConnectionTrait>(db: &C, scope: Scope, window: Window) -> Result<Vec<(i64, u64)>, DbErr> {
    let mut values: Vec<Value> = vec![window.start.into(), window.end.into()];
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT {b} AS bucket, COUNT(*) FROM bookings WHERE created_at >= ? AND created_at < ?{owner} GROUP BY 1",
        b = bucket(db.get_database_backend(), "created_at"),
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

/// Conversations whose lead first wrote in `window` and were first answered by `role`: how many,
/// and the answer times at the quantiles `quantiles` (nearest rank), sorted by the database.
pub async fn first_reply_times<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
    role: &str,
    quantiles: &[f64],
) -> Result<(u64, Vec<Option<u64>>), DbErr> {
    let mut values: Vec<Value> = vec![window.start.into(), window.end.into(), role.into()];
    let owner = owner_filter("owner_id", scope, &mut values);
    let filter = format!("first_lead_at >= ? AND first_lead_at < ? AND first_reply_role = ?{owner}");
    let answered =
        single_count(db, &format!("SELECT COUNT(*) FROM conversations WHERE {filter}"), values.clone()).await?;
    let mut times = Vec::with_capacity(quantiles.len());
    for quantile in quantiles {
        if answered == 0 {
            times.push(None);
            continue;
        }
        let rank = ((quantile * answered as f64).ceil() as u64).clamp(1, answered);
        let mut at_rank = values.clone();
        at_rank.push(i64::try_from(rank - 1).unwrap_or(i64::MAX).into());
        let sql = format!(
            "SELECT first_reply_secs FROM conversations WHERE {filter} ORDER BY first_reply_secs LIMIT 1 OFFSET ?"
        );
        let secs = rows(db, &sql, at_rank).await?.first().map(|row| count(row, 0)).transpose()?;
        times.push(secs);
    }
    Ok((answered, times))
}

/// Conversations whose lead first wrote in `window` and have no answer yet.
pub async fn unanswered<C: ConnectionTrait>(db: &C, scope: Scope, window: Window) -> Result<u64, DbErr> {
    let mut values: Vec<Value> = vec![window.start.into(), window.end.into()];
    let owner = owner_filter("owner_id", scope, &mut values);
    let sql = format!(
        "SELECT COUNT(*) FROM conversations \
         WHERE first_lead_at >= ? AND first_lead_at < ? AND first_reply_at IS NULL{owner}"
    );
    single_count(db, &sql, values).await
}

/// Per strategy, of the clients created in `window`: (id, name, leads, booked or won, handed off
/// by the AI).
pub async fn strategies<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    window: Window,
) -> Result<Vec<(i64, String, u64, u64, u64)>, DbErr> {
    let mut values: Vec<Value> = vec![window.start.into(), window.end.into()];
    let owner = owner_filter("cl.owner_id", scope, &mut values);
    let sql = format!(
        "SELECT s.id, s.name, COUNT(*), \
           SUM(CASE WHEN cl.status IN ('booked', 'won') THEN 1 ELSE 0 END), \
           SUM(CASE WHEN v.handed_off_at IS NOT NULL THEN 1 ELSE 0 END) \
         FROM clients cl JOIN strategies s ON s.id = cl.strategy_id \
         LEFT JOIN conversations v ON v.client_id = cl.id \
         WHERE cl.created_at >= ? AND cl.created_at < ?{owner} GROUP BY s.id, s.name"
    );
    rows(db, &sql, values)
        .await?
        .iter()
        .map(|row| {
            Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?, count(row, 2)?, count(row, 3)?, count(row, 4)?))
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
/// whose lead first wrote in `window`.
pub async fn median_first_reply<C: ConnectionTrait>(db: &C, owner: i64, window: Window) -> Result<Option<u64>, DbErr> {
    let values: Vec<Value> = vec![window.start.into(), window.end.into(), owner.into()];
    let filter = "first_lead_at >= ? AND first_lead_at < ? AND owner_id = ? AND first_reply_secs IS NOT NULL";
    let answered =
        single_count(db, &format!("SELECT COUNT(*) FROM conversations WHERE {filter}"), values.clone()).await?;
    if answered == 0 {
        return Ok(None);
    }
    let mut at_rank = values;
    at_rank.push(i64::try_from(answered.div_ceil(2) - 1).unwrap_or(0).into());
    let sql =
        format!("SELECT first_reply_secs FROM conversations WHERE {filter} ORDER BY first_reply_secs LIMIT 1 OFFSET ?");
    rows(db, &sql, at_rank).await?.first().map(|row| count(row, 0)).transpose()
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
