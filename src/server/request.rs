//! What server functions need from the request: its session, the client's address, and an HTTP
//! status that matches the error they return.
use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use tower_sessions::Session;

use crate::shared::AppError;

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "no session layer around a server function");
        AppError::Internal
    })
}

pub async fn client_ip() -> Option<IpAddr> {
    leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok().map(|ConnectInfo(addr)| addr.ip())
}

/// A plain HTML form post (no JavaScript): the server-function machinery answers it with a
/// redirect back to the form, carrying the error, and that redirect status must stand.
fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::ACCEPT)?.to_str().ok().map(str::to_owned))
        .is_some_and(|accept| accept.contains("text/html"))
}

/// After a successful plain form post, sends the browser to `path` (for example a page that
/// says "saved"); with JavaScript the page shows the outcome itself and no redirect is needed.
pub fn redirect_plain_form(path: &str) {
    if is_plain_form_post() {
        super::redirect::redirect(path);
    }
}

/// Sets the HTTP status of an error response, so the status matches the error.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result
        && !is_plain_form_post()
        && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(
            axum::http::StatusCode::from_u16(error.status_code())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    result
}
