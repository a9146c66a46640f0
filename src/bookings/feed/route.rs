//! The HTTP routes of calendar files, registered in `crate::domains::routes` and public in the
//! sign-in guard: each reaches only what its secret token grants, and an unknown token is a 404.
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::ics::{self, Audience};
use crate::{
    bookings::{entity as bookings, model::BookingStatus, service::find_by_token},
    server::state::AppState,
    shared::AppError,
    users::entity as users,
};

/// The most events one feed holds (the latest starts first out).
const MAX_FEED_EVENTS: u64 = 5_000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/calendar/{file}", get(user_feed)).route("/booking/{token}/invite.ics", get(one_booking))
}

/// Tokens are 32 hex digits; anything else is no token.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "No calendar here.").into_response()
}

fn calendar_file(body: String, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{file_name}\"")),
        ],
        body,
    )
        .into_response()
}

fn failed(error: AppError) -> Response {
    tracing::error!(%error, "could not write a calendar file");
    (StatusCode::INTERNAL_SERVER_ERROR, "The calendar could not be read. Please try again.").into_response()
}

/// The bookings of `owner_id` a feed read now shows: from [`ics::PAST_DAYS`] ago on, cancelled
/// ones for [`ics::CANCELLED_KEPT_DAYS`] after their cancellation.
pub async fn feed_bookings(state: &AppState, owner_id: i64) -> Result<Vec<bookings::Model>, AppError> {
    let now = Utc::now();
    let recent_cancel = Condition::any()
        .add(bookings::Column::Status.ne(BookingStatus::Cancelled.as_str()))
        .add(bookings::Column::UpdatedAt.gt(now - Duration::days(ics::CANCELLED_KEPT_DAYS)));
    Ok(bookings::Entity::find()
        .filter(bookings::Column::OwnerId.eq(owner_id))
        .filter(bookings::Column::EndsAt.gt(now - Duration::days(ics::PAST_DAYS)))
        .filter(recent_cancel)
        .order_by_desc(bookings::Column::StartsAt)
        .limit(MAX_FEED_EVENTS)
        .all(&state.db)
        .await?)
}

/// `/calendar/{token}.ics`: every booking of the account whose feed token it is.
async fn user_feed(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics").filter(|token| is_token(token)) else { return not_found() };
    let owner = match users::Entity::find().filter(users::Column::CalendarFeedToken.eq(token)).one(&state.db).await {
        Ok(Some(owner)) if owner.is_active => owner,
        Ok(_) => return not_found(),
        Err(error) => return failed(error.into()),
    };
    match feed_bookings(&state, owner.id).await {
        Ok(bookings) => calendar_file(
            ics::write(&format!("{} · CRM bookings", owner.name), &bookings, &Audience::Owner),
            "bookings.ics",
        ),
        Err(error) => failed(error),
    }
}

/// The manage page's address for the person who booked, when the app knows its public origin.
pub fn manage_url(state: &AppState, token: &str) -> Option<String> {
    state.config.public_origin.as_ref().map(|origin| format!("{origin}/booking/{token}"))
}

/// The `.ics` of one booking for the person who booked it (to import in their own calendar).
pub async fn guest_file(state: &AppState, booking: &bookings::Model) -> Result<String, AppError> {
    let owner_name = users::Entity::find_by_id(booking.owner_id)
        .select_only()
        .column(users::Column::Name)
        .into_tuple::<String>()
        .one(&state.db)
        .await?
        .unwrap_or_default();
    let token = booking.manage_token.clone().unwrap_or_default();
    let audience = Audience::Guest { owner_name: &owner_name, manage_url: manage_url(state, &token) };
    Ok(ics::write(&booking.booking_type, std::slice::from_ref(booking), &audience))
}

/// `/booking/{token}/invite.ics`.
async fn one_booking(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if !is_token(&token) {
        return not_found();
    }
    let booking = match find_by_token(&state.db, &token).await {
        Ok(booking) => booking,
        Err(AppError::NotFound(_)) => return not_found(),
        Err(error) => return failed(error),
    };
    match guest_file(&state, &booking).await {
        Ok(body) => calendar_file(body, "booking.ics"),
        Err(error) => failed(error),
    }
}
