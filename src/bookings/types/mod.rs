//! Booking types (Cal.com's event types): length, step, buffers, notice, window, cap, location.
pub mod entity;
pub mod service;
