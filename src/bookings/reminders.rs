//! Reminders to the person a booking is made with, a day and an hour before it starts.
//!
//! Every commit that makes or moves a confirmed booking calls [`schedule`]: two keyed jobs on the
//! [`QUEUE`] queue, `booking:{id}:24h` and `booking:{id}:1h`, due at those moments (a moment that
//! has passed gets none). A move schedules them again, which moves the waiting jobs. When a job
//! runs, [`remind`] checks again that the booking is still confirmed, still at the time the job
//! was made for, and still ahead; then it e-mails the person booked (when `SMTP_URL` is set; once
//! per booking, reminder and SEQUENCE, through the sent marks of the confirmations) and lets the
//! domains above say it in the client's conversation (`crate::domains::booking_reminder_due`).
//! A cancelled booking's jobs stay in the queue and do nothing when they run.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

use super::{
    email::service::{Event, send_reminder},
    entity,
    model::BookingStatus,
};
use crate::{
    server::{
        infra::Job,
        state::AppState,
        worker::{JobOutcome, QueueHandler, Shutdown, is_last_attempt},
    },
    shared::AppError,
};

pub const QUEUE: &str = "booking-reminders";
const LEASE: Duration = Duration::from_secs(120);
const CONCURRENCY: usize = 4;

/// Which reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    #[serde(rename = "24h")]
    DayBefore,
    #[serde(rename = "1h")]
    HourBefore,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::DayBefore, Kind::HourBefore];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::DayBefore => "24h",
            Kind::HourBefore => "1h",
        }
    }

    /// How long before the start it is due.
    pub fn ahead(self) -> chrono::Duration {
        match self {
            Kind::DayBefore => chrono::Duration::hours(24),
            Kind::HourBefore => chrono::Duration::hours(1),
        }
    }

    fn event(self) -> Event {
        match self {
            Kind::DayBefore => Event::DayReminder,
            Kind::HourBefore => Event::HourReminder,
        }
    }
}

/// What a reminder job carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub booking_id: i64,
    pub kind: Kind,
    /// The start the reminder was scheduled for: a booking moved since has a newer job.
    pub starts_at: DateTime<Utc>,
}

/// The queue key of a booking's reminder: one waiting job each.
pub fn key(booking_id: i64, kind: Kind) -> String {
    format!("booking:{booking_id}:{}", kind.as_str())
}

/// Schedules the reminders of `booking`, just committed (made or moved), at their moments from
/// now; a moment that has passed gets none. Best effort: the booking stands, so a queue failure is
/// logged. A booking with nobody to remind (no client, no guest) gets none.
pub async fn schedule(state: &AppState, booking: &entity::Model) {
    if booking.status != BookingStatus::Confirmed.as_str()
        || (booking.client_id.is_none() && booking.guest_email.is_none())
    {
        return;
    }
    let now = Utc::now();
    for kind in Kind::ALL {
        let Ok(delay) = (booking.starts_at - kind.ahead() - now).to_std() else { continue };
        if delay.is_zero() {
            continue;
        }
        let payload = Payload { booking_id: booking.id, kind, starts_at: booking.starts_at };
        let Ok(payload) = serde_json::to_string(&payload) else { continue };
        if let Err(error) = state.infra.jobs.schedule(QUEUE, &key(booking.id, kind), &payload, delay).await {
            tracing::warn!(%error, booking = booking.id, kind = kind.as_str(), "could not schedule a booking reminder");
        }
    }
}

pub fn queue_handler() -> QueueHandler {
    QueueHandler {
        queue: QUEUE,
        lease: LEASE,
        concurrency: CONCURRENCY,
        handler: Arc::new(|state: AppState, job: Job, _shutdown: Shutdown| {
            Box::pin(async move {
                let Ok(payload) = serde_json::from_str::<Payload>(&job.payload) else {
                    tracing::warn!("dropping a booking reminder job that does not parse");
                    return Ok(JobOutcome::Done);
                };
                match remind(&state, &payload, Utc::now()).await {
                    Ok(_) => Ok(JobOutcome::Done),
                    Err(error) if is_last_attempt(&job) => {
                        tracing::warn!(%error, booking = payload.booking_id, "gave up a booking reminder");
                        Ok(JobOutcome::Done)
                    }
                    Err(error) => Err(error.to_string()),
                }
            })
        }),
    }
}

/// What became of a reminder job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent: `message` is the conversation message written by this run (none when the booking has
    /// no client, or a run before wrote it), `emailed` whether an e-mail went out in this run.
    Reminded { message: Option<i64>, emailed: bool },
    /// The booking is gone, or no longer confirmed (cancelled, completed, missed).
    NotConfirmed,
    /// The booking was moved: the job of its new time reminds.
    Moved,
    /// Too late: the booking has started, or a day-before reminder runs when the hour-before one
    /// is due (a worker was down): one reminder is enough.
    Passed,
}

/// Runs the reminder of `payload` as at `now` (the queue passes the real now; tests their own).
/// `Err` (the database or SMTP failed) is retried by the queue; what was done already is not done
/// again (the sent marks, and the conversation message's idempotency key).
pub async fn remind(state: &AppState, payload: &Payload, now: DateTime<Utc>) -> Result<Outcome, AppError> {
    let Some(booking) = entity::Entity::find_by_id(payload.booking_id).one(&state.db).await? else {
        return Ok(Outcome::NotConfirmed);
    };
    if booking.status != BookingStatus::Confirmed.as_str() {
        return Ok(Outcome::NotConfirmed);
    }
    if booking.starts_at != payload.starts_at {
        return Ok(Outcome::Moved);
    }
    let late_for = match payload.kind {
        Kind::DayBefore => Kind::HourBefore.ahead(),
        Kind::HourBefore => chrono::Duration::zero(),
    };
    if now >= booking.starts_at - late_for {
        return Ok(Outcome::Passed);
    }
    let message = crate::domains::booking_reminder_due(state, &booking, payload.kind, now).await?;
    let emailed = send_reminder(state, &booking, payload.kind.event(), now).await.map_err(|error| {
        tracing::warn!(%error, booking = booking.id, "could not e-mail a booking reminder");
        AppError::Internal
    })?;
    Ok(Outcome::Reminded { message, emailed })
}

/// "today", "tomorrow" or "on Tue 8 Dec": the day of `starts_at` as seen at `now` in `zone`.
pub fn day(starts_at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> String {
    let (start, today) = (starts_at.with_timezone(&zone), now.with_timezone(&zone).date_naive());
    if start.date_naive() == today {
        "today".to_owned()
    } else if today.succ_opt() == Some(start.date_naive()) {
        "tomorrow".to_owned()
    } else {
        format!("on {}", start.format("%a %-d %b"))
    }
}

/// "in one hour" (or "in 25 minutes", for a reminder that runs late), when `starts_at` is that
/// close to `now`; `None` further away.
pub fn soon(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    let minutes = (starts_at - now).num_seconds().saturating_add(59) / 60;
    match minutes {
        55..=65 => Some("in one hour".to_owned()),
        1 => Some("in 1 minute".to_owned()),
        2..55 => Some(format!("in {minutes} minutes")),
        _ => None,
    }
}

/// When `starts_at` is, as a reminder seen at `now` says it in `zone`: "tomorrow at 10:00", or
/// "in one hour, at 10:00".
pub fn moment(starts_at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> String {
    let at = starts_at.with_timezone(&zone).format("%H:%M");
    match soon(starts_at, now) {
        Some(soon) => format!("{soon}, at {at}"),
        None => format!("{} at {at}", day(starts_at, now, zone)),
    }
}
