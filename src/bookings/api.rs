//! Booking server functions: thin wrappers that hand the signed-in user to the services, which
//! decide what that user reaches (their own bookings and types; everyone's for an admin).
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;

use super::model::{
    AvailabilityView, Booking, BookingDetails, BookingType, BookingTypeForm, Outcome, Slot, WeeklyHoursForm,
};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::respond;
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

/// The bookings of `owner_id` (default: the caller) that start in `[from, to)`.
#[server(prefix = "/api", endpoint = "list_bookings")]
pub async fn list_bookings(
    owner_id: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Booking>, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::list(&state, &user, owner_id.unwrap_or(user.id), from, to).await
        }
        .await,
    )
}

/// A booking made by hand from the calendar (the owner's hours do not apply; overlaps are refused).
#[server(prefix = "/api", endpoint = "create_booking")]
pub async fn create_booking(
    owner_id: Option<i64>,
    booking_type_id: Option<i64>,
    client_id: Option<i64>,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    #[server(default)] timezone: String,
    #[server(flatten)] details: BookingDetails,
) -> Result<Booking, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let input = super::model::NewBooking {
                owner_id: owner_id.unwrap_or(user.id),
                booking_type_id,
                client_id,
                starts_at,
                ends_at,
                timezone,
                subject: details.subject,
                location: details.location,
                notes: details.notes,
            };
            super::service::create(&state, &user, input).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "reschedule_booking")]
pub async fn reschedule_booking(id: i64, starts_at: DateTime<Utc>) -> Result<Booking, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::reschedule(&state, &user, id, starts_at).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "cancel_booking")]
pub async fn cancel_booking(id: i64, #[server(default)] reason: String) -> Result<Booking, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::cancel(&state, &user, id, &reason).await
        }
        .await,
    )
}

/// Marks a booking that has started as completed or a no-show.
#[server(prefix = "/api", endpoint = "record_booking_outcome")]
pub async fn record_booking_outcome(id: i64, outcome: Outcome) -> Result<Booking, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::record_outcome(&state, &user, id, outcome, super::service::now()).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "edit_booking")]
pub async fn edit_booking(id: i64, #[server(flatten)] details: BookingDetails) -> Result<Booking, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::edit_details(&state, &user, id, &details).await
        }
        .await,
    )
}

/// The booking types of `owner_id` (default: the caller).
#[server(prefix = "/api", endpoint = "list_booking_types")]
pub async fn list_booking_types(owner_id: Option<i64>) -> Result<Vec<BookingType>, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::types::service::list(&state, &user, owner_id.unwrap_or(user.id)).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "create_booking_type")]
pub async fn create_booking_type(
    owner_id: Option<i64>,
    #[server(flatten)] form: BookingTypeForm,
) -> Result<BookingType, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let fields = form.parse().map_err(AppError::Validation)?;
            super::types::service::create(&state, &user, owner_id.unwrap_or(user.id), &fields).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "update_booking_type")]
pub async fn update_booking_type(id: i64, #[server(flatten)] form: BookingTypeForm) -> Result<BookingType, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let fields = form.parse().map_err(AppError::Validation)?;
            super::types::service::update(&state, &user, id, &fields).await
        }
        .await,
    )
}

/// Deletes a booking type (kept for the bookings made with it; see the types service). The form
/// asks for a ticked `confirm`; the last type of an account is refused.
#[server(prefix = "/api", endpoint = "delete_booking_type")]
pub async fn delete_booking_type(id: i64, #[server(default)] confirm: Option<String>) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            if confirm.is_none() {
                return Err(AppError::field("confirm", "Tick the box to confirm that this type is deleted."));
            }
            super::types::service::delete(&state, &user, id).await
        }
        .await,
    )
}

