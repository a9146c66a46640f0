//! Strategies: the AI sales personas that talk to leads, and the system prompt each one yields.
pub mod api;
pub mod editor_page;
pub mod list_page;
pub mod model;
pub mod prompt;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod usage;
