//! The bookings list's reads: the filters as conditions on `bookings`, a keyset page on the index
//! of the sort's column (`bookings_owner_starts_idx` / `bookings_starts_idx` by start,
//! `bookings_owner_created_idx` / `bookings_created_idx` by the moment a booking was made; every
//! one ends with the id and carries the status), and a count of the matches that stops at
//! [`COUNT_CAP`].
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
    sea_query::{Alias, Expr, ExprTrait as _, Query},
};

use super::model::{BookingListPage, BookingListQuery, BookingListRow, COUNT_CAP, PAGE_SIZE, SortKey, StatusFilter};
use crate::{
    bookings::{calendar_service::owner_choices, entity, model::BookingStatus},
    clients::{entity as clients, list_query, timeline},
    server::{local_time, state::AppState},
    shared::AppError,
    users::{entity as users, model::CurrentUser},
};

/// `[start of first, start of the day after last)` in `zone`, either end open.
fn days(zone: chrono_tz::Tz, first: &str, last: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let start = local_time::parse_day(first).map(|day| local_time::day_start(zone, day));
    let end = local_time::parse_day(last)
        .and_then(|day: NaiveDate| day.checked_add_signed(Duration::days(1)))
        .map(|day| local_time::day_start(zone, day));
    (start, end)
}

fn column(key: SortKey) -> entity::Column {
    match key {
        SortKey::Starts => entity::Column::StartsAt,
        SortKey::Made => entity::Column::CreatedAt,
    }
}

/// The bookings `user` sees that match `query`'s search and filters (not its cursor): a member's
/// own, an admin's everyone's or the chosen owner's.
fn filtered(backend: DatabaseBackend, user: &CurrentUser, query: &BookingListQuery) -> Select<entity::Entity> {
    let zone = local_time::zone(&user.timezone);
    let mut select = entity::Entity::find();
    let owner = if user.is_admin() { query.owner() } else { Some(user.id) };
    if let Some(owner) = owner {
        select = select.filter(entity::Column::OwnerId.eq(owner));
    }
    if list_query::is_search(&query.q) {
        // The clients the clients list's search finds, by its own indexes: the owner's own when
        // the list is one person's (the owner index narrows the trigram match; a booking whose
        // client moved to someone else is then not found by its client), everyone's otherwise.
        let clients = list_query::matching_ids_sql(backend, owner, &query.q);
        select = select.filter(Expr::cust(format!("\"bookings\".\"client_id\" IN ({clients})")));
    }
    for (col, (start, end)) in [
        (entity::Column::CreatedAt, days(zone, &query.made_from, &query.made_to)),
        (entity::Column::StartsAt, days(zone, &query.from, &query.to)),
    ] {
        if let Some(start) = start {
            select = select.filter(col.gte(start));
        }
        if let Some(end) = end {
            select = select.filter(col.lt(end));
        }
    }
    match query.status() {
        StatusFilter::Any => select,
        StatusFilter::One(status) => select.filter(entity::Column::Status.eq(status.as_str())),
        StatusFilter::Attended => select
            .filter(entity::Column::Status.is_in([BookingStatus::Completed.as_str(), BookingStatus::NoShow.as_str()])),
    }
}

/// How many bookings match, counting no further than one past [`COUNT_CAP`].
async fn capped_count<C: ConnectionTrait>(db: &C, select: Select<entity::Entity>) -> Result<u64, AppError> {
    let ids = select.select_only().column(entity::Column::Id).limit(COUNT_CAP + 1).into_query();
    let count = Query::select().expr(Expr::cust("COUNT(*)")).from_subquery(ids, Alias::new("capped")).to_owned();
    let row = db.query_one_raw(db.get_database_backend().build(&count)).await?;
    let count: i64 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(u64::try_from(count).unwrap_or_default())
}

async fn names<C, E>(db: &C, id: E::Column, name: E::Column, ids: Vec<i64>) -> Result<HashMap<i64, String>, AppError>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String)> =
        E::find().select_only().column(id).column(name).filter(id.is_in(ids)).into_tuple().all(db).await?;
    Ok(rows.into_iter().collect())
}

fn sorted_ids(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A page of the bookings list for `user`, times in their zone.
pub async fn page(state: &AppState, user: &CurrentUser, query: &BookingListQuery) -> Result<BookingListPage, AppError> {
    crate::shared::search::check_search(&query.q)?;
    let db = &state.db;
    let zone = local_time::zone(&user.timezone);
    let sort = query.sort();
    let col = column(sort.key);
    let order = if sort.descending { Order::Desc } else { Order::Asc };
    let backend = db.get_database_backend();
    let mut select = filtered(backend, user, query);
    if let Some((at, id)) = timeline::decode(&query.after) {
        let row = Expr::tuple([Expr::col((entity::Entity, col)), Expr::col((entity::Entity, entity::Column::Id))]);
        let start = Expr::tuple([Expr::val(at), Expr::val(id)]);
        select = select.filter(if sort.descending { row.lt(start) } else { row.gt(start) });
    }
    let (mut models, total) = futures::try_join!(
        async {
            Ok::<_, AppError>(
                select
                    .order_by(col, order.clone())
                    .order_by(entity::Column::Id, order.clone())
                    .limit(PAGE_SIZE + 1)
                    .all(db)
                    .await?,
            )
        },
        capped_count(db, filtered(backend, user, query)),
    )?;
    let more = models.len() as u64 > PAGE_SIZE;
    models.truncate(PAGE_SIZE as usize);
    let next = more
        .then(|| {
            models.last().map(|last| {
                let at = match sort.key {
                    SortKey::Starts => last.starts_at,
                    SortKey::Made => last.created_at,
                };
                timeline::encode(at, last.id)
            })
        })
        .flatten();

    let client_names = names::<_, clients::Entity>(
        db,
        clients::Column::Id,
        clients::Column::Name,
        sorted_ids(models.iter().filter_map(|b| b.client_id)),
    )
    .await?;
    let everyone = user.is_admin() && query.owner().is_none();
    let owner_names = if everyone {
        names::<_, users::Entity>(
            db,
            users::Column::Id,
            users::Column::Name,
            sorted_ids(models.iter().map(|b| b.owner_id)),
        )
        .await?
    } else {
        HashMap::new()
    };
    let rows = models
        .iter()
        .map(|booking| BookingListRow {
            id: booking.id,
            when: format!(
                "{}–{}",
                local_time::format(booking.starts_at, zone),
                booking.ends_at.with_timezone(&zone).format("%H:%M")
            ),
            made: local_time::format_date(booking.created_at, zone),
            who: booking
                .client_id
                .and_then(|id| client_names.get(&id).cloned())
                .or_else(|| booking.guest_name.clone())
                .filter(|name| !name.trim().is_empty())
                .unwrap_or_else(|| "No client".to_owned()),
            client_id: booking.client_id,
            booking_type: booking.booking_type.clone(),
            subject: booking.subject.clone().unwrap_or_default(),
            owner_name: everyone.then(|| owner_names.get(&booking.owner_id).cloned().unwrap_or_default()),
            status: BookingStatus::parse(&booking.status).unwrap_or(BookingStatus::Confirmed),
        })
        .collect();
    Ok(BookingListPage { rows, next, total, owners: owner_choices(db, user).await?, timezone: zone.name().to_owned() })
}
