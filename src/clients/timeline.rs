//! Latest-first keyset pages over `(time, id)`: a client's messages and its activity. A cursor is
//! `{id}.{nanoseconds}`, so it compares equal to what is stored; a cursor that does not parse
//! starts from the latest page.
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select,
    sea_query::{Expr, ExprTrait as _},
};

use super::detail::{TimelinePage, TimelineQuery};

pub fn encode(at: DateTime<Utc>, id: i64) -> String {
    format!("{id}.{}", at.timestamp_nanos_opt().unwrap_or_default())
}

pub fn decode(cursor: &str) -> Option<(DateTime<Utc>, i64)> {
    let (id, nanos) = cursor.split_once('.')?;
    Some((DateTime::from_timestamp_nanos(nanos.parse().ok()?), id.parse().ok()?))
}

/// One page of `select`, newest first. `key` gives a row's `(time, id)`, which must be the
/// values of the `at` and `id` columns (an index on them keeps every page a range scan).
pub async fn latest_first<E, C>(
    db: &C,
    select: Select<E>,
    (at, id): (E::Column, E::Column),
    query: &TimelineQuery,
    size: u64,
    key: impl Fn(&E::Model) -> (DateTime<Utc>, i64),
) -> Result<TimelinePage<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let older = decode(&query.older);
    let newer = if older.is_none() { decode(&query.newer) } else { None };
    let mut select = select;
    let forward = newer.is_some();
    if let Some((time, row_id)) = older.or(newer) {
        let row = Expr::tuple([Expr::col((E::default(), at)), Expr::col((E::default(), id))]);
        let start = Expr::tuple([Expr::val(time), Expr::val(row_id)]);
        select = select.filter(if forward { row.gt(start) } else { row.lt(start) });
    }
    let order = if forward { Order::Asc } else { Order::Desc };
    let mut rows = select.order_by(at, order.clone()).order_by(id, order).limit(size + 1).all(db).await?;
    let more = rows.len() as u64 > size;
    rows.truncate(size as usize);
    if forward {
        rows.reverse();
    }
    let cursor = |row: Option<&E::Model>| {
        row.map(|row| {
            let (time, id) = key(row);
            encode(time, id)
        })
    };
    let (newer_cursor, older_cursor) = if forward {
        // Coming back from an older page: there is always an older page (the one we came from).
        (if more { cursor(rows.first()) } else { None }, cursor(rows.last()))
    } else {
        (if older.is_some() { cursor(rows.first()) } else { None }, if more { cursor(rows.last()) } else { None })
    };
    Ok(TimelinePage { items: rows, newer: newer_cursor, older: older_cursor })
}
