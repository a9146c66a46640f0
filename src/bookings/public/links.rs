//! The signed-in user's booking link and calendar feed: read them, change the booking slug
//! (unique, validated), and regenerate the feed token (the old address then answers 404). Each
//! change is audited in its transaction.
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use super::model::BookingLinks;
use crate::{
    audit::{self, Action, Changes},
    bookings::{account::random_token, model::is_valid_slug},
    server::state::AppState,
    shared::AppError,
    users::{entity as users, model::CurrentUser},
};

const ENTITY: &str = "user";

async fn account(state: &AppState, user: &CurrentUser) -> Result<users::Model, AppError> {
    users::Entity::find_by_id(user.id).one(&state.db).await?.ok_or(AppError::Unauthenticated)
}

fn links_of(model: &users::Model) -> BookingLinks {
    let slug = model.booking_slug.clone().unwrap_or_default();
    let token = model.calendar_feed_token.clone().unwrap_or_default();
    BookingLinks {
        page_path: format!("/book/{slug}"),
        feed_path: format!("/calendar/{token}.ics"),
        slug,
        booking_enabled: model.booking_enabled,
    }
}

pub async fn links(state: &AppState, user: &CurrentUser) -> Result<BookingLinks, AppError> {
    Ok(links_of(&account(state, user).await?))
}

/// A new secret for the user's feed: calendars subscribed to the old address stop getting it.
pub async fn regenerate_feed(state: &AppState, user: &CurrentUser) -> Result<BookingLinks, AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    let model = users::Entity::find_by_id(user.id).one(&txn).await?.ok_or(AppError::Unauthenticated)?;
    let mut active = model.into_active_model();
    active.calendar_feed_token = Set(Some(random_token()));
    active.updated_at = Set(chrono::Utc::now());
    let model = active.update(&txn).await?;
    // The token is a secret: the log says that it changed, not what it is.
    audit::record(
        &txn,
        Some(user.id),
        ENTITY,
        user.id,
        Action::Update,
        Changes::new().set("calendar_feed", "regenerated"),
    )
    .await?;
    txn.commit().await?;
    Ok(links_of(&model))
}

/// Gives the user's public page the address `/book/{slug}`.
pub async fn set_slug(state: &AppState, user: &CurrentUser, slug: &str) -> Result<BookingLinks, AppError> {
    let slug = slug.trim();
    if !is_valid_slug(slug) {
        return Err(AppError::field("booking_slug", "Use 1 to 48 lower-case letters, digits and single hyphens."));
    }
    let txn = crate::server::db::begin_write(&state.db).await?;
    let model = users::Entity::find_by_id(user.id).one(&txn).await?.ok_or(AppError::Unauthenticated)?;
    let old = model.booking_slug.clone().unwrap_or_default();
    if old == slug {
        return Ok(links_of(&model));
    }
    let mut active = model.into_active_model();
    active.booking_slug = Set(Some(slug.to_owned()));
    active.updated_at = Set(chrono::Utc::now());
    let model = match active.update(&txn).await {
        Ok(model) => model,
        Err(error) if crate::server::sql::is_unique_violation(&error) => {
            return Err(AppError::field("booking_slug", "Another account has this booking link. Choose another."));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(
        &txn,
        Some(user.id),
        ENTITY,
        user.id,
        Action::Update,
        Changes::new().diff("booking_slug", old, slug.to_owned()),
    )
    .await?;
    txn.commit().await?;
    Ok(links_of(&model))
}
