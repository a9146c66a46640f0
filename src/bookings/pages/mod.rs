//! The calendar's pages: `/bookings` (week, day and agenda), `/bookings/{id}`, `/bookings/new` and
//! `/bookings/settings` (weekly hours, date overrides, booking types).
mod agenda;
pub mod availability;
pub mod calendar;
pub mod detail;
pub mod form;
pub mod owner_picker;
pub(crate) mod status;
mod week;
