//! Reads and saves the websites that may frame an owner's public chat.
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Set};

use super::model::EmbedSettings;
use crate::{
    audit::{self, Action, Changes},
    server::state::AppState,
    shared::{AppError, origins},
    users::{entity as users, model::CurrentUser},
};

fn stored(origins: &[String]) -> String {
    origins.join("\n")
}

fn listed(stored: &str) -> Vec<String> {
    stored.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect()
}

fn settings_of(account: &users::Model, site_origin: &str) -> EmbedSettings {
    EmbedSettings {
        origins: listed(&account.embed_origins),
        talk_url: format!("{site_origin}/talk/{}", account.booking_slug.clone().unwrap_or_default()),
        owner_name: account.name.clone(),
    }
}

async fn account(state: &AppState, user: &CurrentUser) -> Result<users::Model, AppError> {
    users::Entity::find_by_id(user.id).one(&state.db).await?.ok_or(AppError::Unauthenticated)
}

/// The signed-in user's embedding settings; `site_origin` is this app's address as browsers see it.
pub async fn load(state: &AppState, user: &CurrentUser, site_origin: &str) -> Result<EmbedSettings, AppError> {
    Ok(settings_of(&account(state, user).await?, site_origin))
}

/// Replaces the list of websites that may frame the user's chat with `typed` (one per line), and
/// audits the old list. A bad entry changes nothing and says which it is.
pub async fn save(
    state: &AppState,
    user: &CurrentUser,
    typed: &str,
    site_origin: &str,
) -> Result<EmbedSettings, AppError> {
    let origins = origins::parse_list(typed).map_err(|message| AppError::field("embed_origins", message))?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let account = users::Entity::find_by_id(user.id).one(&txn).await?.ok_or(AppError::Unauthenticated)?;
    let changes = Changes::new().diff("embed_origins", account.embed_origins.clone(), stored(&origins));
    if changes.is_empty() {
        return Ok(settings_of(&account, site_origin));
    }
    let mut active = account.into_active_model();
    active.embed_origins = Set(stored(&origins));
    active.updated_at = Set(chrono::Utc::now());
    let account = active.update(&txn).await?;
    audit::record(&txn, Some(user.id), "user", user.id, Action::Update, changes).await?;
    txn.commit().await?;
    Ok(settings_of(&account, site_origin))
}

/// The origins that may frame the chat of `slug` (none for an unknown slug).
pub async fn frame_origins(state: &AppState, slug: &str) -> Result<Vec<String>, AppError> {
    let stored: Option<String> = users::Entity::find()
        .select_only()
        .column(users::Column::EmbedOrigins)
        .filter(users::Column::BookingSlug.eq(slug))
        .into_tuple()
        .one(&state.db)
        .await?;
    Ok(stored.as_deref().map(listed).unwrap_or_default())
}
