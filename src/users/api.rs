//! Account server functions: thin wrappers that hand the request's session to [`super::auth`].
use leptos::prelude::*;

use super::model::CurrentUser;
use crate::shared::AppError;

#[cfg(feature = "ssr")]
mod request {
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
}

#[cfg(feature = "ssr")]
pub use request::{client_ip, respond, session};

#[server(prefix = "/api", endpoint = "signup")]
pub async fn signup(name: String, email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let session = session().await?;
            let user = super::auth::signup(&state, super::auth::SignupInput { name, email, password }).await?;
            super::auth::start_session(&session, &user, false).await?;
            leptos_axum::redirect(&super::model::safe_next_path(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    remember: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let session = session().await?;
            let user = super::auth::authenticate(&state, &email, password, client_ip().await).await?;
            super::auth::start_session(&session, &user, remember.is_some()).await?;
            leptos_axum::redirect(&super::model::safe_next_path(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    respond(
        async {
            super::auth::end_session(&session().await?).await?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// The signed-in user, or `None` for a visitor (not an error: pages use it to decide what to show).
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            super::auth::current_user(&state, &session().await?).await
        }
        .await,
    )
}
