//! Server-only code: configuration, state, persistence, infrastructure, router.
pub mod config;
pub mod db;
pub mod health;
pub mod infra;
pub mod local_time;
pub mod preferences;
pub mod redis;
pub mod request;
pub mod router;
pub mod security;
pub mod sessions;
pub mod sql;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod worker;
