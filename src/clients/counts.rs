//! Totals for the clients list and the pipeline. Owner and stage are read from `client_counts`,
//! which triggers keep exact (see its migration): a handful of rows, however large the book.
//! A search, a strategy or a creation-date filter counts the matching rows instead, up to a bound.
use std::collections::HashMap;

use sea_orm::{
    ConnectionTrait, DbErr,
    sea_query::{Alias, Expr, ExprTrait as _, Query},
};

use super::{
    list_query,
    model::{ClientQuery, Total},
};
use crate::users::model::CurrentUser;

/// Whether the counters can answer `query`: they know owners and stages, nothing else.
fn counters_answer(query: &ClientQuery) -> bool {
    query.q.trim().is_empty() && query.strategy.is_none() && !query.has_created_filter()
}

/// Whose clients `user` is looking at: their own, or for an admin everyone's or one owner's.
fn owner_scope(user: &CurrentUser, query: &ClientQuery) -> Option<i64> {
    if user.is_admin() { query.owner } else { Some(user.id) }
}

/// The counters of `owner` (everyone when `None`), by stage.
async fn counters<C: ConnectionTrait>(db: &C, owner: Option<i64>) -> Result<HashMap<String, u64>, DbErr> {
    let statement = Query::select()
        .columns([Alias::new("status"), Alias::new("count")])
        .from(Alias::new("client_counts"))
        .and_where_option(owner.map(|owner| Expr::col(Alias::new("owner_id")).eq(owner)))
        .to_owned();
    let mut by_status = HashMap::new();
    for row in db.query_all_raw(db.get_database_backend().build(&statement)).await? {
        let status: String = row.try_get_by_index(0)?;
        let count: i64 = row.try_get_by_index(1)?;
        *by_status.entry(status).or_default() += u64::try_from(count).unwrap_or(0);
    }
    Ok(by_status)
}

/// How many clients match `query`'s scope and filters.
pub async fn total<C: ConnectionTrait>(db: &C, user: &CurrentUser, query: &ClientQuery) -> Result<Total, DbErr> {
    if !counters_answer(query) {
        return list_query::bounded_count(db, user, query).await;
    }
    let by_status = counters(db, owner_scope(user, query)).await?;
    Ok(Total::exact(match query.status_filter() {
        Some(status) => by_status.get(status).copied().unwrap_or(0),
        None => by_status.values().sum(),
    }))
}

/// The pipeline's total for each of `statuses` under `query`'s filters (its own status ignored):
/// one read of the counters, or one bounded count per stage when they cannot answer.
pub async fn stage_totals<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    query: &ClientQuery,
    statuses: &[&str],
) -> Result<Vec<Total>, DbErr> {
    if counters_answer(query) {
        let by_status = counters(db, owner_scope(user, query)).await?;
        return Ok(statuses.iter().map(|status| Total::exact(by_status.get(*status).copied().unwrap_or(0))).collect());
    }
    let mut totals = Vec::with_capacity(statuses.len());
    for status in statuses {
        let stage = ClientQuery { status: (*status).to_owned(), ..query.clone() };
        totals.push(list_query::bounded_count(db, user, &stage).await?);
    }
    Ok(totals)
}
