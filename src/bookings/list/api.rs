//! The bookings list's server function: the signed-in user's page of their bookings (an admin's:
//! everyone's, or one owner's).
use leptos::prelude::*;

use super::model::{BookingListPage, BookingListQuery};
use crate::shared::AppError;

#[server(prefix = "/api", endpoint = "load_booking_list")]
pub async fn load_booking_list(#[server(flatten)] query: BookingListQuery) -> Result<BookingListPage, AppError> {
    crate::server::request::respond(
        async {
            let (state, user) = crate::users::auth::signed_in().await?;
            super::service::page(&state, &user, &query).await
        }
        .await,
    )
}
