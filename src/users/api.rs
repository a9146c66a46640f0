//! Account server functions: thin wrappers that hand the request's session to [`super::auth`].
use leptos::prelude::*;

use super::model::CurrentUser;
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::{client_ip, respond, session};

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

/// "Log out everywhere": ends the caller's other sessions, keeps this one.
#[server(prefix = "/api", endpoint = "logout_elsewhere")]
pub async fn logout_elsewhere() -> Result<u64, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            super::auth::end_other_sessions(&state, &session().await?).await
        }
        .await,
    )
}
