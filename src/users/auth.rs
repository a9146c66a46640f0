//! Sign-up, sign-in and sessions. Every check happens here, on the server: server functions only
//! gather the request's session and address and call these functions.
use std::{net::IpAddr, sync::LazyLock, time::Duration};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::sync::OnceCell;
use tower_sessions::Session;

use super::{
    entity::{self, ROLE_ADMIN, ROLE_USER},
    model::{CurrentUser, Role, normalize_email, validate_email, validate_name, validate_new_password},
    password,
};
use crate::{
    server::{config::Config, sessions::USER_ID_KEY, state::AppState},
    shared::AppError,
};

/// When the session signed in (epoch seconds): the absolute timeout counts from here.
const AUTHENTICATED_AT_KEY: &str = "authenticated_at";
const REMEMBER_KEY: &str = "remember";
/// When the session last proved activity (epoch milliseconds): see [`keep_alive`].
const LAST_SEEN_KEY: &str = "last_seen_ms";

pub use crate::ui::forms::FORM_FIELD;
/// One message for an unknown email and a wrong password, so neither can be told apart.
pub const BAD_CREDENTIALS: &str = "The email or password is incorrect.";
pub const SIGNUP_CLOSED: &str = "Sign-up is closed. Ask an administrator to create an account for you.";

/// Limits and lifetimes of sign-in (see [`Config`] for the defaults, which follow OWASP ASVS level 2).
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    pub allow_signup: bool,
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    pub remember_me_timeout: Duration,
    pub attempts_per_account: u32,
    pub attempts_per_ip: u32,
    pub attempt_window: Duration,
}

impl AuthPolicy {
    pub fn from_config(config: &Config) -> Self {
        AuthPolicy {
            allow_signup: config.allow_signup,
            idle_timeout: config.session_idle,
            absolute_timeout: config.session_absolute,
            remember_me_timeout: config.remember_me,
            attempts_per_account: config.login_attempts_per_account,
            attempts_per_ip: config.login_attempts_per_ip,
            attempt_window: Duration::from_secs(15 * 60),
        }
    }
}

static COMMON_PASSWORDS: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt").lines().filter(|line| !line.starts_with('#') && !line.is_empty()).collect()
});

