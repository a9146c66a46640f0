//! Users and accounts.
pub mod admin_page;
pub mod api;
pub mod model;
pub mod pages;
pub mod profile;
pub mod roster;
pub mod settings_page;

#[cfg(feature = "ssr")]
pub mod admin_service;
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod settings_service;
