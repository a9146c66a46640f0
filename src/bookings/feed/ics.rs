//! The one iCalendar writer (RFC 5545, by the `icalendar` crate: folding and text escaping). Every
//! booking is one VEVENT with its stable UID, its SEQUENCE (raised at each reschedule and at the
//! cancellation), times in UTC, and STATUS:CANCELLED once cancelled.
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

use crate::bookings::{entity as bookings, model::BookingStatus};

/// How long a cancelled booking stays in the feed, so that subscribed calendars see it go.
pub const CANCELLED_KEPT_DAYS: i64 = 30;
/// How far back the feed reaches for bookings that took place.
pub const PAST_DAYS: i64 = 90;

/// Whose view a booking is written for: the owner's feed names the guest, the guest's file the
/// owner.
pub enum Audience<'a> {
    Owner,
    Guest { owner_name: &'a str, manage_url: Option<String> },
}

fn event_of(booking: &bookings::Model, audience: &Audience<'_>) -> Event {
    let status = BookingStatus::parse(&booking.status).unwrap_or(BookingStatus::Cancelled);
    let mut event = Event::new();
    event
        .uid(booking.ical_uid.as_deref().unwrap_or(&format!("booking-{}@crm", booking.id)))
        .sequence(u32::try_from(booking.sequence).unwrap_or(0))
        .timestamp(booking.updated_at)
        .last_modified(booking.updated_at)
        .created(booking.created_at)
        .starts(booking.starts_at)
        .ends(booking.ends_at)
        .status(if status == BookingStatus::Cancelled { EventStatus::Cancelled } else { EventStatus::Confirmed });
    let mut description = Vec::new();
    match audience {
        Audience::Owner => {
            let guest = booking.guest_name.as_deref().unwrap_or_default();
            let summary = match booking.subject.as_deref() {
                Some(subject) => subject.to_owned(),
                None if !guest.is_empty() => format!("{} with {guest}", booking.booking_type),
                None => booking.booking_type.clone(),
            };
            event.summary(&summary);
            for contact in [&booking.guest_email, &booking.guest_phone].into_iter().flatten() {
                description.push(contact.clone());
            }
            if let Some(notes) = &booking.notes {
                description.push(notes.clone());
            }
        }
        Audience::Guest { owner_name, manage_url } => {
            event.summary(&format!("{} with {owner_name}", booking.booking_type));
            if let Some(url) = manage_url {
                description.push(format!("Reschedule or cancel: {url}"));
                event.url(url);
            }
        }
    }
    if let Some(reason) = booking.cancel_reason.as_deref().filter(|_| status == BookingStatus::Cancelled) {
        description.push(format!("Cancelled: {reason}"));
    }
    if let Some(location) = &booking.location {
        event.location(location);
    }
    if !description.is_empty() {
        event.description(&description.join("\n"));
    }
    event.done()
}

/// A calendar named `name` with one event per booking.
pub fn write(name: &str, bookings: &[bookings::Model], audience: &Audience<'_>) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name).append_property(("METHOD", "PUBLISH"));
    for booking in bookings {
        calendar.push(event_of(booking, audience));
    }
    calendar.done().to_string()
}
