//! Server functions of the public pages (deliberately public: no session needed, each reaches only
//! what its slug or token grants, every call rate limited per client address) and of the settings
//! section (signed in). Thin: they hand over to `service` and `links`.
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::model::{BookingLinks, GuestForm, ManageView, PublicPage};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::{redirect_plain_form, respond};
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

/// The state, after counting one public call of the client's address: reads (`write` false)
/// have ten times the budget of bookings, moves and cancellations.
#[cfg(feature = "ssr")]
async fn public_call(write: bool) -> Result<crate::server::state::AppState, AppError> {
    let state = crate::server::state::current()?;
    let client_ip = crate::server::request::client_ip().await;
    super::service::limit(&state, client_ip, write).await?;
    Ok(state)
}

/// The public booking page of `slug` (and its type `booking_type`), with free slots in `tz`.
#[server(prefix = "/api", endpoint = "public_booking_page")]
pub async fn public_booking_page(
    slug: String,
    booking_type: Option<String>,
    #[server(default)] tz: String,
) -> Result<PublicPage, AppError> {
    respond(
        async {
            let state = public_call(false).await?;
            let now = crate::bookings::service::now();
            super::service::page(&state, &slug, booking_type.as_deref(), &tz, now).await
        }
        .await,
    )
}

/// Books `starts_at` as a visitor; answers the manage link's token (without JavaScript: a redirect
/// to the confirmation).
#[server(prefix = "/api", endpoint = "book_public_slot")]
pub async fn book_public_slot(
    slug: String,
    booking_type: String,
    #[server(default)] tz: String,
    starts_at: DateTime<Utc>,
    #[server(flatten)] guest: GuestForm,
) -> Result<String, AppError> {
    respond(
        async {
            let state = public_call(true).await?;
            let now = crate::bookings::service::now();
            let token = super::service::book(&state, (&slug, &booking_type), &tz, starts_at, &guest, now).await?;
            redirect_plain_form(&format!("/booking/{token}?done=booked"));
            Ok(token)
        }
        .await,
    )
}

/// The booking of a manage link, in `tz` (empty: the zone it was booked in).
#[server(prefix = "/api", endpoint = "public_booking")]
pub async fn public_booking(token: String, #[server(default)] tz: String) -> Result<ManageView, AppError> {
    respond(
        async {
            let state = public_call(false).await?;
            super::service::manage(&state, &token, &tz, crate::bookings::service::now()).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "reschedule_public_booking")]
pub async fn reschedule_public_booking(token: String, starts_at: DateTime<Utc>) -> Result<(), AppError> {
    respond(
        async {
            let state = public_call(true).await?;
            super::service::reschedule(&state, &token, starts_at, crate::bookings::service::now()).await?;
            redirect_plain_form(&format!("/booking/{token}?done=rescheduled"));
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "cancel_public_booking")]
pub async fn cancel_public_booking(token: String, #[server(default)] reason: String) -> Result<(), AppError> {
    respond(
        async {
            let state = public_call(true).await?;
            super::service::cancel(&state, &token, &reason).await?;
            redirect_plain_form(&format!("/booking/{token}?done=cancelled"));
            Ok(())
        }
        .await,
    )
}

/// The caller's booking page address and calendar feed.
#[server(prefix = "/api", endpoint = "load_booking_links")]
pub async fn load_booking_links() -> Result<BookingLinks, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::links::links(&state, &user).await
        }
        .await,
    )
}

/// A new secret feed address; the old one answers 404 from now on.
#[server(prefix = "/api", endpoint = "regenerate_calendar_feed")]
pub async fn regenerate_calendar_feed() -> Result<BookingLinks, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let links = super::links::regenerate_feed(&state, &user).await?;
            redirect_plain_form("/settings?saved=feed");
            Ok(links)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "set_booking_slug")]
pub async fn set_booking_slug(booking_slug: String) -> Result<BookingLinks, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let links = super::links::set_slug(&state, &user, &booking_slug).await?;
            redirect_plain_form("/settings?saved=booking-link");
            Ok(links)
        }
        .await,
    )
}
