//! The persona's booking reminders in the conversation: when a booking's reminder is due (see
//! `crate::bookings::reminders`), the persona writes one public message in the client's
//! conversation, which the lead sees in the public chat and the team in the thread. It is a notice
//! ([`chat::write_once`]): written once per booking, reminder and SEQUENCE however often the job
//! runs, it answers nothing (a lead waiting for the team still waits), and, being the AI's, it
//! schedules no AI reply.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::EntityTrait;

use crate::{
    bookings::{
        entity as bookings,
        reminders::{Kind, day, soon},
    },
    chat::service::{self as chat, Author, NewMessage},
    clients::entity as clients,
    server::state::AppState,
    shared::AppError,
};

/// The idempotency key of a booking's reminder message: a moved booking (a new SEQUENCE) is
/// reminded again.
pub fn message_key(booking: &bookings::Model, kind: Kind) -> String {
    format!("booking-reminder:{}:{}:{}", booking.id, booking.sequence, kind.as_str())
}

/// "Reminder: your call (Intro call) is tomorrow, Tue 8 Dec at 10:00 (WET). Reply here if you need
/// another time." (an hour before: "is in one hour, today, Tue 8 Dec at 10:00").
pub fn text(booking: &bookings::Model, now: DateTime<Utc>, zone: Tz) -> String {
    let start = booking.starts_at.with_timezone(&zone);
    let date = start.format("%a %-d %b at %H:%M");
    let on = match day(booking.starts_at, now, zone).as_str() {
        relative @ ("today" | "tomorrow") => format!("{relative}, {date}"),
        _ => format!("on {date}"),
    };
    let when = match soon(booking.starts_at, now) {
        Some(soon) => format!("{soon}, {on}"),
        None => on,
    };
    format!(
        "Reminder: your call ({}) is {when} ({}). Reply here if you need another time.",
        booking.booking_type,
        start.format("%Z")
    )
}

/// Writes the reminder `kind` of `booking` as at `now` in its client's conversation, once; answers
/// the message written by this call (`None`: no client, or written before).
pub async fn write(
    state: &AppState,
    booking: &bookings::Model,
    kind: Kind,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let Some(client_id) = booking.client_id else { return Ok(None) };
    let Some(client) = clients::Entity::find_by_id(client_id).one(&state.db).await? else { return Ok(None) };
    // The lead's own zone when the chat learnt it, else the one the booking was made in.
    let zone = [client.timezone.as_deref(), Some(booking.timezone.as_str())]
        .into_iter()
        .flatten()
        .find_map(|name| name.parse::<Tz>().ok())
        .unwrap_or(chrono_tz::UTC);
    let body = text(booking, now, zone);
    let new = NewMessage { client_id, author: Author::Ai, body: &body, private: false, channel: "web" };
    let txn = crate::server::db::begin_write(&state.db).await?;
    let Some(recorded) = chat::write_once(&txn, new, &message_key(booking, kind)).await? else {
        return Ok(None);
    };
    txn.commit().await?;
    chat::announce(state, &recorded, Author::Ai).await;
    Ok(Some(recorded.message.id))
}
