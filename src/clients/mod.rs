//! Clients (leads): the list, the client page, the pipeline board, the forms and the services
//! behind them.
pub mod api;
pub mod detail;
pub mod detail_api;
pub mod detail_page;
pub mod form_page;
pub mod import;
pub mod list_page;
pub mod model;
pub mod pipeline;
pub mod pipeline_page;

#[cfg(feature = "ssr")]
pub mod detail_service;
#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod list_query;
#[cfg(feature = "ssr")]
pub mod pipeline_service;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod timeline;