/// The free slots of a booking type starting in `[from, to)`, labelled in `timezone` (default:
/// the caller's zone).
#[server(prefix = "/api", endpoint = "booking_free_slots")]
pub async fn booking_free_slots(
    booking_type_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    #[server(default)] timezone: String,
) -> Result<Vec<Slot>, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let now = super::service::now();
            super::availability::service::slots_for(&state, &user, booking_type_id, (from, to), &timezone, now).await
        }
        .await,
    )
}

/// The weekly hours and upcoming date overrides of `owner_id` (default: the caller).
#[server(prefix = "/api", endpoint = "booking_availability")]
pub async fn booking_availability(owner_id: Option<i64>) -> Result<AvailabilityView, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::availability::service::view(&state, &user, owner_id.unwrap_or(user.id)).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "set_weekly_hours")]
pub async fn set_weekly_hours(
    owner_id: Option<i64>,
    #[server(flatten)] form: WeeklyHoursForm,
) -> Result<AvailabilityView, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let owner_id = owner_id.unwrap_or(user.id);
            super::availability::service::set_weekly_hours(&state, &user, owner_id, &form).await?;
            super::availability::service::view(&state, &user, owner_id).await
        }
        .await,
    )
}

/// Gives `date` its own `hours` (empty: a day off); `clear` gives it back to its weekday.
#[server(prefix = "/api", endpoint = "set_date_override")]
pub async fn set_date_override(
    owner_id: Option<i64>,
    date: NaiveDate,
    #[server(default)] hours: String,
    #[server(default)] clear: bool,
) -> Result<AvailabilityView, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let owner_id = owner_id.unwrap_or(user.id);
            let hours = (!clear).then_some(hours.as_str());
            super::availability::service::set_date_override(&state, &user, owner_id, date, hours).await?;
            super::availability::service::view(&state, &user, owner_id).await
        }
        .await,
    )
}

/// A calendar page: `query` is the page's address (view, date, owner, agenda cursor).
#[server(prefix = "/api", endpoint = "load_calendar")]
pub async fn load_calendar(
    #[server(flatten)] query: super::calendar::CalendarQuery,
) -> Result<super::calendar::CalendarData, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::calendar_service::calendar(&state, &user, &query, super::service::now()).await
        }
        .await,
    )
}

/// `/bookings/{id}`'s data; another user's booking is "not found".
#[server(prefix = "/api", endpoint = "load_booking")]
pub async fn load_booking(id: i64) -> Result<super::calendar::BookingPage, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::calendar_service::page(&state, &user, id, super::service::now()).await
        }
        .await,
    )
}

/// `/bookings/new`'s data: types, the chosen type's free slots from `date` on, the client, and the
/// owner's clients matching `client_q`.
#[server(prefix = "/api", endpoint = "load_booking_form")]
pub async fn load_booking_form(
    #[server(default)] owner: Option<i64>,
    #[server(default)] client: Option<i64>,
    #[server(default)] booking_type: Option<i64>,
    #[server(default)] date: String,
    #[server(default)] start: String,
    #[server(default)] client_q: String,
) -> Result<super::calendar::BookingFormData, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let request = super::calendar_service::FormRequest { owner, client, booking_type, date, start, client_q };
            super::calendar_service::form_data(&state, &user, &request, super::service::now()).await
        }
        .await,
    )
}

/// Books from the new-booking form (a free slot or a time of one's own) and opens the booking.
#[server(prefix = "/api", endpoint = "book_from_form")]
pub async fn book_from_form(#[server(flatten)] form: super::calendar::BookingForm) -> Result<i64, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let booking = super::calendar_service::book(&state, &user, &form).await?;
            crate::server::redirect::redirect(&format!("/bookings/{}", booking.id));
            Ok(booking.id)
        }
        .await,
    )
}

/// Moves a booking to `date` at `time` in its owner's zone.
#[server(prefix = "/api", endpoint = "reschedule_from_form")]
pub async fn reschedule_from_form(
    id: i64,
    #[server(default)] date: String,
    #[server(default)] time: String,
) -> Result<Booking, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::calendar_service::reschedule_local(&state, &user, id, &date, &time).await
        }
        .await,
    )
}
