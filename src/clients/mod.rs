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
pub mod notes;
pub mod pipeline;
pub mod pipeline_page;

#[cfg(feature = "ssr")]
pub mod clean_query;
#[cfg(feature = "ssr")]
pub mod counts;
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

/// The clients' HTTP routes: the CSV export, the import upload and its error report.
#[cfg(feature = "ssr")]
pub fn routes() -> axum::Router<crate::server::state::AppState> {
    use axum::{
        extract::DefaultBodyLimit,
        routing::{get, post},
    };
    axum::Router::new()
        .route("/clients/export.csv", get(export::export_clients))
        .route(
            "/clients/imports",
            post(import::http::upload)
                .layer(DefaultBodyLimit::max(import::http::UPLOAD_BODY_LIMIT))
                .layer(axum::middleware::from_fn(import::http::one_chunk_per_poll)),
        )
        .route("/clients/imports/{id}/errors.csv", get(import::http::error_report))
}
