//! Booking confirmations by e-mail (when `SMTP_URL` is set): to the person who booked and to the
//! owner, on booking, reschedule and cancellation, with the booking's `.ics` attached. Sent by the
//! `booking_emails` job queue, never inside the request. The reminders before a booking go the
//! same way, sent by the reminder job (`crate::bookings::reminders`).
#[cfg(feature = "ssr")]
pub mod message;
#[cfg(feature = "ssr")]
pub mod sent_entity;
#[cfg(feature = "ssr")]
pub mod service;
