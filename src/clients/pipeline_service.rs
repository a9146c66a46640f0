//! The pipeline board's query: per stage, the most recently active clients of the filtered set
//! (an index range scan each, keyset-paged like the list), the stages' totals (one read of the counters, or a bounded count
//! per stage under a search or strategy filter), then one query each for the cards' strategy and
//! owner names.
use std::collections::HashMap;

use super::{
    counts, entity, list_query,
    model::{ClientQuery, STATUSES},
    pipeline::{CARDS_PER_STAGE, PipelineBoard, PipelineCard, PipelineCards, PipelineColumn},
    service,
};
use crate::{server::state::AppState, shared::AppError, users::model::CurrentUser};

/// The board for `query`'s search, strategy and owner filters (its status and sort are the
/// board's own: every stage, latest activity first).
pub async fn board(state: &AppState, user: &CurrentUser, query: &ClientQuery) -> Result<PipelineBoard, AppError> {
    crate::shared::search::check_search(&query.q)?;
    let db = &state.db;
    let statuses: Vec<&str> = STATUSES.iter().map(|(status, _)| *status).collect();
    let totals = counts::stage_totals(db, user, &query.first_page(), &statuses).await?;
    let mut stages = Vec::with_capacity(STATUSES.len());
    for ((status, _), total) in STATUSES.iter().zip(totals) {
        let window = list_query::page_of(db, user, &stage_query(query, status, ""), CARDS_PER_STAGE).await?;
        stages.push((status, total, window));
    }
    let mut cards = cards_of(state, user, stages.iter().flat_map(|(_, _, window)| window.rows.iter())).await?;
    let columns = stages
        .into_iter()
        .map(|(status, total, window)| PipelineColumn {
            status: (*status).to_owned(),
            total,
            cards: cards.drain(..window.rows.len()).collect(),
            next: window.next,
        })
        .collect();
    Ok(PipelineBoard { columns })
}

/// The next cards of `query.status`'s column after the cursor `query.after` (one index range
/// scan on `(owner_id, status, last_activity_at, id)`, never an offset).
pub async fn more_cards(state: &AppState, user: &CurrentUser, query: &ClientQuery) -> Result<PipelineCards, AppError> {
    crate::shared::search::check_search(&query.q)?;
    let Some(status) = query.status_filter() else {
        return Err(AppError::field("status", "Choose a status from the list."));
    };
    let window =
        list_query::page_of(&state.db, user, &stage_query(query, status, &query.after), CARDS_PER_STAGE).await?;
    Ok(PipelineCards { cards: cards_of(state, user, window.rows.iter()).await?, next: window.next })
}

/// A column's query: the board's filters, one stage, latest activity first, after `after`.
fn stage_query(query: &ClientQuery, status: &str, after: &str) -> ClientQuery {
    ClientQuery {
        status: status.to_owned(),
        sort: String::new(),
        dir: String::new(),
        after: after.to_owned(),
        before: String::new(),
        ..query.clone()
    }
}

/// The cards of `rows`, in order, with one query each for their strategy and owner names.
async fn cards_of<'a>(
    state: &AppState,
    user: &CurrentUser,
    rows: impl Iterator<Item = &'a entity::Model> + Clone,
) -> Result<Vec<PipelineCard>, AppError> {
    let db = &state.db;
    let strategy_names = service::strategy_names(db, rows.clone().map(|row| row.strategy_id)).await?;
    let owner_names = if user.is_admin() {
        service::user_names(db, rows.clone().map(|row| row.owner_id)).await?
    } else {
        HashMap::new()
    };
    Ok(rows
        .map(|row| PipelineCard {
            id: row.id,
            name: row.name.clone(),
            company: row.company.clone(),
            strategy_name: strategy_names.get(&row.strategy_id).cloned().unwrap_or_default(),
            owner_name: owner_names.get(&row.owner_id).cloned(),
        })
        .collect())
}
