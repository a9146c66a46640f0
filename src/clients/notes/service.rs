//! Adding a note and reading the log, newest first. Adding one is working the lead: it moves the
//! client's last activity, in the note's transaction, with an audit entry.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entity::{self, Column};
use crate::{
    audit::{self, Action, Changes},
    clients::{
        detail::{NoteEntry, TimelinePage, TimelineQuery},
        detail_service::viewer_zone,
        entity as clients,
        model::MAX_NOTES_CHARS,
        service::{CLIENT_ENTITY, find, user_names},
        timeline,
    },
    server::{local_time, state::AppState},
    shared::AppError,
    users::model::CurrentUser,
};

/// Notes per page of the client page.
pub const NOTES_PAGE_SIZE: u64 = 10;

/// Adds a note by `user` to a client they may reach; returns its id.
pub async fn add(state: &AppState, user: &CurrentUser, client_id: i64, body: &str) -> Result<i64, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::field("body", "Write the note first."));
    }
    if body.chars().count() > MAX_NOTES_CHARS {
        return Err(AppError::field("body", format!("Keep a note under {MAX_NOTES_CHARS} characters.")));
    }
    let txn = crate::server::db::begin_write(&state.db).await?;
    find(&txn, user, client_id).await?;
    let now = Utc::now();
    let id = entity::Entity::insert(entity::ActiveModel {
        client_id: Set(client_id),
        author_id: Set(Some(user.id)),
        body: Set(body.to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    clients::Entity::update_many()
        .col_expr(clients::Column::WorkedAt, now.into())
        .col_expr(clients::Column::UpdatedAt, now.into())
        .filter(clients::Column::Id.eq(client_id))
        .exec(&txn)
        .await?;
    audit::record(&txn, Some(user.id), CLIENT_ENTITY, client_id, Action::Update, Changes::new().set("note", body))
        .await?;
    txn.commit().await?;
    Ok(id)
}

/// A page of a client's notes, newest first: four queries.
pub async fn page(
    state: &AppState,
    user: &CurrentUser,
    client_id: i64,
    query: &TimelineQuery,
) -> Result<TimelinePage<NoteEntry>, AppError> {
    let db = &state.db;
    find(db, user, client_id).await?;
    let zone = viewer_zone(db, user).await?;
    let page = timeline::latest_first(
        db,
        entity::Entity::find().filter(Column::ClientId.eq(client_id)),
        (Column::CreatedAt, Column::Id),
        query,
        NOTES_PAGE_SIZE,
        |note| (note.created_at, note.id),
    )
    .await?;
    let authors = user_names(db, page.items.iter().filter_map(|note| note.author_id)).await?;
    let items = page
        .items
        .into_iter()
        .map(|note| NoteEntry {
            id: note.id,
            author: note
                .author_id
                .and_then(|id| authors.get(&id).cloned())
                .unwrap_or_else(|| "A former user".to_owned()),
            at: local_time::format(note.created_at, zone),
            body: note.body,
        })
        .collect();
    Ok(TimelinePage { items, newer: page.newer, older: page.older })
}

/// Every note of the given clients, oldest first, as one text per client: for the export.
pub async fn texts_of<C: ConnectionTrait>(
    db: &C,
    client_ids: Vec<i64>,
    zone: chrono_tz::Tz,
) -> Result<HashMap<i64, String>, AppError> {
    if client_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let notes = entity::Entity::find()
        .filter(Column::ClientId.is_in(client_ids))
        .order_by_asc(Column::ClientId)
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    let authors = user_names(db, notes.iter().filter_map(|note| note.author_id)).await?;
    let mut texts: HashMap<i64, String> = HashMap::new();
    for note in notes {
        let author = note.author_id.and_then(|id| authors.get(&id).map(String::as_str)).unwrap_or("A former user");
        let text = texts.entry(note.client_id).or_default();
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&format!("[{} · {author}]\n{}", local_time::format_for_files(note.created_at, zone), note.body));
    }
    Ok(texts)
}
