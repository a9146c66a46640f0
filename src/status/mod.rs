//! System status: version, uptime, database and Redis state, schema version.
pub mod api;
pub mod model;
pub mod page;
#[cfg(feature = "ssr")]
pub mod service;
