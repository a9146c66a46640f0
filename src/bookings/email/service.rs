//! Queues and sends the confirmations. A change queues one job (`booking_emails` queue) naming the
//! booking, what happened and its SEQUENCE; the job sends to the person who booked and to the
//! owner, and marks each sent message in `booking_emails` so that a retried job sends only what
//! is missing. Without `SMTP_URL` nothing is queued.
use std::{sync::Arc, time::Duration};

use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor, message::Mailbox};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

pub use super::message::Event;
use super::{
    message::{Recipient, build, build_reminder},
    sent_entity as sent,
};
use crate::{
    bookings::{entity as bookings, feed::route::manage_url},
    clients::entity as clients,
    server::{
        config::SmtpConfig,
        infra::Job,
        state::AppState,
        worker::{JobOutcome, QueueHandler, Shutdown, is_last_attempt},
    },
    users::entity as users,
};

pub const QUEUE: &str = "booking_emails";
const LEASE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    booking_id: i64,
    event: Event,
    sequence: i32,
    /// The owner made the change themselves (from the calendar): only the other side is told.
    /// Missing in jobs queued before it existed: everyone is told.
    #[serde(default)]
    by_owner: bool,
}

/// Queues the confirmations of `event`, which just happened to `booking`. Best effort: the change
/// is already committed, so a queue failure is logged, not shown to the visitor.
pub async fn queue_confirmations(state: &AppState, booking: &bookings::Model, event: Event) {
    enqueue(state, Payload { booking_id: booking.id, event, sequence: booking.sequence, by_owner: false }).await;
}

/// Queues the notice of a change that a signed-in user made to `booking` (a move or a
/// cancellation from the calendar): the person it was booked with hears of it, by the e-mail they
/// booked with, else their client's. The owner is told too when someone else (an admin) acted.
/// Nothing is queued for a booking with no one to tell.
pub async fn queue_owner_change(state: &AppState, booking: &bookings::Model, event: Event, actor_id: i64) {
    if booking.guest_email.is_none() && booking.client_id.is_none() && actor_id == booking.owner_id {
        return;
    }
    let by_owner = actor_id == booking.owner_id;
    enqueue(state, Payload { booking_id: booking.id, event, sequence: booking.sequence, by_owner }).await;
}

async fn enqueue(state: &AppState, payload: Payload) {
    if state.config.smtp.is_none() {
        return;
    }
    let booking = payload.booking_id;
    let Ok(payload) = serde_json::to_string(&payload) else { return };
    if let Err(error) = state.infra.jobs.enqueue(QUEUE, &payload, Duration::ZERO).await {
        tracing::warn!(%error, booking, "could not queue the booking confirmations");
    }
}

pub fn queue_handler() -> QueueHandler {
    QueueHandler {
        queue: QUEUE,
        lease: LEASE,
        concurrency: 4,
        handler: Arc::new(|state: AppState, job: Job, _shutdown: Shutdown| {
            Box::pin(async move {
                let Ok(payload) = serde_json::from_str::<Payload>(&job.payload) else {
                    tracing::warn!("dropping a booking e-mail job that does not parse");
                    return Ok(JobOutcome::Done);
                };
                match send_confirmations(&state, &payload).await {
                    Ok(()) => Ok(JobOutcome::Done),
                    Err(error) if is_last_attempt(&job) => {
                        tracing::warn!(%error, booking = payload.booking_id, "gave up sending booking confirmations");
                        Ok(JobOutcome::Done)
                    }
                    Err(error) => Err(error),
                }
            })
        }),
    }
}

fn mailbox(name: Option<&str>, email: &str) -> Option<Mailbox> {
    let address = email.trim().parse().ok()?;
    Some(Mailbox::new(name.map(|name| name.replace(['\r', '\n'], " ")), address))
}

fn transport(smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url)
        .map_err(|error| format!("SMTP_URL: {error}"))?
        .timeout(Some(Duration::from_secs(30)))
        .build())
}

async fn already_sent(state: &AppState, payload: &Payload, recipient: &str) -> Result<bool, String> {
    sent::Entity::find()
        .filter(sent::Column::BookingId.eq(payload.booking_id))
        .filter(sent::Column::Event.eq(payload.event.as_str()))
        .filter(sent::Column::Sequence.eq(payload.sequence))
        .filter(sent::Column::Recipient.eq(recipient))
        .count(&state.db)
        .await
        .map(|count| count > 0)
        .map_err(|error| error.to_string())
}

