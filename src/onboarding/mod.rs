//! The first run: until a person has a strategy, a client and their own schedule, the dashboard
//! shows the three steps that make the CRM useful, each with its way in.
pub mod api;
pub mod checklist;
pub mod model;

#[cfg(feature = "ssr")]
pub mod service;
