use sea_orm::{
    EntityTrait, FromQueryResult, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};

use super::model::FirstSteps;
use crate::{
    clients::entity as clients,
    server::state::AppState,
    shared::AppError,
    strategies::entity as strategies,
    users::{entity as users, model::CurrentUser},
};

#[derive(FromQueryResult)]
struct Row {
    strategy: bool,
    client: bool,
    schedule: bool,
}

/// One statement: two index probes that stop at the first row, and the person's own row. Working
/// hours stay NULL (the built-in defaults) until the person saves their settings.
pub async fn first_steps(state: &AppState, user: &CurrentUser) -> Result<FirstSteps, AppError> {
    let any_strategy = Query::select()
        .expr(Expr::val(1))
        .from(strategies::Entity)
        .and_where(Expr::col(strategies::Column::OwnerId).eq(user.id))
        .to_owned();
    let any_client = Query::select()
        .expr(Expr::val(1))
        .from(clients::Entity)
        .and_where(Expr::col(clients::Column::OwnerId).eq(user.id))
        .to_owned();
    let row = users::Entity::find_by_id(user.id)
        .select_only()
        .expr_as(Expr::exists(any_strategy), "strategy")
        .expr_as(Expr::exists(any_client), "client")
        .expr_as(Expr::col(users::Column::WorkingHours).is_not_null(), "schedule")
        .into_model::<Row>()
        .one(&state.db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(FirstSteps { strategy: row.strategy, client: row.client, schedule: row.schedule })
}
