//! The confirmation messages: plain text with the booking's `.ics` attached.
use lettre::{
    Message,
    message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType},
};

use chrono::{DateTime, Utc};

use crate::{
    bookings::{entity as bookings, feed::ics, reminders},
    server::local_time,
};

/// What happened to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Booked,
    Rescheduled,
    Cancelled,
    /// The reminder a day before (see `crate::bookings::reminders`).
    DayReminder,
    /// The reminder an hour before.
    HourReminder,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Booked => "booked",
            Event::Rescheduled => "rescheduled",
            Event::Cancelled => "cancelled",
            Event::DayReminder => "reminder_24h",
            Event::HourReminder => "reminder_1h",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Event::Booked => "Booked",
            Event::Rescheduled => "Rescheduled",
            Event::Cancelled => "Cancelled",
            Event::DayReminder | Event::HourReminder => "Reminder",
        }
    }
}

/// One confirmation: to whom, and in which zone its times are told.
pub struct Recipient {
    pub mailbox: Mailbox,
    pub zone: String,
    /// The guest gets the manage link and an `.ics` naming the owner; the owner one naming the guest.
    pub is_guest: bool,
}

/// "Mon 1 Mar 2027, 10:00–10:30 (Europe/Berlin)".
fn when(booking: &bookings::Model, zone_name: &str) -> String {
    let zone = local_time::zone(zone_name);
    let end = booking.ends_at.with_timezone(&zone).format("%H:%M");
    format!("{}–{end} ({zone_name})", local_time::format(booking.starts_at, zone))
}

fn text(
    booking: &bookings::Model,
    event: Event,
    recipient: &Recipient,
    owner_name: &str,
    manage_url: Option<&str>,
) -> String {
    let mut lines = Vec::new();
    let guest = booking.guest_name.as_deref().unwrap_or("Your guest");
    let with = if recipient.is_guest { owner_name } else { guest };
    lines.push(format!("{}: {} with {with}", event.verb(), booking.booking_type));
    lines.push(format!("When: {}", when(booking, &recipient.zone)));
    if let Some(location) = &booking.location {
        lines.push(format!("Where: {location}"));
    }
    if event == Event::Cancelled
        && let Some(reason) = &booking.cancel_reason
    {
        lines.push(format!("Reason: {reason}"));
    }
    if !recipient.is_guest {
        for contact in [&booking.guest_email, &booking.guest_phone].into_iter().flatten() {
            lines.push(format!("Contact: {contact}"));
        }
        if let Some(notes) = &booking.notes {
            lines.push(format!("Note: {notes}"));
        }
    }
    if recipient.is_guest
        && event != Event::Cancelled
        && let Some(url) = manage_url
    {
        lines.push(String::new());
        lines.push(format!("Reschedule or cancel: {url}"));
    }
    lines.push(String::new());
    lines.push("The attached .ics file adds or updates it in your calendar.".to_owned());
    lines.join("\r\n")
}

/// The message to `recipient` about `event` of `booking`, with the `.ics` attached.
pub fn build(
    from: &Mailbox,
    recipient: &Recipient,
    booking: &bookings::Model,
    event: Event,
    owner_name: &str,
    manage_url: Option<&str>,
) -> Result<Message, lettre::error::Error> {
    let subject = format!(
        "{}: {} with {}, {}",
        event.verb(),
        booking.booking_type,
        with(recipient, booking, owner_name),
        when(booking, &recipient.zone)
    );
    compose(from, recipient, booking, event, owner_name, manage_url, subject)
}

/// The reminder `event` to the guest `recipient`, "Reminder: Intro call with Ana tomorrow at 10:00
/// (Europe/Lisbon)" as seen at `now`, with the `.ics` attached (the same SEQUENCE: calendars keep
/// the event as it is).
pub fn build_reminder(
    from: &Mailbox,
    recipient: &Recipient,
    booking: &bookings::Model,
    event: Event,
    owner_name: &str,
    manage_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Message, lettre::error::Error> {
    let moment = reminders::moment(booking.starts_at, now, local_time::zone(&recipient.zone));
    let subject = format!(
        "{}: {} with {} {moment} ({})",
        event.verb(),
        booking.booking_type,
        with(recipient, booking, owner_name),
        recipient.zone
    );
    compose(from, recipient, booking, event, owner_name, manage_url, subject)
}

fn with<'a>(recipient: &Recipient, booking: &'a bookings::Model, owner_name: &'a str) -> &'a str {
    if recipient.is_guest { owner_name } else { booking.guest_name.as_deref().unwrap_or("a guest") }
}

fn compose(
    from: &Mailbox,
    recipient: &Recipient,
    booking: &bookings::Model,
    event: Event,
    owner_name: &str,
    manage_url: Option<&str>,
    subject: String,
) -> Result<Message, lettre::error::Error> {
    let audience = if recipient.is_guest {
        ics::Audience::Guest { owner_name, manage_url: manage_url.map(str::to_owned) }
    } else {
        ics::Audience::Owner
    };
    let calendar = ics::write(&booking.booking_type, std::slice::from_ref(booking), &audience);
    let calendar_type =
        ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH").unwrap_or(ContentType::TEXT_PLAIN);
    Message::builder().from(from.clone()).to(recipient.mailbox.clone()).subject(subject).multipart(
        MultiPart::mixed()
            .singlepart(SinglePart::plain(text(booking, event, recipient, owner_name, manage_url)))
            .singlepart(Attachment::new("booking.ics".to_owned()).body(calendar, calendar_type)),
    )
}
