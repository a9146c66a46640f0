//! Appointments booked with leads: availability, booking types, free slots and the one booking
//! service through which every part of the product touches a calendar.
pub mod api;
pub mod calendar;
pub mod email;
pub mod feed;
pub mod list;
pub mod live;
pub mod model;
pub mod pages;
pub mod public;

#[cfg(feature = "ssr")]
pub mod account;
#[cfg(feature = "ssr")]
pub mod availability;
#[cfg(feature = "ssr")]
pub mod calendar_service;
#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod reminders;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod types;