pub fn is_common_password(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

/// What is wrong with a password someone chooses: length, or being one of the most common ones.
pub fn new_password_problem(password: &str) -> Option<String> {
    match validate_new_password(password) {
        Err(message) => Some(message),
        Ok(()) if is_common_password(password) => {
            Some("This password is one of the most common ones; choose a less guessable one.".to_owned())
        }
        Ok(()) => None,
    }
}

/// Checks a new account's name, email and password; the errors are keyed by field.
pub fn validate_new_account(name: &str, email: &str, password: &str) -> Result<(), AppError> {
    let mut errors = std::collections::BTreeMap::new();
    if let Err(message) = validate_name(name) {
        errors.insert("name".to_owned(), message);
    }
    if let Err(message) = validate_email(email) {
        errors.insert("email".to_owned(), message.to_owned());
    }
    if let Some(message) = new_password_problem(password) {
        errors.insert("password".to_owned(), message);
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

pub const EMAIL_TAKEN: &str = "An account with this email already exists.";

/// Maps a unique-index violation on insert to the email field's error (two creations with one
/// email at the same moment: the index decides).
pub fn email_conflict(error: sea_orm::DbErr) -> AppError {
    if crate::server::sql::is_unique_violation(&error) {
        AppError::field("email", EMAIL_TAKEN)
    } else {
        AppError::from(error)
    }
}

pub(crate) fn hashing_error(error: password::PasswordError) -> AppError {
    password_error(error)
}

fn to_current_user(user: &entity::Model) -> CurrentUser {
    CurrentUser {
        id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        role: Role::parse(&user.role).unwrap_or(Role::User),
        timezone: user.timezone.clone(),
    }
}

fn session_error(error: tower_sessions::session::Error) -> AppError {
    tracing::error!(%error, "session store error");
    AppError::Unavailable
}

fn password_error(error: password::PasswordError) -> AppError {
    tracing::error!(%error, "password hashing failed");
    AppError::Internal
}

pub struct SignupInput {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// Creates an account. The first account ever becomes an admin; later ones are users, and only
/// while open sign-up is allowed.
pub async fn signup(state: &AppState, input: SignupInput) -> Result<entity::Model, AppError> {
    validate_new_account(&input.name, &input.email, &input.password)?;
    let email = normalize_email(&input.email);
    let password_hash = password::hash(input.password).await.map_err(password_error)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let first_account = entity::Entity::find().count(&txn).await? == 0;
    if !first_account && !state.auth.allow_signup {
        return Err(AppError::Refused(SIGNUP_CLOSED.to_owned()));
    }
    if entity::Entity::find().filter(entity::Column::Email.eq(&email)).count(&txn).await? > 0 {
        return Err(AppError::field("email", "An account with this email already exists. Sign in instead."));
    }
    let role = if first_account { ROLE_ADMIN } else { ROLE_USER };
    let user = entity::ActiveModel::new_account(email, input.name.trim().to_owned(), password_hash, role)
        .insert(&txn)
        .await
        .map_err(email_conflict)?;
    crate::audit::record(
        &txn,
        Some(user.id),
        "user",
        user.id,
        crate::audit::Action::Create,
        crate::audit::Changes::new().set("email", user.email.clone()).set("role", role),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// A hash of a random password, verified against when the email is unknown, so that an unknown
/// email costs the same time as a wrong password.
async fn decoy_hash() -> Result<&'static str, AppError> {
    static DECOY: OnceCell<String> = OnceCell::const_new();
    DECOY
        .get_or_try_init(|| password::hash(uuid::Uuid::new_v4().to_string()))
        .await
        .map(String::as_str)
        .map_err(password_error)
}

/// Checks the credentials under per-address and per-account attempt limits.
pub async fn authenticate(
    state: &AppState,
    email: &str,
    password_attempt: String,
    client_ip: Option<IpAddr>,
) -> Result<entity::Model, AppError> {
    let email = normalize_email(email);
    if email.is_empty() || password_attempt.is_empty() {
        return Err(AppError::field(FORM_FIELD, BAD_CREDENTIALS));
    }
    let policy = &state.auth;
    let limiter = &state.infra.rate_limiter;
    let ip_key = format!("login:ip:{}", client_ip.map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into()));
    let account_key = format!("login:account:{email}");
    let by_ip = limiter.hit(&ip_key, policy.attempts_per_ip, policy.attempt_window).await?;
    let by_account = limiter.hit(&account_key, policy.attempts_per_account, policy.attempt_window).await?;
    if !by_ip.allowed || !by_account.allowed {
        let wait = by_ip.retry_after.max(by_account.retry_after);
        return Err(AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) });
    }

    // Over-long input is refused without hashing it (the cost must not depend on the attacker).
    let too_long = password_attempt.len() > super::model::MAX_PASSWORD_BYTES;
    let user = entity::Entity::find().filter(entity::Column::Email.eq(&email)).one(&state.db).await?;
    let (hash, user) = match user {
        Some(user) if user.is_active => (user.password_hash.clone(), Some(user)),
        _ => (decoy_hash().await?.to_owned(), None),
    };
    let matches = !too_long && password::verify(password_attempt, hash).await.map_err(password_error)?;
    match user {
        Some(user) if matches => {
            limiter.reset(&account_key).await?;
            Ok(user)
        }
        _ => Err(AppError::field(FORM_FIELD, BAD_CREDENTIALS)),
    }
}

/// Signs `user` in on `session`: a new session id (no fixation), the user id and the sign-in time.
pub async fn start_session(session: &Session, user: &entity::Model, remember: bool) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session.insert(USER_ID_KEY, user.id).await.map_err(session_error)?;
    session.insert(AUTHENTICATED_AT_KEY, Utc::now().timestamp()).await.map_err(session_error)?;
    session.insert(REMEMBER_KEY, remember).await.map_err(session_error)?;
    session.insert(LAST_SEEN_KEY, Utc::now().timestamp_millis()).await.map_err(session_error)?;
    Ok(())
}

/// Ends the session everywhere it is stored.
pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// The user signed in on `session`, if any: the session must be within its absolute lifetime and
/// the account still active, otherwise the session is ended.
pub async fn current_user(state: &AppState, session: &Session) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<i64>(USER_ID_KEY).await.map_err(session_error)? else {
        return Ok(None);
    };
    let authenticated_at = session.get::<i64>(AUTHENTICATED_AT_KEY).await.map_err(session_error)?.unwrap_or(0);
    let remember = session.get::<bool>(REMEMBER_KEY).await.map_err(session_error)?.unwrap_or(false);
    let lifetime = if remember { state.auth.remember_me_timeout } else { state.auth.absolute_timeout };
    let age = Utc::now().timestamp().saturating_sub(authenticated_at);
    if age < 0 || age as u64 >= lifetime.as_secs() {
        end_session(session).await?;
        return Ok(None);
    }
    if let Some(user) = user_checked_by_guard(user_id) {
        return Ok(Some(user));
    }
    match entity::Entity::find_by_id(user_id).one(&state.db).await? {
        Some(user) if user.is_active => {
            keep_alive(session, state.auth.idle_timeout).await?;
            Ok(Some(to_current_user(&user)))
        }
        _ => {
            end_session(session).await?;
            Ok(None)
        }
    }
}

