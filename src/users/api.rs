//! Account server functions: thin wrappers that hand the request's session to [`super::auth`].
use leptos::prelude::*;

use super::model::CurrentUser;
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::{client_ip, respond, session};

#[server(prefix = "/api", endpoint = "signup")]
pub async fn signup(
    name: String,
    email: String,
    password: String,
    next: Option<String>,
    #[server(default)] timezone: Option<String>,
) -> Result<(), AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let session = session().await?;
            let input = super::auth::SignupInput { name, email, password, timezone };
            let user = super::auth::signup_from(&state, input, client_ip().await).await?;
            super::auth::start_session(&session, &user, false).await?;
            crate::server::redirect::redirect(&super::model::safe_next_path(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Whether the sign-up page creates the first account (the admin), any account, or none.
#[server(prefix = "/api", endpoint = "signup_status")]
pub async fn signup_status() -> Result<super::model::SignupStatus, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            super::auth::signup_status(&state).await
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
            crate::server::redirect::redirect(&super::model::safe_next_path(next.as_deref()));
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

/// The settings page's data: the caller's profile and the time zones to pick from.
#[server(prefix = "/api", endpoint = "settings")]
pub async fn get_settings() -> Result<super::profile::SettingsData, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let user = super::auth::require_user(&state, &session().await?).await?;
            super::settings_service::settings(&state, &user).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "update_profile")]
pub async fn update_profile(#[server(flatten)] form: super::profile::ProfileForm) -> Result<(), AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let user = super::auth::require_user(&state, &session().await?).await?;
            super::settings_service::update_profile(&state, &user, form).await?;
            crate::server::request::redirect_plain_form("/settings?saved=profile");
            Ok(())
        }
        .await,
    )
}

/// Changes the caller's password; every other session of theirs ends. Returns how many ended.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<u64, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let session = session().await?;
            let ended = super::settings_service::change_password(
                &state,
                &session,
                current_password,
                new_password,
                confirm_password,
            )
            .await?;
            crate::server::request::redirect_plain_form("/settings?saved=password");
            Ok(ended)
        }
        .await,
    )
}

/// Admins: one page of users whose name or email contains `q`.
#[server(prefix = "/api", endpoint = "list_users")]
pub async fn list_users(
    #[server(default)] q: String,
    #[server(default)] page: u64,
) -> Result<super::roster::UserList, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let admin = super::auth::require_admin(&state, &session().await?).await?;
            super::admin_service::list(&state, &admin, &q, page).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "create_user")]
pub async fn create_user(
    name: String,
    email: String,
    role: String,
    password: String,
) -> Result<super::roster::UserRow, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let admin = super::auth::require_admin(&state, &session().await?).await?;
            let input = super::admin_service::NewUser { name, email, role, password };
            super::admin_service::create(&state, &admin, input).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "set_user_role")]
pub async fn set_user_role(user_id: i64, role: String) -> Result<super::roster::UserRow, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let admin = super::auth::require_admin(&state, &session().await?).await?;
            super::admin_service::set_role(&state, &admin, user_id, &role).await
        }
        .await,
    )
}

/// Changes a user's name and sign-in email.
#[server(prefix = "/api", endpoint = "rename_user")]
pub async fn rename_user(user_id: i64, name: String, email: String) -> Result<super::roster::UserRow, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let admin = super::auth::require_admin(&state, &session().await?).await?;
            super::admin_service::rename(&state, &admin, user_id, &name, &email).await
        }
        .await,
    )
}

/// Disables (signing the user out everywhere) or re-enables an account.
#[server(prefix = "/api", endpoint = "set_user_active")]
pub async fn set_user_active(user_id: i64, active: bool) -> Result<super::roster::UserRow, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let admin = super::auth::require_admin(&state, &session().await?).await?;
            super::admin_service::set_active(&state, &admin, user_id, active).await
        }
        .await,
    )
}

/// Sets a new password for another user and signs them out everywhere.
#[server(prefix = "/api", endpoint = "reset_user_password")]
pub async fn reset_user_password(user_id: i64, password: String) -> Result<super::roster::UserRow, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let admin = super::auth::require_admin(&state, &session().await?).await?;
            super::admin_service::reset_password(&state, &admin, user_id, password).await.map_err(|error| match error {
                // Names the row, so that a page without JavaScript shows the error on that row only.
                AppError::Validation(mut fields) => {
                    fields.insert("user_id".to_owned(), user_id.to_string());
                    AppError::Validation(fields)
                }
                other => other,
            })
        }
        .await,
    )
}
