//! Pages need a signed-in user: anonymous visitors are sent to `/login?next=...` before any page
//! renders, with or without JavaScript. Server functions check the session themselves (401/403).
use axum::{
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

use super::auth;
use crate::server::state::AppState;

/// Reachable without signing in. Static files live under /pkg and at the root (favicons); the
/// domains' own public pages are in `crate::domains::public_prefixes`.
const PUBLIC_PATHS: &[&str] =
    &["/login", "/signup", "/healthz", "/readyz", "/favicon.ico", "/favicon.svg", "/icons.svg"];
const PUBLIC_PREFIXES: &[&str] = &["/api/", "/pkg/"];

fn is_protected_page(request: &Request) -> bool {
    let path = request.uri().path();
    matches!(*request.method(), Method::GET | Method::HEAD)
        && !PUBLIC_PATHS.contains(&path)
        && !PUBLIC_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
        && !crate::domains::public_prefixes().iter().any(|prefix| path.starts_with(prefix))
}

pub async fn require_login_for_pages(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    if !is_protected_page(&request) {
        return next.run(request).await;
    }
    match auth::current_user(&state, &session).await {
        Ok(Some(user)) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        Ok(None) => {
            let target = request.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
            let location = if target == "/" {
                "/login".to_owned()
            } else {
                format!("/login?next={}", url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>())
            };
            (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "could not read the session");
            (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response()
        }
    }
}
