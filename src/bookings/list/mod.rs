//! `/bookings/list`: every booking one can see as a list, filtered by the days it was made or
//! starts, its status and (for an admin) whose it is, a page at a time. The dashboard's booking
//! figures link here, so each can be checked row by row.
pub mod api;
pub mod model;
pub mod page;
#[cfg(feature = "ssr")]
pub mod service;
