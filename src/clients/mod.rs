//! Clients (leads): the list, the forms and the service behind them.
pub mod api;
pub mod form_page;
pub mod import;
pub mod list_page;
pub mod model;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod list_query;
#[cfg(feature = "ssr")]
pub mod service;