async fn mark_sent(state: &AppState, payload: &Payload, recipient: &str) -> Result<(), String> {
    let row = sent::ActiveModel {
        booking_id: Set(payload.booking_id),
        event: Set(payload.event.as_str().to_owned()),
        sequence: Set(payload.sequence),
        recipient: Set(recipient.to_owned()),
        sent_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    match row.insert(&state.db).await {
        Ok(_) => Ok(()),
        Err(error) if crate::server::sql::is_unique_violation(&error) => Ok(()),
        Err(error) => Err(error.to_string()),
    }
}

/// Whom the booking is with: the e-mail given on the public page, else its client's e-mail.
async fn guest_mailbox(state: &AppState, booking: &bookings::Model) -> Result<Option<Mailbox>, String> {
    if let Some(email) = &booking.guest_email {
        return Ok(mailbox(booking.guest_name.as_deref(), email));
    }
    let Some(client_id) = booking.client_id else { return Ok(None) };
    let client = clients::Entity::find_by_id(client_id).one(&state.db).await.map_err(|error| error.to_string())?;
    Ok(client.and_then(|client| client.email.as_deref().and_then(|email| mailbox(Some(&client.name), email))))
}

/// Sends the reminder `event` of `booking` (as seen at `now`) to the person it is booked with,
/// unless it is marked sent for the booking's SEQUENCE already; nothing without `SMTP_URL` or an
/// e-mail to send to. Answers whether a message went out.
pub async fn send_reminder(
    state: &AppState,
    booking: &bookings::Model,
    event: Event,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, String> {
    let Some(smtp) = &state.config.smtp else { return Ok(false) };
    let Some(mailbox) = guest_mailbox(state, booking).await? else { return Ok(false) };
    let payload = Payload { booking_id: booking.id, event, sequence: booking.sequence, by_owner: false };
    let address = mailbox.email.to_string();
    if already_sent(state, &payload, &address).await? {
        return Ok(false);
    }
    let from: Mailbox = smtp.from.parse().map_err(|error| format!("SMTP_FROM: {error}"))?;
    let Some(owner) =
        users::Entity::find_by_id(booking.owner_id).one(&state.db).await.map_err(|error| error.to_string())?
    else {
        return Ok(false);
    };
    let recipient = Recipient { mailbox, zone: booking.timezone.clone(), is_guest: true };
    let manage = booking.manage_token.as_deref().and_then(|token| manage_url(state, token));
    let message = build_reminder(&from, &recipient, booking, event, &owner.name, manage.as_deref(), now)
        .map_err(|error| format!("could not build the message: {error}"))?;
    transport(smtp)?.send(message).await.map_err(|error| format!("SMTP: {error}"))?;
    mark_sent(state, &payload, &address).await?;
    Ok(true)
}

/// Sends what `payload` asks for that is not marked sent yet.
async fn send_confirmations(state: &AppState, payload: &Payload) -> Result<(), String> {
    let Some(smtp) = &state.config.smtp else { return Ok(()) };
    let from: Mailbox = smtp.from.parse().map_err(|error| format!("SMTP_FROM: {error}"))?;
    let Some(booking) =
        bookings::Entity::find_by_id(payload.booking_id).one(&state.db).await.map_err(|error| error.to_string())?
    else {
        return Ok(());
    };
    let Some(owner) =
        users::Entity::find_by_id(booking.owner_id).one(&state.db).await.map_err(|error| error.to_string())?
    else {
        return Ok(());
    };
    let mut recipients = Vec::new();
    if let Some(mailbox) = guest_mailbox(state, &booking).await? {
        recipients.push(Recipient { mailbox, zone: booking.timezone.clone(), is_guest: true });
    }
    if !payload.by_owner
        && let Some(mailbox) = mailbox(Some(&owner.name), &owner.email)
    {
        recipients.push(Recipient { mailbox, zone: owner.timezone.clone(), is_guest: false });
    }
    let manage = booking.manage_token.as_deref().and_then(|token| manage_url(state, token));
    let mailer = transport(smtp)?;
    for recipient in recipients {
        let address = recipient.mailbox.email.to_string();
        if already_sent(state, payload, &address).await? {
            continue;
        }
        let message = build(&from, &recipient, &booking, payload.event, &owner.name, manage.as_deref())
            .map_err(|error| format!("could not build the message: {error}"))?;
        mailer.send(message).await.map_err(|error| format!("SMTP: {error}"))?;
        mark_sent(state, payload, &address).await?;
    }
    Ok(())
}
