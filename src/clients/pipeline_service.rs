//! The pipeline board's query: per stage, the most recently active clients of the filtered set
//! (an index range scan each), the stages' totals (one read of the counters, or a bounded count
//! per stage under a search or strategy filter), then one query each for the cards' strategy and
//! owner names.
use std::collections::HashMap;

use sea_orm::{Order, QueryOrder, QuerySelect};

use super::{
    counts,
    entity::{self, Column},
    list_query,
    model::{ClientQuery, STATUSES},
    pipeline::{CARDS_PER_STAGE, PipelineBoard, PipelineCard, PipelineColumn},
    service,
};
use crate::{server::state::AppState, shared::AppError, users::model::CurrentUser};

/// The board for `query`'s search, strategy and owner filters (its status and sort are the
/// board's own: every stage, latest activity first).
pub async fn board(state: &AppState, user: &CurrentUser, query: &ClientQuery) -> Result<PipelineBoard, AppError> {
    crate::shared::search::check_search(&query.q)?;
    let db = &state.db;
    let backend = db.get_database_backend();
    let statuses: Vec<&str> = STATUSES.iter().map(|(status, _)| *status).collect();
    let totals = counts::stage_totals(db, user, &query.first_page(), &statuses).await?;
    let mut stages = Vec::with_capacity(STATUSES.len());
    for ((status, _), total) in STATUSES.iter().zip(totals) {
        let stage_query = ClientQuery { status: (*status).to_owned(), ..query.first_page() };
        let [by_activity, by_id] = list_query::order_terms(backend, &stage_query, Column::LastActivityAt);
        let rows = list_query::filtered(backend, user, &stage_query)
            .order_by(by_activity, Order::Desc)
            .order_by(by_id, Order::Desc)
            .limit(CARDS_PER_STAGE)
            .all(db)
            .await?;
        stages.push((status, total, rows));
    }
    let rows = || stages.iter().flat_map(|(_, _, rows)| rows.iter());
    let strategy_names = service::strategy_names(db, rows().map(|row| row.strategy_id)).await?;
    let owner_names =
        if user.is_admin() { service::user_names(db, rows().map(|row| row.owner_id)).await? } else { HashMap::new() };
    let card = |row: entity::Model| PipelineCard {
        id: row.id,
        name: row.name,
        company: row.company,
        strategy_name: strategy_names.get(&row.strategy_id).cloned().unwrap_or_default(),
        owner_name: owner_names.get(&row.owner_id).cloned(),
    };
    let columns = stages
        .into_iter()
        .map(|(status, total, rows)| PipelineColumn {
            status: (*status).to_owned(),
            total,
            cards: rows.into_iter().map(card).collect(),
        })
        .collect();
    Ok(PipelineBoard { columns })
}
