//! Appointments booked with leads. So far: the booking store the client page reads.
#[cfg(feature = "ssr")]
pub mod entity;
