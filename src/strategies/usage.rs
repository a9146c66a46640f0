//! Which clients a strategy leads. Clients have no entity of their own yet, so their table is
//! reached through query builders (which also write each backend's placeholders).
use std::collections::HashMap;

use sea_orm::{
    ConnectionTrait, DbErr,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query},
};

fn clients() -> Alias {
    Alias::new("clients")
}

fn column(name: &str) -> Alias {
    Alias::new(name)
}

/// How many clients use each of `strategy_ids` (strategies no client uses are absent).
pub async fn counts<C: ConnectionTrait>(db: &C, strategy_ids: &[i64]) -> Result<HashMap<i64, u64>, DbErr> {
    if strategy_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let query = Query::select()
        .column(column("strategy_id"))
        .expr_as(Func::count(Expr::col(Asterisk)), column("clients"))
        .from(clients())
        .and_where(Expr::col(column("strategy_id")).is_in(strategy_ids.iter().copied()))
        .group_by_col(column("strategy_id"))
        .to_owned();
    db.query_all(&query)
        .await?
        .into_iter()
        .map(|row| Ok((row.try_get::<i64>("", "strategy_id")?, row.try_get::<i64>("", "clients")?.unsigned_abs())))
        .collect()
}

pub async fn count<C: ConnectionTrait>(db: &C, strategy_id: i64) -> Result<u64, DbErr> {
    Ok(counts(db, &[strategy_id]).await?.get(&strategy_id).copied().unwrap_or(0))
}

/// How many clients of owners other than `owner_id` use `strategy_id` (a shared strategy's).
pub async fn count_of_other_owners<C: ConnectionTrait>(db: &C, strategy_id: i64, owner_id: i64) -> Result<u64, DbErr> {
    let query = Query::select()
        .expr_as(Func::count(Expr::col(Asterisk)), column("clients"))
        .from(clients())
        .and_where(Expr::col(column("strategy_id")).eq(strategy_id))
        .and_where(Expr::col(column("owner_id")).ne(owner_id))
        .to_owned();
    let row = db.query_one(&query).await?;
    Ok(row.map(|row| row.try_get::<i64>("", "clients")).transpose()?.unwrap_or(0).unsigned_abs())
}

/// The ids of the clients that use `strategy_id`.
pub async fn client_ids<C: ConnectionTrait>(db: &C, strategy_id: i64) -> Result<Vec<i64>, DbErr> {
    let query = Query::select()
        .column(column("id"))
        .from(clients())
        .and_where(Expr::col(column("strategy_id")).eq(strategy_id))
        .order_by(column("id"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    db.query_all(&query).await?.into_iter().map(|row| row.try_get::<i64>("", "id")).collect()
}

/// Points every client of `from` at `to`; returns how many moved.
pub async fn move_clients<C: ConnectionTrait>(db: &C, from: i64, to: i64) -> Result<u64, DbErr> {
    let update = Query::update()
        .table(clients())
        .value(column("strategy_id"), to)
        .value(column("updated_at"), chrono::Utc::now())
        .and_where(Expr::col(column("strategy_id")).eq(from))
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected())
}