/// While a page renders, the page guard has already resolved the user of this very request and
/// left it in the request's extensions: looking it up again would cost a second query. It is used
/// only when it is the session's own user: the reactive context is found through a thread-local
/// owner, and code running outside any owner (middleware) must never see another request's user.
fn user_checked_by_guard(session_user_id: i64) -> Option<CurrentUser> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentUser>().cloned())
        .filter(|user| user.id == session_user_id)
}

/// Pushes the idle deadline forward. The session store writes only when the session changed, so
/// the session is changed (and written) at most once per quarter of the idle timeout rather than
/// on every request.
async fn keep_alive(session: &Session, idle_timeout: Duration) -> Result<(), AppError> {
    let now_ms = Utc::now().timestamp_millis();
    let last_seen = session.get::<i64>(LAST_SEEN_KEY).await.map_err(session_error)?.unwrap_or(0);
    let quarter_ms = i64::try_from(idle_timeout.as_millis() / 4).unwrap_or(i64::MAX);
    if now_ms.saturating_sub(last_seen) >= quarter_ms {
        session.insert(LAST_SEEN_KEY, now_ms).await.map_err(session_error)?;
    }
    Ok(())
}

/// Signs the current user out of every other session (other browsers and devices); returns how
/// many sessions ended.
pub async fn end_other_sessions(state: &AppState, session: &Session) -> Result<u64, AppError> {
    let user = require_user(state, session).await?;
    state.sessions.delete_user_sessions(user.id, session.id()).await.map_err(|error| {
        tracing::error!(%error, "could not end the other sessions");
        AppError::Unavailable
    })
}

/// The signed-in user, or 401.
pub async fn require_user(state: &AppState, session: &Session) -> Result<CurrentUser, AppError> {
    current_user(state, session).await?.ok_or(AppError::Unauthenticated)
}

/// Inside a server function: the app's state and the signed-in user of the request, or 401.
pub async fn signed_in() -> Result<(AppState, CurrentUser), AppError> {
    let state = crate::server::state::current()?;
    let user = require_user(&state, &crate::server::request::session().await?).await?;
    Ok((state, user))
}

/// The signed-in admin, or 401/403.
pub async fn require_admin(state: &AppState, session: &Session) -> Result<CurrentUser, AppError> {
    let user = require_user(state, session).await?;
    if user.is_admin() { Ok(user) } else { Err(AppError::Forbidden) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_recognised_whatever_their_case() {
        assert!(is_common_password("password123"));
        assert!(is_common_password("PassWord123"));
        assert!(!is_common_password("violet staircase at noon"));
    }
}
